package engine

import (
	"errors"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
)

// ErrStreamOverrun is returned when a piece of a streamed message is longer
// than what is left of its announced length.
var ErrStreamOverrun = errors.New("wsloop: data longer than the announced MessageLength")

// SetMessageLength announces that the next n bytes sent with SendPiece form
// one message of type op, sent as fragments as they come. Safe from any
// goroutine.
func (c *Conn) SetMessageLength(op codec.OpCode, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrNotConnected
	}
	if c.stream > 0 {
		return errors.New("wsloop: a streamed message is still in progress")
	}
	c.stream, c.streamOp, c.streamOn = n, op, false
	return nil
}

// StreamRemaining returns the bytes left of the current streamed message.
func (c *Conn) StreamRemaining() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream
}

// SendPiece sends p as the next fragment of the message announced by
// SetMessageLength; the fragment that completes it carries FIN. With wait it
// waits for room even on a non-blocking connection (bounded by the
// connection's timeout when set), as SendFile does. Safe from any goroutine.
func (c *Conn) SendPiece(p []byte, wait bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(p)) > c.stream {
		return ErrStreamOverrun
	}
	var err error
	if wait {
		err = c.waitDrainLocked()
	} else {
		err = c.waitRoomLocked()
	}
	if err != nil {
		return err
	}
	if int64(len(p)) > c.stream { // changed while waiting
		return ErrStreamOverrun
	}
	op := codec.OpContinuation
	if !c.streamOn {
		op = c.streamOp
	}
	c.stream -= int64(len(p))
	c.streamOn = true
	fin := c.stream == 0
	if c.pending == nil {
		c.pending = bytebufferpool.Get()
	}
	c.pending.B = codec.AppendHeader(c.pending.B, op, fin, false, len(p))
	c.pending.B = append(c.pending.B, p...)
	c.bytesOut.Add(uint64(len(p)))
	c.eng.metrics.BytesOut.Add(uint64(len(p)))
	if fin {
		c.msgsOut.Add(1)
		c.eng.metrics.MessagesOut.Add(1)
	}
	c.markReadyLocked()
	return nil
}

// waitDrainLocked waits (c.mu held, released while waiting) until the
// outbound queue is under its limit, with no timeout unless the connection
// has one; Interrupt and closing end the wait.
func (c *Conn) waitDrainLocked() error {
	if c.timeout.Load() > 0 {
		return c.waitRoomLocked()
	}
	for {
		if c.state != stateOpen {
			return ErrNotConnected
		}
		if c.queuedLocked() < c.eng.opts.MaxOutbound {
			return nil
		}
		if c.drained == nil {
			c.drained = make(chan struct{})
		}
		ch := c.drained
		c.mu.Unlock()
		<-ch
		c.mu.Lock()
		if c.interrupted {
			c.interrupted = false
			return ErrInterrupted
		}
	}
}
