package api_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// Soak shape and tolerances.
const (
	soakCycles    = 20
	soakConns     = 200
	soakEchoes    = 10
	soakSettle    = 10 * time.Second // bound on the wait for resources to come back
	soakFDSlack   = 2                // descriptors (the /proc listing itself, a late close)
	soakGoSlack   = 4                // goroutines (a timer or finalizer in flight)
	soakHeapSlack = 2 << 20          // bytes of live heap: a 512-byte leak per connection is 2 MB
)

// resources is a snapshot of what a leak would grow.
type resources struct {
	fds        int
	goroutines int
	heap       uint64 // live heap after GC
}

func (r resources) String() string {
	return fmt.Sprintf("fds %d goroutines %d heap %d KB", r.fds, r.goroutines, r.heap>>10)
}

func measure(t *testing.T) resources {
	t.Helper()
	runtime.GC()
	runtime.GC() // the second cycle frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return resources{fds: len(ents), goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
}

// soakCycle opens soakConns connections at once, echoes soakEchoes
// messages on each, closes each with a close handshake and waits for the
// server to count no connections.
func soakCycle(srv *api.Server, cycle int) error {
	return churnCycle(srv, cycle, soakConns, soakClient)
}

// churnCycle runs client for conns connections at once and waits for the
// server to count none.
func churnCycle(srv *api.Server, cycle, conns int, client func(addr string, cycle, n int) error) error {
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			if err := client(srv.Addr(), cycle, i); err != nil {
				errs <- fmt.Errorf("cycle %d conn %d: %w", cycle, i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if !eventually(soakSettle, func() bool { return srv.ConnectionCount() == 0 }) {
		return fmt.Errorf("cycle %d: server still counts %d connections", cycle, srv.ConnectionCount())
	}
	return nil
}

// soakClient is one connection's life.
func soakClient(addr string, cycle, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	c, _, _, err := ws.Dial(ctx, "ws://"+addr+"/soak")
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioWait))
	for k := range soakEchoes {
		msg := fmt.Appendf(nil, "cycle %d conn %d message %d", cycle, n, k)
		if err := wsutil.WriteClientText(c, msg); err != nil {
			return err
		}
		got, op, err := wsutil.ReadServerData(c)
		if err != nil {
			return err
		}
		if op != ws.OpText || !bytes.Equal(got, msg) {
			return fmt.Errorf("echo %q (op %v), want %q", got, op, msg)
		}
	}
	if err := ws.WriteFrame(c, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))); err != nil {
		return err
	}
	for {
		f, err := ws.ReadFrame(c)
		if err != nil {
			return fmt.Errorf("waiting for the close reply: %w", err)
		}
		if f.Header.OpCode == ws.OpClose {
			return nil
		}
	}
}

// After 20 cycles of 200 connections × 10 echoes, the server's descriptors,
// goroutines and live heap come back to what they were after one warm-up
// cycle (bounded wait), and its metrics add up.
func TestSoakResourcesReturnToBaseline(t *testing.T) {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true, EventLoops: 2}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			if e.DataFormat != api.DataPong {
				_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
			}
		},
	})
	if err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	// The warm-up cycle fills pools and per-loop buffers that are meant to stay.
	if err := soakCycle(srv, 0); err != nil {
		t.Fatal(err)
	}
	base := measure(t)
	t0 := time.Now()
	for c := 1; c <= soakCycles; c++ {
		if err := soakCycle(srv, c); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d cycles in %v; baseline %v", soakCycles, time.Since(t0).Round(time.Millisecond), base)
	var now resources
	ok := eventually(soakSettle, func() bool {
		now = measure(t)
		return now.fds <= base.fds+soakFDSlack && now.goroutines <= base.goroutines+soakGoSlack &&
			now.heap <= base.heap+soakHeapSlack
	})
	t.Logf("after: %v", now)
	if !ok {
		t.Errorf("resources did not return to baseline within %v: before %v, after %v (slack: %d fds, %d goroutines, %d KB)",
			soakSettle, base, now, soakFDSlack, soakGoSlack, soakHeapSlack>>10)
	}
	m := srv.Metrics()
	const total = (soakCycles + 1) * soakConns
	if m.Connections != 0 || m.Upgraded != total || m.MessagesIn != total*soakEchoes || m.MessagesOut != total*soakEchoes {
		t.Errorf("metrics %+v, want %d upgraded and %d messages each way", m, total, total*soakEchoes)
	}
}
