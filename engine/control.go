package engine

import "github.com/wsloop/wsloop/codec"

// The per-connection controls: ping, close, pause reading. Like every
// per-connection operation they are methods of Conn (Engine.Conn looks one
// up by ID).

// Ping sends a ping with payload (at most 125 bytes). Safe from any
// goroutine.
func (c *Conn) Ping(payload []byte) error {
	if len(payload) > 125 {
		return ErrControlTooLong
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrNotConnected
	}
	b, deferred := c.beginLocked()
	b.B = codec.AppendFrame(b.B, codec.OpPing, true, payload)
	c.commitLocked(b, deferred)
	return nil
}

// Disconnect starts the closing handshake with code and reason (code 0 uses
// the configured DisconnectCode and reason). Safe from any goroutine.
func (c *Conn) Disconnect(code uint16, reason string) error {
	if code == 0 {
		code, reason = c.eng().opts.DisconnectCode, c.eng().opts.DisconnectReason
	}
	if !codec.ValidSendCloseCode(code) {
		return ErrBadCloseCode
	}
	c.loop.postOrdered(func(l *loop) {
		switch c.state {
		case stateOpen:
			l.startClose(c, code, reason)
		case stateHandshake:
			l.closeNow(c)
		}
	})
	return nil
}

// SetAcceptData turns reading on or off. While off, input waits in gnet's
// buffer up to MaxPausedBytes. Safe from any goroutine.
func (c *Conn) SetAcceptData(on bool) error {
	if c.paused.Swap(!on) == !on || !on {
		return nil
	}
	c.loop.post(func(l *loop) { l.resumeInput(c) })
	return nil
}
