//go:build unix

package engine

import (
	"net"
	"strconv"
	"testing"
)

// TestSingleLoopAcceptsOnItsOwnListener checks the loop plan: one loop
// listens with SO_REUSEPORT (no separate accept loop), several loops share
// gnet's accept loop unless ReusePort asks otherwise.
func TestSingleLoopAcceptsOnItsOwnListener(t *testing.T) {
	for _, tc := range []struct {
		opts      Options
		loops     int
		reusePort bool
	}{
		{Options{NumLoops: 1}, 1, true},
		{Options{NumLoops: 2}, 2, false},
		{Options{NumLoops: 2, ReusePort: true}, 2, true},
	} {
		e := &Engine{opts: tc.opts}
		if loops, reuse := e.loopPlan(); loops != tc.loops || reuse != tc.reusePort {
			t.Errorf("loopPlan(%+v) = %d, %v; want %d, %v", tc.opts, loops, reuse, tc.loops, tc.reusePort)
		}
	}
	var o Options
	o.normalize()
	if o.NumLoops < 1 {
		t.Errorf("NumLoops 0 normalized to %d, want GOMAXPROCS", o.NumLoops)
	}
}

// TestSingleLoopPortZero starts several one-loop engines on port 0 at once:
// each gets its own port (the reservation holds it until the loop listens)
// and serves an upgrade on it.
func TestSingleLoopPortZero(t *testing.T) {
	const n = 4
	ports := map[int]bool{}
	for range n {
		e, _ := startEngine(t, Options{NumLoops: 1}, true)
		if ports[e.Port()] {
			t.Fatalf("two single-loop engines share port %d", e.Port())
		}
		ports[e.Port()] = true
		c, _ := rawUpgrade(t, "127.0.0.1:"+strconv.Itoa(e.Port()), nil)
		_ = c.Close()
	}
}

func TestReservePort(t *testing.T) {
	port, release, err := reservePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// While reserved, a socket without SO_REUSEPORT cannot take the port.
	if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		_ = ln.Close()
		t.Errorf("port %d was taken while reserved", port)
	}
	release()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Errorf("port %d still taken after release: %v", port, err)
	} else {
		_ = ln.Close()
	}
	if _, release, err := reservePort("::1"); err == nil {
		release()
	} // IPv6 may be off on the machine: only the error path below is asserted
	// A name resolves as gnet resolves it; an unresolvable one fails.
	if _, release, err := reservePort("localhost"); err != nil {
		t.Errorf("localhost: %v", err)
	} else {
		release()
	}
	if _, _, err := reservePort("no-such-host.invalid"); err == nil {
		t.Error("an unresolvable host was accepted")
	}
}

// TestReusePortLoopsPortZero: several loops, each with its own
// SO_REUSEPORT listener on the reserved port, all serve.
func TestReusePortLoopsPortZero(t *testing.T) {
	e, h := startEngine(t, Options{NumLoops: 2, ReusePort: true}, true)
	for range 8 {
		c, _ := rawUpgrade(t, "127.0.0.1:"+strconv.Itoa(e.Port()), nil)
		defer c.Close()
	}
	waitFor(t, "8 connections over two SO_REUSEPORT loops", func() bool { return h.connected.Load() == 8 })
}
