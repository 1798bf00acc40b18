package loadtest

import "context"

func (c *Churn) setup(_ context.Context, r *runner) error {
	return r.cycleSetup(loadPlan{cycles: true, awaitClose: true, rate: c.Rate})
}
func (c *Churn) traffic(ctx context.Context, r *runner) error {
	return r.cycleTraffic(ctx, c.Rate, c.Cycles)
}
func (c *Churn) result(r *runner, res *Result) { r.cycleResult(res) }
