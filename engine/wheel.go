package engine

import "time"

// maxTicks is the longest delay the wheel holds.
const maxTicks = wheelSlots * (1<<15 - 1)

// wheelSlots is the number of slots of a loop's timing wheel; with a 50 ms
// tick one turn is 51.2 s, longer delays count rounds.
const wheelSlots = 1024

// wheel is a hashed timing wheel of intrusive lists: a connection is in at
// most one slot (its next deadline), so timers cost two pointers and two
// integers per connection and nothing per idle tick.
type wheel struct {
	slots [wheelSlots]*Conn
	pos   uint32
}

// ticksFor converts a duration to wheel ticks, at least 1.
func ticksFor(d time.Duration) uint32 {
	t := (d + tick - 1) / tick
	if t < 1 {
		t = 1
	}
	if t > maxTicks {
		t = maxTicks // about 19 days: tRounds is an int16
	}
	return uint32(t)
}

// schedule puts c in the slot that fires after ticks ticks, replacing any
// deadline it had.
func (w *wheel) schedule(c *Conn, ticks uint32) {
	w.unschedule(c)
	ticks = min(max(ticks, 1), maxTicks)
	slot := (w.pos + ticks) % wheelSlots
	c.tRounds = int16((ticks - 1) / wheelSlots)
	c.tSlot = int16(slot)
	head := w.slots[slot]
	c.tPrev = nil
	c.tNext = head
	if head != nil {
		head.tPrev = c
	}
	w.slots[slot] = c
}

// unschedule removes c from the wheel if it is in it.
func (w *wheel) unschedule(c *Conn) {
	if c.tSlot < 0 {
		return
	}
	if c.tPrev != nil {
		c.tPrev.tNext = c.tNext
	} else {
		w.slots[c.tSlot] = c.tNext
	}
	if c.tNext != nil {
		c.tNext.tPrev = c.tPrev
	}
	c.tNext, c.tPrev, c.tSlot = nil, nil, -1
}

// advance moves the wheel one tick and calls fire for every connection whose
// deadline has come. fire may reschedule the connection.
func (w *wheel) advance(fire func(*Conn)) {
	w.pos = (w.pos + 1) % wheelSlots
	c := w.slots[w.pos]
	for c != nil {
		next := c.tNext
		if c.tRounds > 0 {
			c.tRounds--
		} else {
			w.unschedule(c)
			fire(c)
		}
		c = next
	}
}
