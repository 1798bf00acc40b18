package engine

import "time"

// maxTicks is the longest delay a deadline may have (about 19 days). Keeping
// every deadline within 2^31 ticks of now lets tick numbers wrap safely.
const maxTicks = 1 << 25

// deadlines is a loop's binary min-heap of connections ordered by their next
// deadline (in ticks since the engine started). A connection is in it at
// most once (its earliest deadline), so timers cost two 4-byte fields in
// Conn and one heap slot while armed, and nothing at all while no deadline
// is set. The loop sleeps until the top deadline: the cost of timers grows
// with the deadlines that fire, not with wall time or connection count.
type deadlines struct {
	heap []*Conn // heap[i].tIdx == i+1
}

// ticksFor converts a duration to ticks, at least 1 and at most maxTicks.
func ticksFor(d time.Duration) uint32 {
	t := (d + tick - 1) / tick
	return uint32(min(max(t, 1), maxTicks))
}

// before reports whether tick a comes before tick b, wrap-safe.
func before(a, b uint32) bool { return int32(a-b) < 0 }

// len returns the number of connections with a deadline.
func (d *deadlines) len() int { return len(d.heap) }

// next returns the earliest deadline, if any.
func (d *deadlines) next() (uint32, bool) {
	if len(d.heap) == 0 {
		return 0, false
	}
	return d.heap[0].tDue, true
}

// schedule sets c's deadline to tick due, replacing any it had.
func (d *deadlines) schedule(c *Conn, due uint32) {
	if c.tIdx == 0 {
		c.tDue = due
		d.heap = append(d.heap, c)
		c.tIdx = int32(len(d.heap))
		d.up(len(d.heap) - 1)
		return
	}
	old := c.tDue
	c.tDue = due
	if before(due, old) {
		d.up(int(c.tIdx) - 1)
	} else {
		d.down(int(c.tIdx) - 1)
	}
}

// unschedule removes c's deadline if it has one.
func (d *deadlines) unschedule(c *Conn) {
	if c.tIdx == 0 {
		return
	}
	i, last := int(c.tIdx)-1, len(d.heap)-1
	if i != last {
		d.swap(i, last)
	}
	d.heap[last] = nil
	d.heap = d.heap[:last]
	c.tIdx = 0
	if i != last {
		d.down(i)
		d.up(i)
	}
	if cap(d.heap) > 64 && len(d.heap) < cap(d.heap)/4 {
		// Give back the memory of a burst (a flood of handshakes).
		d.heap = append([]*Conn(nil), d.heap...)
	}
}

// expire removes every connection whose deadline is at or before now and
// calls fire for it, earliest first. fire may schedule the connection again.
func (d *deadlines) expire(now uint32, fire func(*Conn)) {
	for len(d.heap) > 0 && !before(now, d.heap[0].tDue) {
		c := d.heap[0]
		d.unschedule(c)
		fire(c)
	}
}

func (d *deadlines) swap(i, j int) {
	h := d.heap
	h[i], h[j] = h[j], h[i]
	h[i].tIdx, h[j].tIdx = int32(i+1), int32(j+1)
}

func (d *deadlines) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(d.heap[i].tDue, d.heap[p].tDue) {
			return
		}
		d.swap(i, p)
		i = p
	}
}

func (d *deadlines) down(i int) {
	n := len(d.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && before(d.heap[r].tDue, d.heap[l].tDue) {
			m = r
		}
		if !before(d.heap[m].tDue, d.heap[i].tDue) {
			return
		}
		d.swap(i, m)
		i = m
	}
}
