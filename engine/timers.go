package engine

import (
	"github.com/wsloop/wsloop/codec"
)

// armOpenTimers schedules the idle/ping deadline of a newly open
// connection, or clears its handshake deadline.
func (l *loop) armOpenTimers(c *Conn) {
	o := &l.eng.opts
	switch {
	case o.PingInterval > 0 && (o.IdleTimeout <= 0 || o.PingInterval < o.IdleTimeout):
		l.scheduleIn(c, ticksFor(o.PingInterval))
	case o.IdleTimeout > 0:
		l.scheduleIn(c, ticksFor(o.IdleTimeout))
	default:
		l.timers.unschedule(c)
	}
}

// onTimer runs when a connection's deadline comes: handshake timeout,
// close-reply wait, or idle/ping check. Loop only.
func (l *loop) onTimer(c *Conn) {
	e := l.eng
	switch c.state {
	case stateHandshake:
		e.metrics.HandshakeErrors.Add(1)
		e.metrics.refuse(RefusedTimeout)
		l.log(c, 2, "handshake timeout")
		l.userError(c, ErrTimeout)
		l.closeNow(c)
	case stateClosing, stateDraining:
		l.closeNow(c) // no close reply, no drain or the linger ended
	case stateOpen:
		l.idleCheck(c)
	}
}

// idleCheck closes idle connections and sends automatic pings. Deadlines are
// lazy: input only stamps c.lastRead, and the check reschedules itself from
// that stamp.
func (l *loop) idleCheck(c *Conn) {
	o := &l.eng.opts
	idle, ping := uint32(0), uint32(0)
	if o.IdleTimeout > 0 {
		idle = ticksFor(o.IdleTimeout)
	}
	if o.PingInterval > 0 {
		ping = ticksFor(o.PingInterval)
	}
	elapsed := l.now - c.lastRead
	if (idle > 0 && elapsed >= idle) || (idle == 0 && ping > 0 && (c.lflags&lPingOut != 0) && elapsed >= 2*ping) {
		l.eng.metrics.IdleTimeouts.Add(1)
		l.log(c, 2, "idle timeout")
		l.startClose(c, codec.CloseGoingAway, "idle timeout")
		return
	}
	next := uint32(0)
	if ping > 0 {
		if elapsed >= ping && c.lflags&lPingOut == 0 {
			setFlag(&c.lflags, lPingOut, true)
			l.queueControl(c, codec.OpPing, nil)
		}
		if elapsed < ping {
			next = ping - elapsed
		} else {
			next = ping
		}
	}
	if idle > 0 && (next == 0 || idle-elapsed < next) {
		next = idle - elapsed
	}
	if next > 0 {
		l.scheduleIn(c, next)
	}
}
