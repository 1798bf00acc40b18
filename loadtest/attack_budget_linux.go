package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"math/rand/v2"
	"sync"
	"time"
)

// The budget attack tests a server's memory bound across connections:
// Hostile.BudgetConns connections (60 by default) each send all but the last byte of one
// binary message of 15/16 of ServerMaxMessage (15 MiB of the 16 MiB
// default), hold it for a quarter of AttackTimeout, then send the last
// byte. Per-connection limits let the server hold all of them at once; a
// server with a memory budget makes the ones that do not fit wait or
// closes them with 1013 (Try Again Later). The attempt fails if any
// connection neither gets its echo nor a 1013 by the attack deadline.

// budgetConnEnd is what happened to one of the attack's connections.
type budgetConnEnd struct {
	s       serverEnd
	sent    uint64
	dialErr error
}

// budget runs one attempt of the budget attack.
func (e *attackEnv) budget(ctx context.Context) attackResult {
	size := int(e.h.ServerMaxMessage - e.h.ServerMaxMessage/16)
	deadline := time.Now().Add(e.h.AttackTimeout)
	hold := e.h.AttackTimeout / 4
	// One masked frame shared by every connection (read-only), so that the
	// client holds 15 MiB, not 60 times that.
	frame := wsclient.AppendFrame(nil, wsclient.OpBinary, bytes.Repeat([]byte{'B'}, size), rand.Uint32())
	t0 := time.Now()
	ends := make([]budgetConnEnd, e.h.BudgetConns)
	var wg sync.WaitGroup
	for i := range ends {
		wg.Go(func() { ends[i] = e.budgetConn(ctx, frame, size, deadline, hold) })
	}
	wg.Wait()
	return budgetOutcome(ends, t0)
}

// budgetConn sends the frame but its last byte, holds, sends the last byte
// and waits for the echo or the server's end.
func (e *attackEnv) budgetConn(ctx context.Context, frame []byte, size int, deadline time.Time, hold time.Duration) budgetConnEnd {
	c, rest, err := e.d.dial(ctx, 0)
	if err != nil {
		return budgetConnEnd{dialErr: err}
	}
	defer c.Close()
	defer guard(ctx, c)()
	done := make(chan serverEnd, 1)
	go func() {
		done <- watch(c, rest, deadline, 0, func(op byte, n uint64) bool { return op == wsclient.OpBinary && n == uint64(size) })
	}()
	var r budgetConnEnd
	n, err := writeAll(c, frame[:len(frame)-1], deadline)
	r.sent = uint64(n)
	if err == nil {
		select {
		case r.s = <-done: // the server ended it while we held
			return r
		case <-time.After(hold):
		case <-ctx.Done():
		}
		n, _ = writeAll(c, frame[len(frame)-1:], deadline)
		r.sent += uint64(n)
	}
	r.s = <-done
	return r
}

// budgetOutcome sums up the connections: "done_N/1013_M" when each got its
// echo or a 1013; any other end is a failure.
func budgetOutcome(ends []budgetConnEnd, t0 time.Time) attackResult {
	r := attackResult{closeMS: -1}
	completed, tryLater := 0, 0
	for _, x := range ends {
		r.sent += x.sent
		r.recv += x.s.bytes
		switch {
		case x.dialErr != nil:
			if !r.fail {
				r.fail, r.why = true, "dial: "+x.dialErr.Error()
			}
		case x.s.end == "until":
			completed++
		case x.s.end == "close" && x.s.code == 1013:
			tryLater++
			r.closeMS = max(r.closeMS, float64(x.s.at.Sub(t0).Microseconds())/1000)
		default:
			if !r.fail {
				r.fail, r.why = true, "a connection ended with "+x.s.kind()+" (no echo, no 1013)"
			}
		}
	}
	r.outcome = fmt.Sprintf("done_%d/1013_%d", completed, tryLater)
	return r
}
