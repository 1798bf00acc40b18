package loadtest

import "context"

func (c *Churn) setup(_ context.Context, r *runner) error {
	r.plan = loadPlan{cycles: true, awaitClose: true, rate: c.Rate}
	return r.checkNoFile(r.o.DialWorkers)
}

func (c *Churn) traffic(ctx context.Context, r *runner) error {
	r.cycleTraffic(ctx, c.Rate, c.Cycles)
	return nil
}

func (c *Churn) result(r *runner, res *Result) { r.cycleResult(res) }
