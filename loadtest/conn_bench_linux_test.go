package loadtest

import (
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"math"
	"testing"
	"time"
)

// BenchmarkEchoPath measures one echo round on a connection's hot path:
// parse the echoed frame, verify it, record the latency and queue the next
// masked request. No sockets are involved.
func BenchmarkEchoPath(b *testing.B) {
	o := Options{Scenario: &Echo{Size: 128, Inflight: 1}}.Defaults()
	e := o.Scenario.(*Echo)
	r := &runner{o: o, start: time.Now()}
	r.plan = loadPlan{role: roleEcho, pat: newPattern(e.Size), op: wsclient.OpBinary, inflight: e.Inflight, msgLimit: math.MaxUint64}
	r.errs.c = &r.c
	l := &loop{r: r, st: &msgCounters{}, rec: newRecorder(), phase: phTraffic}
	r.loops = []*loop{l}
	c := newConn(roleEcho, &r.plan, o.MaxMessageSize, 1)
	c.l = l
	c.out = make([]byte, 0, 4096)
	var frames [patternPeriod][]byte
	for i := range frames {
		frames[i] = serverFrame(true, wsclient.OpBinary, r.plan.pat.payload(uint64(i)))
	}
	c.sendEcho()
	b.ReportAllocs()
	b.SetBytes(int64(e.Size))
	for i := 0; b.Loop(); i++ {
		c.out, l.dirty, c.dirty = c.out[:0], l.dirty[:0], false
		if err := c.fr.Feed(frames[c.recvd%patternPeriod], c); err != nil {
			b.Fatal(err)
		}
	}
	if r.c.errorTotal.Load() != 0 || c.recvd == 0 {
		b.Fatalf("errors %v, received %d", r.errs.snapshot(), c.recvd)
	}
}
