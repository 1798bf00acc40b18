package engine

import (
	"math"
	"time"
)

// noWake is loopWake.at when the loop's wake timer is not armed.
const noWake = time.Duration(math.MaxInt64)

// loopWake is a loop's single wake-up timer. A loop sleeps until the
// earliest thing it has to do by time: its first connection deadline, the
// parking of compression writers, a poll of congested connections, the
// release of a large inflate buffer. With none of these an idle loop is
// never woken, whatever its number of connections.
type loopWake struct {
	at    time.Duration       // when the armed timer fires, since the engine started; noWake if not armed
	timer *time.Timer         // calls requestTick; never replaced, so stop may run on any goroutine
	arm   func(time.Duration) // arms the timer to fire after d (a hook for tests)
}

func (w *loopWake) init(l *loop) {
	w.at = noWake
	w.timer = time.AfterFunc(time.Hour, l.requestTick)
	w.timer.Stop()
	w.arm = func(d time.Duration) { w.timer.Reset(d) }
}

// tickTime returns when tick t begins, as a time since the engine started.
// Ticks are uint32 counts of 50 ms: an engine may run for 6.8 years.
func tickTime(t uint32) time.Duration { return time.Duration(t) * tick }

// clockTick reads the engine's clock into l.now and returns it.
func (l *loop) clockTick() uint32 {
	l.now = uint32(l.eng.clock() / tick)
	return l.now
}

// scheduleIn sets c's deadline ticks ticks from now and wakes the loop in
// time for it. Loop only.
func (l *loop) scheduleIn(c *Conn, ticks uint32) {
	due := l.clockTick() + min(max(ticks, 1), maxTicks)
	l.timers.schedule(c, due)
	if c.tIdx == 1 { // the loop's first deadline now
		l.wakeBy(tickTime(due))
	}
}

// wakeBy makes sure the loop runs onTick at or soon after at (a time since
// the engine started). It arms the timer only when at comes before the
// wake already armed. Loop only.
func (l *loop) wakeBy(at time.Duration) {
	if at >= l.wake.at {
		return
	}
	l.wake.at = at
	l.wake.arm(max(at-l.eng.clock(), 0))
}

// onTick runs on the loop when its wake timer fires: it fires the
// deadlines that are due, polls congested connections, parks idle
// compression writers, drops a large inflate buffer unused for a minute,
// and arms the timer for the next of these, if any.
func (l *loop) onTick() {
	l.wake.at = noWake // the timer fired: it is not armed
	now := l.eng.clock()
	l.now = uint32(now / tick)
	l.timers.expire(l.now, l.onTimer)
	l.checkCongested()
	if len(l.parking) > 0 && !before(l.now, l.parkAt) {
		l.parkDeflaters()
	}
	if cap(l.inflated) > inflateKeepCap && !before(l.now, l.inflatedUsed+inflateKeepTicks) {
		l.inflated = nil
	}
	l.rearm(now)
}

// rearm arms the wake timer for the earliest work the loop has by time.
func (l *loop) rearm(now time.Duration) {
	at := noWake
	if due, ok := l.timers.next(); ok {
		at = tickTime(due)
	}
	if len(l.parking) > 0 {
		at = min(at, tickTime(l.parkAt))
	}
	if len(l.congested) > 0 {
		at = min(at, now+fastTick)
	}
	if cap(l.inflated) > inflateKeepCap {
		at = min(at, tickTime(l.inflatedUsed+inflateKeepTicks))
	}
	l.wakeBy(at)
}

// noteCongested wakes the loop soon to poll its congested connections: a
// drain must reach waiting senders and ReadyToSend quickly. Loop only.
func (l *loop) noteCongested() {
	l.wakeBy(l.eng.clock() + fastTick)
}

// noteParking wakes the loop one tick after the first compression writer
// of a batch was listed for parking. Loop only.
func (l *loop) noteParking() {
	l.parkAt = l.clockTick() + 1
	l.wakeBy(tickTime(l.parkAt))
}

// noteLargeInflated stamps the use of a large inflate buffer, which the
// loop drops after a minute without use. Loop only.
func (l *loop) noteLargeInflated() {
	l.inflatedUsed = l.clockTick()
	l.wakeBy(tickTime(l.inflatedUsed + inflateKeepTicks))
}

// inflateKeepCap is the capacity beyond which an inflate scratch buffer is
// dropped after inflateKeepTicks without use.
const inflateKeepCap = 1 << 20

// inflateKeepTicks is how long a large inflate scratch buffer stays.
const inflateKeepTicks = uint32(time.Minute / tick)
