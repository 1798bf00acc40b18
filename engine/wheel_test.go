package engine

import "testing"

func TestWheelFiresInOrder(t *testing.T) {
	var w wheel
	conns := make([]*Conn, 5)
	delays := []uint32{1, 3, 3, wheelSlots + 2, 2*wheelSlots + 7}
	for i := range conns {
		conns[i] = &Conn{tSlot: -1, id: uint64(i)}
		w.schedule(conns[i], delays[i])
	}
	fired := map[uint64]uint32{}
	for tick := uint32(1); tick <= 3*wheelSlots; tick++ {
		w.advance(func(c *Conn) { fired[c.id] = tick })
	}
	for i, d := range delays {
		if fired[uint64(i)] != d {
			t.Errorf("conn %d fired at tick %d, want %d", i, fired[uint64(i)], d)
		}
	}
}

func TestWheelRescheduleAndRemove(t *testing.T) {
	var w wheel
	a, b := &Conn{tSlot: -1, id: 1}, &Conn{tSlot: -1, id: 2}
	w.schedule(a, 2)
	w.schedule(b, 2)
	w.schedule(a, 5) // moves a
	w.unschedule(b)
	w.unschedule(b) // twice is harmless
	var got []uint64
	for i := 0; i < 10; i++ {
		w.advance(func(c *Conn) { got = append(got, c.id) })
	}
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("fired %v, want [1]", got)
	}
}

func TestWheelRescheduleFromFire(t *testing.T) {
	var w wheel
	a := &Conn{tSlot: -1, id: 1}
	w.schedule(a, 1)
	n := 0
	for i := 0; i < 10; i++ {
		w.advance(func(c *Conn) {
			n++
			w.schedule(c, 1)
		})
	}
	if n != 10 {
		t.Fatalf("fired %d times, want 10", n)
	}
}
