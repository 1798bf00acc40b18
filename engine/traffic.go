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
	if c.paused.Load() && c.state == stateOpen {
		if gc.InboundBuffered() > e.opts.MaxPausedBytes {
			l.enter()
			l.fail(c, codecPolicy("too much input while paused"))
			l.drain()
		}
		return gnet.None
	}
	buf, _ := gc.Next(-1)
	if len(buf) == 0 && c.tls == nil {
		return gnet.None
	}
	l.enter()
	l.onInput(c, buf)
	l.drain()
	return gnet.None
}

// onInput routes bytes through TLS (if any) to the WebSocket layer.
func (l *loop) onInput(c *Conn, buf []byte) {
	defer l.recoverPanic(c)
	c.lastRead = l.now
	c.pingOut = false
	if c.tls != nil {
		l.onCiphertext(c, buf)
		return
	}
	l.onPlain(c, buf)
}

// onPlain processes plaintext bytes according to the connection's state.
func (l *loop) onPlain(c *Conn, p []byte) {
	if c.state == stateHandshake {
		p = l.onHandshakeBytes(c, p)
		if p == nil {
			return
		}
	}
	if c.state == stateOpen || (c.state == stateClosing && !c.closeRecv) {
		l.onFrames(c, p)
	}
	// Bytes after a close frame, or on a failed connection, are ignored.
}

// resume restarts reading after AcceptData was turned back on: bytes gnet
// kept while paused are processed.
func (l *loop) resume(c *Conn) {
	if c.state == stateClosed {
		return
	}
	_ = c.gc.Wake(nil)
}
