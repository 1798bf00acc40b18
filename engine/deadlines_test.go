package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDeadlinesFireInOrder(t *testing.T) {
	var d deadlines
	dues := []uint32{7, 1, 3, 3, 1 << 20, 2}
	conns := make([]*Conn, len(dues))
	for i := range conns {
		conns[i] = &Conn{id: uint64(i)}
		d.schedule(conns[i], dues[i])
	}
	var got []uint32
	for now := uint32(0); now <= 1<<20; now++ {
		d.expire(now, func(c *Conn) {
			if c.tIdx != 0 {
				t.Errorf("conn %d still listed while firing", c.id)
			}
			if dues[c.id] != now {
				t.Errorf("conn %d fired at %d, want %d", c.id, now, dues[c.id])
			}
			got = append(got, now)
		})
	}
	if !slices.IsSorted(got) || len(got) != len(dues) {
		t.Fatalf("fired at %v", got)
	}
}

func TestDeadlinesRescheduleAndRemove(t *testing.T) {
	var d deadlines
	a, b := &Conn{id: 1}, &Conn{id: 2}
	d.schedule(a, 2)
	d.schedule(b, 2)
	d.schedule(a, 5) // moves a later
	d.unschedule(b)
	d.unschedule(b) // twice is harmless
	var got []uint64
	for now := uint32(0); now < 10; now++ {
		d.expire(now, func(c *Conn) { got = append(got, c.id) })
	}
	if len(got) != 1 || got[0] != 1 || d.len() != 0 {
		t.Fatalf("fired %v, %d left, want [1] and none", got, d.len())
	}
}

func TestDeadlinesRescheduleFromFire(t *testing.T) {
	var d deadlines
	a := &Conn{id: 1}
	d.schedule(a, 1)
	n := 0
	for now := uint32(1); now <= 10; now++ {
		d.expire(now, func(c *Conn) {
			n++
			d.schedule(c, now+1)
		})
	}
	if n != 10 {
		t.Fatalf("fired %d times, want 10", n)
	}
}

// Tick numbers wrap after 2^32 ticks; deadlines compare by distance.
func TestDeadlinesWrap(t *testing.T) {
	var d deadlines
	a, b := &Conn{id: 1}, &Conn{id: 2}
	d.schedule(a, 3)       // after the wrap
	d.schedule(b, 1<<32-3) // before it
	if due, _ := d.next(); due != 1<<32-3 {
		t.Fatalf("next %d, want the pre-wrap deadline", due)
	}
	var got []uint64
	d.expire(1<<32-1, func(c *Conn) { got = append(got, c.id) })
	d.expire(3, func(c *Conn) { got = append(got, c.id) })
	if !slices.Equal(got, []uint64{2, 1}) {
		t.Fatalf("fired %v, want [2 1]", got)
	}
}

// Random schedules, moves and removals agree with a plain map.
func TestDeadlinesAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var d deadlines
	conns := make([]*Conn, 200)
	for i := range conns {
		conns[i] = &Conn{id: uint64(i)}
	}
	want := map[*Conn]uint32{}
	now := uint32(0)
	for step := 0; step < 20000; step++ {
		c := conns[r.IntN(len(conns))]
		switch r.IntN(4) {
		case 0, 1:
			due := now + 1 + uint32(r.IntN(50))
			d.schedule(c, due)
			want[c] = due
		case 2:
			d.unschedule(c)
			delete(want, c)
		case 3:
			now++
			d.expire(now, func(c *Conn) {
				if w, ok := want[c]; !ok || w > now {
					t.Fatalf("conn %d fired at %d, want %d (%v)", c.id, now, w, ok)
				}
				delete(want, c)
			})
			for c, w := range want {
				if w <= now {
					t.Fatalf("conn %d due at %d not fired at %d", c.id, w, now)
				}
			}
		}
		if d.len() != len(want) {
			t.Fatalf("step %d: %d deadlines, want %d", step, d.len(), len(want))
		}
		if due, ok := d.next(); ok {
			for _, w := range want {
				if w < due {
					t.Fatalf("next %d, but %d is set", due, w)
				}
			}
		}
	}
}
