package loadtest

import "context"

func (h *Handshake) setup(_ context.Context, r *runner) error {
	r.plan = loadPlan{cycles: true, hsProgress: true, rate: h.Rate}
	return r.checkNoFile(r.o.DialWorkers)
}

func (h *Handshake) traffic(ctx context.Context, r *runner) error {
	r.cycleTraffic(ctx, h.Rate, h.Cycles)
	return nil
}

func (h *Handshake) result(r *runner, res *Result) { r.cycleResult(res) }
