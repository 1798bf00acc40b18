package engine

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wsloop/wsloop/codec"
)

// benchEventLoop stands in for a gnet loop: the benchmark drains the loop
// itself, so Execute has nothing to do.
type benchEventLoop struct{ gnet.EventLoop }

func (benchEventLoop) Execute(context.Context, gnet.Runnable) error { return nil }

// benchConn stands in for a gnet connection whose socket takes every write
// at once: what is measured is wsloop's fan-out, not the kernel's.
type benchConn struct {
	gnet.Conn
	wrote int
}

func (c *benchConn) Write(p []byte) (int, error) { c.wrote += len(p); return len(p), nil }
func (c *benchConn) OutboundBuffered() int       { return 0 }

// benchLoop builds an engine with one loop holding total open connections
// on benchConns, the first subs of them (spread evenly) subscribed to
// "bench". The caller publishes and runs l.drain, as the loop would.
func benchLoop(b testing.TB, total, subs int) (*Engine, *loop, []*Conn) {
	e, err := New(Options{Addr: "127.0.0.1:0", NumLoops: 1}, &testHandler{})
	if err != nil {
		b.Fatal(err)
	}
	l := newLoop(e, benchEventLoop{})
	e.loopsMu.Lock()
	e.addLoop(l, l)
	e.loopsMu.Unlock()
	conns := make([]*Conn, total)
	for i := range conns {
		conns[i] = openBenchConn(e, l)
	}
	if subs == 0 {
		return e, l, conns
	}
	step := total / subs
	for i := 0; i < subs; i++ {
		if err := e.Subscribe(conns[i*step].id, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	l.drain()
	if got := e.Subscribers("bench"); got != subs {
		b.Fatalf("%d subscribers, want %d", got, subs)
	}
	return e, l, conns
}

// reportPerDelivery reports wall time and process CPU time per delivery
// (CPU time is what a loaded machine distorts least: time spent waiting for
// a core is not in it).
func reportPerDelivery(b *testing.B, cpu time.Duration, perOp int) {
	n := float64(b.N * perOp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/delivery")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/delivery")
}

// openBenchConn registers an open connection on a benchConn with l.
func openBenchConn(e *Engine, l *loop) *Conn {
	c := &Conn{id: e.nextID.Add(1), loop: l, gc: &benchConn{}, loopIdx: -1, state: stateOpen}
	e.reg.add(c)
	l.addConn(c)
	return c
}

// BenchmarkPublish publishes a 64-byte message to a topic with 10, 100 and
// 1,000 subscribers, alone on the loop or among 10,000 connections, and
// runs the loop's task and flush (one write per subscriber to a socket that
// takes everything). cpu-ns/delivery should not depend on the 10,000, and
// allocs/op (per publish, all deliveries included) should be 0.
func BenchmarkPublish(b *testing.B) {
	payload := make([]byte, 64)
	for _, subs := range []int{10, 100, 1000} {
		for _, total := range []int{subs, 10000} {
			b.Run("subs="+strconv.Itoa(subs)+"/conns="+strconv.Itoa(total), func(b *testing.B) {
				e, l, _ := benchLoop(b, total, subs)
				for range 100 { // warm the pools
					_ = e.Publish("bench", codec.OpText, payload)
					l.drain()
				}
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					_ = e.Publish("bench", codec.OpText, payload)
					l.drain()
				}
				reportPerDelivery(b, cpuTime()-cpu0, subs)
				if got := e.metrics.TopicDeliveries.Load(); got != uint64((b.N+100)*subs) {
					b.Fatalf("%d deliveries, want %d", got, (b.N+100)*subs)
				}
			})
		}
	}
}

// BenchmarkBroadcastAll is the reference for BenchmarkPublish: a Broadcast
// with no filter to k connections, through the same loop and flush.
func BenchmarkBroadcastAll(b *testing.B) {
	payload := make([]byte, 64)
	for _, total := range []int{10, 100, 1000} {
		b.Run("conns="+strconv.Itoa(total), func(b *testing.B) {
			e, l, _ := benchLoop(b, total, 1)
			for range 100 {
				e.Broadcast(codec.OpText, payload, nil)
				l.drain()
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				e.Broadcast(codec.OpText, payload, nil)
				l.drain()
			}
			reportPerDelivery(b, cpuTime()-cpu0, total)
		})
	}
}
