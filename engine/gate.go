package engine

// The input gate: why a connection's input is not read now, and the one
// path that resumes it.
//
// Input waits in gnet's buffer (it is not consumed) while anything in
// stalling holds it; OnTraffic then only checks that the waiting bytes stay
// under stallLimit, and fails the connection with 1008 beyond (1013 when it
// waits for the memory budget). Every reason is lifted by resumeInput,
// which delivers what waited in order (a parked message, held TLS
// plaintext, a decoder event) and then asks gnet to redeliver its buffer. AcceptData is the one reason set from other
// goroutines: it lives in Conn.paused; the loop-owned reasons live in
// Conn.gate.

// hold is a set of reasons why a connection's input is held.
type hold uint8

const (
	// holdPaused: AcceptData is off (Conn.paused; only while the
	// WebSocket is open: closing delivers what waited and reads the
	// peer's close reply).
	holdPaused hold = 1 << iota
	// holdInflating: a worker inflates one of the connection's messages
	// (inflate.go); nothing read later may overtake it.
	holdInflating
	// holdParked: an inflated message waits for AcceptData; later input
	// waits behind it.
	holdParked
	// holdTLSEarly: TLS data that arrived during the handshake and does
	// not fit the bridge's buffer waits in gnet's buffer for the
	// handshake's end (it does not stall a read; gnet must be woken).
	holdTLSEarly
	// holdPlaintext: TLS plaintext decrypted while input was stalled waits
	// in connExtra.held (its ciphertext is consumed and cannot be read
	// again).
	holdPlaintext
	// holdBudget: a frame waits for the server's memory budget
	// (budget.go); beyond stallLimit the connection is closed with 1013
	// rather than 1008.
	holdBudget
	// holdMounting: a connection mounted from net/http waits for the loop
	// to answer the request Mount handed over (mount.go); input read
	// meanwhile comes after it.
	holdMounting
)

// stalling are the reasons that stop reading altogether.
const stalling = holdPaused | holdInflating | holdParked | holdBudget | holdMounting

// holds returns every reason that holds c's input now. Loop only.
func (c *Conn) holds() hold {
	h := c.gate
	if c.paused.Load() && c.state == stateOpen {
		h |= holdPaused
	}
	if c.heldLen() > 0 {
		h |= holdPlaintext
	}
	return h
}

// inputStalled reports whether c must not read now (c.holds()&stalling !=
// 0, without looking at held plaintext). Loop only.
func (c *Conn) inputStalled() bool {
	return c.gate&(holdInflating|holdParked|holdBudget|holdMounting) != 0 || (c.paused.Load() && c.state == stateOpen)
}

// holdInput adds a loop-owned reason to hold c's input. Loop only.
func (c *Conn) holdInput(r hold) { c.gate |= r }

// releaseInput removes a loop-owned reason and resumes reading if nothing
// else holds it. Loop only.
func (l *loop) releaseInput(c *Conn, r hold) {
	c.gate &^= r
	l.resumeInput(c)
}

// stallLimit is how many input bytes c may hold while its reads are
// stalled before it is closed with 1008 (1013 while it waits for the
// memory budget): MaxPausedBytes, plus, while a
// worker inflates one of its messages, one more message (what it could
// have sent anyway had the loop inflated it).
func (l *loop) stallLimit(c *Conn) int64 {
	o := &l.eng.opts
	limit := int64(o.MaxPausedBytes)
	if c.gate&holdInflating != 0 {
		limit += min(o.MaxMessageSize, 1<<62)
	}
	return limit
}

// resumeInput is the one way input resumes, once nothing stalls c
// (AcceptData is back on, an off-loop inflate ended, the TLS handshake
// ended, the connection started closing): an inflated message held for
// AcceptData is delivered first, then held TLS plaintext, then decoder
// events waiting for no more bytes, then gnet's buffer through a wake-up.
// Loop only.
func (l *loop) resumeInput(c *Conn) {
	if c.state == stateClosed || c.holds()&(holdPaused|holdInflating|holdBudget|holdMounting) != 0 {
		return
	}
	x := c.x.Load()
	if c.gate&holdParked != 0 {
		j := x.parked
		x.parked = nil
		c.gate &^= holdParked
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
		x.held = getBuf()
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
