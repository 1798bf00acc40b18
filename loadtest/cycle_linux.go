package loadtest

import (
	"context"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runCycles runs connect/upgrade/close cycles on o.DialWorkers blocking
// workers until ctx ends or limit cycles (0: no limit) have started;
// with rate > 0 cycle starts are paced at rate per second.
func (r *runner) runCycles(ctx context.Context, rate float64, limit int) {
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < r.o.DialWorkers; w++ {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if rate > 0 {
					at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if !sleepUntil(ctx, at) {
						return
					}
				}
				if limit > 0 && i >= int64(limit) {
					return
				}
				r.cycle(ctx, buf, int(i))
			}
		})
	}
	wg.Wait()
}

// cycleSetup is the setup phase of churn and handshake.
func (r *runner) cycleSetup(p loadPlan) error {
	r.plan = p
	return r.checkNoFile(r.o.DialWorkers)
}

// cycleTraffic is the traffic phase of churn and handshake.
func (r *runner) cycleTraffic(ctx context.Context, rate float64, limit int) error {
	r.beginWatching()
	rctx, cancel := context.WithDeadline(ctx, r.deadline)
	defer cancel()
	r.smp.mark(markTrafficStart)
	r.trafficStart.Store(r.now())
	r.phase.Store(phTraffic)
	r.runCycles(rctx, rate, limit)
	r.trafficEnd = time.Since(r.start)
	r.recvAtEnd = r.totals()
	r.smp.mark(markTrafficEnd)
	return nil
}

// cycleResult fills the figures of churn and handshake.
func (r *runner) cycleResult(res *Result) {
	res.Connections.Target = 0
	if res.TrafficS > 0 {
		res.Connections.PerSec = float64(res.Connections.Opened) / res.TrafficS
	}
}

// cycle is one connect, upgrade, close cycle.
func (r *runner) cycle(ctx context.Context, buf []byte, i int) {
	t0 := time.Now()
	nc, rest, ok := r.dialCounted(ctx, i)
	if !ok {
		return
	}
	r.c.opened.Add(1)
	r.c.addOpen(1)
	defer r.c.addOpen(-1)
	defer nc.Close()
	frame := wsclient.AppendClose(buf[:0], 1000, uint32(rand.Uint64()))
	_ = nc.SetDeadline(time.Now().Add(r.o.Timeout))
	if _, err := nc.Write(frame); err != nil {
		r.errs.addErr(errKind(err, ErrKindIO), err)
		return
	}
	if !r.plan.awaitClose {
		r.c.cycles.Add(1)
		return
	}
	code, err := awaitClose(nc, rest, buf, r.o.MaxMessageSize)
	if err != nil {
		r.errs.addErr(errKind(err, ErrKindDisconnect), err)
		return
	}
	if code != 1000 && code != 1005 {
		r.errs.add("close_code_" + strconv.Itoa(int(code)))
		return
	}
	// The server should now close TCP; wait for that briefly.
	_ = nc.SetReadDeadline(time.Now().Add(r.o.CloseTimeout))
	for i := 0; i < 64; i++ {
		if _, err := nc.Read(buf); err != nil {
			break
		}
	}
	r.c.closedOK.Add(1)
	r.c.cycles.Add(1)
	r.cyc.record(int64(time.Since(t0)))
}

// closeWaiter is a frameHandler that remembers the first close frame.
type closeWaiter struct {
	got  bool
	code uint16
}

func (w *closeWaiter) OnData(byte, []byte, bool) {}

func (w *closeWaiter) OnControl(op byte, p []byte) {
	if op == wsclient.OpClose && !w.got {
		w.got = true
		w.code = wsclient.CloseCode(p)
	}
}

// awaitClose reads frames (starting with pending bytes) until a close frame
// arrives and returns its code.
func awaitClose(nc net.Conn, pending, buf []byte, maxMsg int) (uint16, error) {
	var fr wsclient.Reader
	fr.MaxMessage = uint64(maxMsg)
	var w closeWaiter
	if err := fr.Feed(pending, &w); err != nil {
		return 0, &kindError{ErrKindProtocol, err}
	}
	for !w.got {
		n, err := nc.Read(buf)
		if n > 0 {
			if ferr := fr.Feed(buf[:n], &w); ferr != nil {
				return 0, &kindError{ErrKindProtocol, ferr}
			}
		}
		if err != nil && !w.got {
			return 0, err
		}
	}
	return w.code, nil
}
