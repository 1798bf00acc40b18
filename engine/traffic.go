package engine

import (
	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"
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
	if c.lflags&lMounting != 0 {
		return gnet.None // after the request Mount handed over (openMounted wakes)
	}
	if c.lflags&lFailed != 0 {
		// Failing: input is ignored (onFrames would drop it too), and
		// must not pile up in gnet's buffer while the close is written.
		_, _ = gc.Discard(-1)
		return gnet.None
	}
	if c.inputStalled() {
		c.lastRead = l.now // the peer is alive, just not being read
		setFlag(&c.lflags, lPingOut, false)
		if int64(gc.InboundBuffered()+c.heldLen()) > l.stallLimit(c) {
			l.enter()
			l.fail(c, codecPolicy("too much input while paused"))
			l.drain()
		}
		return gnet.None
	}
	// Peek and Discard what was used rather than Next: when a handler
	// turns AcceptData off in the middle of a read, the frames after that
	// point stay in gnet's buffer and are delivered after resume (with
	// Next they were delivered at once, pause or not).
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
	defer l.recoverPanic(c)
	c.lastRead = l.now
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
	if c.state == stateOpen || (c.state == stateClosing && c.lflags&lCloseRecv == 0) {
		return total - len(p) + l.onFrames(c, p)
	}
	return total
	// Bytes after a close frame, or on a failed connection, are ignored.
}

// stallLimit is how many input bytes c may hold while its reads are
// stalled before it is closed with 1008: MaxPausedBytes, plus, while a
// worker inflates one of its messages, one more message (what it could
// have sent anyway had the loop inflated it).
func (l *loop) stallLimit(c *Conn) int64 {
	o := &l.eng.opts
	limit := int64(o.MaxPausedBytes)
	if c.lflags&lInflating != 0 {
		limit += min(o.MaxMessageSize, 1<<62)
	}
	return limit
}

// resumeInput restarts reading once nothing stalls c (AcceptData is back
// on, an off-loop inflate ended): an inflated message held for AcceptData
// is delivered first, then held TLS plaintext, then decoder events waiting
// for no more bytes, then gnet's buffer through a wake-up.
func (l *loop) resumeInput(c *Conn) {
	if c.state == stateClosed || c.lflags&lInflating != 0 || (c.paused.Load() && c.state == stateOpen) {
		return
	}
	x := c.x.Load()
	if c.lflags&lParked != 0 {
		j := x.parked
		x.parked = nil
		setFlag(&c.lflags, lParked, false)
		j.deliver(l)
		if c.state == stateClosed || c.inputStalled() {
			return
		}
	}
	if x != nil && x.held != nil && !l.drainHeld(c, x) {
		return
	}
	// An error found at the end of the last chunk (invalid UTF-8) is
	// reported by the decoder's next call: make it now, as no new byte
	// may come to trigger it.
	l.onFrames(c, nil)
	if c.state == stateClosed || c.inputStalled() {
		return
	}
	_ = c.gc.Wake(nil)
}

// drainHeld processes held TLS plaintext until it is used up (true) or
// input stalls again (false). It keeps an offset rather than moving the
// rest to the front after every stall (quadratic when a handler pauses
// after every message), and compacts only once the used part is the larger.
func (l *loop) drainHeld(c *Conn, x *connExtra) bool {
	h := x.held
	x.heldOff += l.onPlain(c, h.B[x.heldOff:])
	if x.held != h { // released by OnClose
		return false
	}
	if x.heldOff < len(h.B) && c.state != stateClosed {
		if x.heldOff >= len(h.B)-x.heldOff {
			h.B = h.B[:copy(h.B, h.B[x.heldOff:])]
			x.heldOff = 0
		}
		return false
	}
	x.held, x.heldOff = nil, 0
	putBuf(h)
	return c.state != stateClosed && !c.inputStalled()
}

// onTLSPlain processes plaintext decrypted from TLS records. Once input is
// stalled, what is left of it is held: the ciphertext is already consumed
// from gnet's buffer, so it could not be read again. At most one read's
// worth is held; later input waits in gnet's buffer. Plaintext arriving
// while older plaintext is held goes behind it, and is processed with it
// at once if nothing stalls input any more. Loop only.
func (l *loop) onTLSPlain(c *Conn, plain []byte) {
	if x := c.x.Load(); x != nil && x.held != nil {
		l.hold(c, plain)
		if !c.inputStalled() {
			l.drainHeld(c, x)
		}
		return
	}
	if c.inputStalled() {
		l.hold(c, plain)
		return
	}
	if n := l.onPlain(c, plain); n < len(plain) && c.state != stateClosed {
		l.hold(c, plain[n:])
	}
}

// hold keeps plaintext for resumeInput.
func (l *loop) hold(c *Conn, p []byte) {
	x := c.ext()
	if x.held == nil {
		x.held = bytebufferpool.Get()
	}
	x.held.B = append(x.held.B, p...)
}

// heldLen is how many bytes of TLS plaintext wait for resumeInput. Loop
// only.
func (c *Conn) heldLen() int {
	if x := c.x.Load(); x != nil && x.held != nil {
		return len(x.held.B) - x.heldOff
	}
	return 0
}
