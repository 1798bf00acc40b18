package loadtest

import "context"

func (*Idle) setup(ctx context.Context, r *runner) error {
	r.plan = loadPlan{role: roleIdle, measured: true}
	return r.openConns(ctx)
}

func (*Idle) traffic(ctx context.Context, r *runner) error {
	r.holdTraffic(ctx, nil, func(msgTotals) bool { return true })
	return nil
}

func (*Idle) result(*runner, *Result) {}
