package loadtest

import (
	"context"
	"math"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
)

func (e *Echo) setup(ctx context.Context, r *runner) error {
	r.plan = loadPlan{role: roleEcho, pat: newPattern(e.Size), op: opcode(e.Binary), inflight: e.Inflight,
		rate: e.Rate, msgLimit: limitOf(e.Messages), measured: true}
	return r.openConns(ctx)
}

func (e *Echo) traffic(ctx context.Context, r *runner) error {
	var done func() bool
	if e.Messages > 0 {
		done = func() bool { return r.c.doneConns.Load()+int64(r.deadConns()) >= int64(r.c.opened.Load()) }
	}
	r.holdTraffic(ctx, done, func(t msgTotals) bool { return t.recv+t.lost >= t.sent })
	return nil
}

func (e *Echo) result(r *runner, res *Result) {
	res.Messages.Expected = res.Messages.Sent
	res.Messages.Missing = r.totals().lost
}

// opcode is the opcode of sent data messages.
func opcode(binary bool) byte {
	if binary {
		return wsclient.OpBinary
	}
	return wsclient.OpText
}

// limitOf turns a message count (0: none) into a limit.
func limitOf(n int) uint64 {
	if n > 0 {
		return uint64(n)
	}
	return math.MaxUint64
}
