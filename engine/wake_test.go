package engine

import (
	"slices"
	"testing"
	"time"
)

// fakeWake is a loop whose clock and wake timer are the test's: the test
// moves the clock, sees every arming of the timer, and fires it by calling
// onTick.
type fakeWake struct {
	l     *loop
	now   time.Duration
	armed []time.Duration // absolute times the timer was armed for
}

func newFakeWake() *fakeWake {
	f := &fakeWake{}
	e := &Engine{clock: func() time.Duration { return f.now }}
	f.l = &loop{eng: e}
	f.l.wake.at = noWake
	f.l.wake.arm = func(d time.Duration) { f.armed = append(f.armed, f.now+d) }
	return f
}

// closedConn is a connection whose deadline does nothing when it fires
// (onTimer ignores closed connections), so that only scheduling is tested.
func closedConn(id uint64) *Conn { return &Conn{id: id, state: stateClosed} }

// With no deadline set the loop arms nothing, however many connections it
// holds and however much time passes: an idle server is never woken.
func TestWakeIdleLoopArmsNothing(t *testing.T) {
	f := newFakeWake()
	conns := make([]*Conn, 10000)
	for i := range conns {
		conns[i] = closedConn(uint64(i))
		f.l.scheduleIn(conns[i], ticksFor(DefaultHandshakeTimeout)) // accept
	}
	if len(f.armed) != 1 {
		t.Fatalf("armed %d times for 10,000 handshake deadlines, want once", len(f.armed))
	}
	for _, c := range conns {
		f.l.timers.unschedule(c) // upgraded, no ping or idle timeout
	}
	f.now = f.armed[0]
	f.l.onTick() // the handshake timer's one late fire
	for hour := 0; hour < 24; hour++ {
		f.now += time.Hour
	}
	if len(f.armed) != 1 || f.l.wake.at != noWake {
		t.Fatalf("idle loop armed %v (at %v), want nothing after the first", f.armed, f.l.wake.at)
	}
}

// The timer is armed for the earliest deadline only, re-armed only when an
// earlier one appears, and a fire handles exactly the due deadlines.
func TestWakeFollowsEarliestDeadline(t *testing.T) {
	f := newFakeWake()
	a, b, c := closedConn(1), closedConn(2), closedConn(3)
	f.l.scheduleIn(a, 5)
	f.l.scheduleIn(b, 3) // earlier: re-arm
	f.l.scheduleIn(c, 8) // later: no re-arm
	want := []time.Duration{5 * tick, 3 * tick}
	if !slices.Equal(f.armed, want) {
		t.Fatalf("armed %v, want %v", f.armed, want)
	}
	f.now = 3 * tick
	f.l.onTick()
	if b.tIdx != 0 || a.tIdx == 0 || c.tIdx == 0 {
		t.Fatalf("after tick 3: a %d b %d c %d listed, want only b fired", a.tIdx, b.tIdx, c.tIdx)
	}
	want = append(want, 5*tick)
	if !slices.Equal(f.armed, want) {
		t.Fatalf("armed %v, want %v", f.armed, want)
	}
	f.now = 4 * tick // a spurious or early fire changes nothing
	f.l.onTick()
	if a.tIdx == 0 || !slices.Equal(f.armed, append(want, 5*tick)) {
		t.Fatalf("early tick fired a or armed %v", f.armed)
	}
}

// The number of wake-ups grows with the distinct ticks at which deadlines
// fall, not with elapsed time or with the number of connections.
func TestWakeCostFollowsDeadlines(t *testing.T) {
	f := newFakeWake()
	const n = 20000
	conns := make([]*Conn, n)
	for i := range conns {
		conns[i] = closedConn(uint64(i))
		f.l.scheduleIn(conns[i], 600+uint32(i%4)) // four distinct ticks, 30 s away
	}
	fires := 0
	for f.l.wake.at != noWake {
		f.now = f.l.wake.at
		f.l.onTick()
		fires++
	}
	if fires != 4 || f.l.timers.len() != 0 {
		t.Fatalf("%d wake-ups, %d deadlines left; want 4 and 0", fires, f.l.timers.len())
	}
}

// Congested connections are polled every fastTick until they drain; a
// batch of compression writers listed for parking is parked one tick
// after the first was listed, not at an earlier poll.
func TestWakeForCongestionAndParking(t *testing.T) {
	f := newFakeWake()
	f.now = 7 * time.Millisecond
	f.l.noteCongested()
	if f.l.wake.at != 7*time.Millisecond+fastTick {
		t.Fatalf("congestion armed %v", f.l.wake.at)
	}
	f.l.parking = append(f.l.parking, closedConn(1))
	f.l.noteParking() // later than the poll: no re-arm
	if len(f.armed) != 1 || f.l.parkAt != 1 {
		t.Fatalf("armed %v, parkAt %d", f.armed, f.l.parkAt)
	}
	f.now = f.l.wake.at
	f.l.onTick() // the poll (nothing is congested any more)
	if len(f.l.parking) != 1 || f.l.wake.at != tick {
		t.Fatalf("after the poll: %d parking, armed at %v; want 1 and %v", len(f.l.parking), f.l.wake.at, tick)
	}
	f.now = tick
	f.l.onTick()
	if len(f.l.parking) != 0 || f.l.wake.at != noWake {
		t.Fatalf("after the park: %d parking, armed at %v; want none", len(f.l.parking), f.l.wake.at)
	}
}

// loopTimers returns the number of deadlines set, read on each loop.
func loopTimers(t *testing.T, e *Engine) (deadlines int) {
	t.Helper()
	e.eachLoop(func(l *loop) {
		done := make(chan struct{})
		l.post(func(l *loop) {
			deadlines += l.timers.len()
			close(done)
		})
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("loop did not run the task")
		}
	})
	return deadlines
}

// On a real engine, upgraded connections without PingInterval or
// IdleTimeout hold no deadline; with PingInterval each holds one.
func TestOpenConnectionsHoldDeadlinesOnlyWithTimers(t *testing.T) {
	t.Parallel()
	for _, ping := range []time.Duration{0, time.Hour} {
		e, h := startEngine(t, Options{PingInterval: ping, HandshakeTimeout: time.Hour}, true)
		for i := 0; i < 8; i++ {
			c, _ := rawUpgrade(t, "127.0.0.1:"+itoa(e.Port()), nil)
			defer c.Close()
		}
		deadline := time.Now().Add(10 * time.Second)
		for h.connected.Load() < 8 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		n := loopTimers(t, e)
		want := 0
		if ping > 0 {
			want = 8
		}
		if n != want {
			t.Errorf("ping %v: %d deadlines set, want %d", ping, n, want)
		}
	}
}
