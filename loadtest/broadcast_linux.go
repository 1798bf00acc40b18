package loadtest

import (
	"context"
	"time"
)

func (b *Broadcast) setup(ctx context.Context, r *runner) error {
	r.plan = loadPlan{role: roleRecv, pat: newPattern(b.Size), op: opcode(b.Binary), rate: b.Rate,
		msgLimit: limitOf(b.Messages), extraTarget: 1, measured: true}
	if err := r.openConns(ctx); err != nil {
		return err
	}
	b.receivers = r.c.opened.Load()
	if ctx.Err() == nil && time.Now().Before(r.deadline) {
		r.openConn(ctx, roleSender, 0)
	}
	return nil
}

func (b *Broadcast) traffic(ctx context.Context, r *runner) error {
	var done func() bool
	if b.Messages > 0 {
		done = func() bool {
			t := r.totals()
			return t.sent+t.skipped >= r.plan.msgLimit && t.recv+t.foreign >= t.sent*b.receivers || r.c.open.Load() == 0
		}
	}
	r.holdTraffic(ctx, done, func(t msgTotals) bool { return t.recv >= t.sent*b.receivers || r.c.open.Load() <= 1 })
	return nil
}

func (b *Broadcast) result(_ *runner, res *Result) {
	m := &res.Messages
	m.Expected = m.Sent * b.receivers
	if m.Expected > m.Received {
		m.Missing = m.Expected - m.Received
	}
}
