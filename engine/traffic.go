package engine

import (
	"github.com/panjf2000/gnet/v2"
)

// OnTraffic consumes every byte gnet read for the connection: it never
// leaves bytes in gnet's inbound ring (they would not be redelivered without
// new input), except while AcceptData is off. Output produced by the
// handler during the callback is flushed once at the end. It implements
// gnet.EventHandler.
func (e *Engine) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok || c == nil {
		_, _ = gc.Discard(-1)
		return gnet.Close
	}
	l := c.loop
	if c.lflags&lFailed != 0 {
		// Failing: input is ignored (onFrames would drop it too), and
		// must not pile up in gnet's buffer while the close is written.
		_, _ = gc.Discard(-1)
		return gnet.None
	}
	if c.inputStalled() {
		if l.stampReads {
			c.lastRead = l.clockTick() // the peer is alive, just not being read
		}
		setFlag(&c.lflags, lPingOut, false)
		if int64(gc.InboundBuffered()+c.heldLen()) > l.stallLimit(c) {
			l.enter()
			if c.gate&holdBudget != 0 {
				l.closeOverBudget(c)
			} else {
				l.fail(c, errPausedOverflow)
			}
			l.drain()
		}
		return gnet.None
	}
	// Peek and Discard what was used rather than Next: when a handler
	// turns AcceptData off in the middle of a read, the frames after that
	// point stay in gnet's buffer and are delivered after resume (Next
	// would consume them, pause or not).
	buf, _ := gc.Peek(-1)
	if len(buf) == 0 && c.tls == nil {
		return gnet.None
	}
	l.enter()
	if n := l.onInput(c, buf); n > 0 {
		_, _ = gc.Discard(n) // before drain, which may close gc
	}
	l.drain()
	return gnet.None
}

// onInput routes bytes through TLS (if any) to the WebSocket layer and
// returns how many bytes of buf were used (all of them, except when
// AcceptData was turned off on a plain connection).
func (l *loop) onInput(c *Conn, buf []byte) (consumed int) {
	consumed = len(buf) // also the answer after a panic: the connection is failing
	defer l.contain(c)
	if l.stampReads {
		c.lastRead = l.clockTick()
	}
	setFlag(&c.lflags, lPingOut, false)
	if c.lflags&lLinger != 0 {
		return len(buf) // a lingering close discards input
	}
	if c.tls != nil {
		return l.onCiphertext(c, buf)
	}
	return l.onPlain(c, buf)
}

// onPlain processes plaintext bytes according to the connection's state
// and returns how many it used (see onFrames).
func (l *loop) onPlain(c *Conn, p []byte) int {
	total := len(p)
	if c.state == stateHandshake {
		p = l.onHandshakeBytes(c, p)
		if p == nil {
			return total
		}
	}
	if c.readsFrames() {
		return total - len(p) + l.onFrames(c, p)
	}
	return total
	// Bytes after a close frame, or on a failed connection, are ignored.
}
