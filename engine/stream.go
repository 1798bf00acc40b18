package engine

import (
	"errors"

	"github.com/wsloop/wsloop/codec"
)

// Streaming errors.
var (
	// ErrStreamOverrun: a piece is longer than what is left of the
	// announced MessageLength.
	ErrStreamOverrun = errors.New("wsloop: data longer than the announced MessageLength")
	// ErrStreamInProgress: a whole message cannot be sent while a streamed
	// one (MessageLength, SendFile) is unfinished: its fragments may not be
	// interleaved with other data frames.
	ErrStreamInProgress = errors.New("wsloop: a streamed message is in progress")
)

// SetMessageLength announces that the next n bytes sent with SendPiece form
// one message of type op, sent as fragments as they come. Safe from any
// goroutine.
func (c *Conn) SetMessageLength(op codec.OpCode, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrNotConnected
	}
	x := c.ext()
	if x.stream > 0 {
		return ErrStreamInProgress
	}
	x.stream, x.streamOp, x.streamOn = n, op, false
	return nil
}

// StreamRemaining returns the bytes left of the current streamed message.
func (c *Conn) StreamRemaining() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.x.Load(); x != nil {
		return x.stream
	}
	return 0
}

// SendPiece sends p as the next fragment of the message announced by
// SetMessageLength; the fragment that completes it carries FIN. With wait it
// waits for room even on a non-blocking connection (bounded by the
// connection's timeout when set), as SendFile does. Safe from any goroutine.
func (c *Conn) SendPiece(p []byte, wait bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.ext()
	if int64(len(p)) > x.stream {
		return ErrStreamOverrun
	}
	if c.takeInterruptLocked() {
		return ErrInterrupted
	}
	var err error
	if wait && c.Timeout() <= 0 {
		err = c.waitDrainLocked()
	} else {
		err = c.waitRoomLocked()
	}
	if err != nil {
		return err
	}
	if int64(len(p)) > x.stream { // changed while waiting
		return ErrStreamOverrun
	}
	op := codec.OpContinuation
	if !x.streamOn {
		op = x.streamOp
	}
	x.stream -= int64(len(p))
	x.streamOn = true
	fin := x.stream == 0
	b, deferred := c.beginLocked()
	b.B = codec.AppendHeader(b.B, op, fin, false, len(p))
	b.B = append(b.B, p...)
	c.bytesOut.Add(uint64(len(p)))
	c.eng().metrics.BytesOut.Add(uint64(len(p)))
	if fin {
		c.msgsOut.Add(1)
		c.eng().metrics.MessagesOut.Add(1)
		if x.deferred != nil { // broadcasts that arrived mid-stream
			b.B = append(b.B, x.deferred.B...)
			putBuf(x.deferred)
			x.deferred = nil
		}
	}
	c.commitLocked(b, deferred)
	return nil
}

// AbortStream ends an unfinished streamed message. If fragments of it were
// sent, the peer cannot be given a valid message any more, so the
// connection is closed with 1011; otherwise the announcement is dropped.
// Safe from any goroutine.
func (c *Conn) AbortStream() {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.x.Load()
	if x == nil || x.stream == 0 {
		return
	}
	sent := x.streamOn
	x.stream, x.streamOn = 0, false
	if sent && c.state == stateOpen {
		c.loop.postOrdered(func(l *loop) {
			l.startClose(c, codec.CloseInternalError, "streamed message aborted")
		})
	}
}

// waitDrainLocked waits (c.mu held, released while waiting) until the
// outbound queue is under its limit, with no timeout; Interrupt and
// closing end the wait.
func (c *Conn) waitDrainLocked() error {
	for {
		if c.state != stateOpen {
			return ErrNotConnected
		}
		if c.queuedLocked() < c.eng().opts.MaxOutbound {
			return nil
		}
		if err := c.waitDrainedLocked(-1); err != nil {
			return err
		}
	}
}
