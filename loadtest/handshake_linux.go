package loadtest

import "context"

func (h *Handshake) setup(_ context.Context, r *runner) error {
	return r.cycleSetup(loadPlan{cycles: true, hsProgress: true, rate: h.Rate})
}
func (h *Handshake) traffic(ctx context.Context, r *runner) error {
	return r.cycleTraffic(ctx, h.Rate, h.Cycles)
}
func (h *Handshake) result(r *runner, res *Result) { r.cycleResult(res) }
