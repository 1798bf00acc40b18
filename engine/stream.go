package engine

import (
	"errors"
	"fmt"
	"io"

	"github.com/valyala/bytebufferpool"
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

// stream is a message sent in pieces: announced by SetMessageLength (the
// component's MessageLength) and fed by SendMessage, or read from an
// io.Reader by SendReader (SendFile). Its fragments may not be interleaved
// with other data frames, so broadcasts wait in deferred until it ends.
// Under Conn.mu.
type stream struct {
	left     int64                      // bytes not yet sent
	op       codec.OpCode               // OpText or OpBinary
	started  bool                       // the first fragment was sent
	deferred *bytebufferpool.ByteBuffer // broadcasts waiting for the end
}

// SetMessageLength announces that the next n bytes sent with SendMessage
// form one message of type op, sent as fragments as they come. Safe from any
// goroutine.
func (c *Conn) SetMessageLength(op codec.OpCode, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrNotConnected
	}
	x := c.ext()
	if x.st.left > 0 {
		return ErrStreamInProgress
	}
	x.st.left, x.st.op, x.st.started = n, op, false
	return nil
}

// StreamRemaining returns the bytes left of the current streamed message.
func (c *Conn) StreamRemaining() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.x.Load(); x != nil {
		return x.st.left
	}
	return 0
}

// sendPiece sends p as the next fragment of the message announced by
// SetMessageLength; the fragment that completes it carries FIN. With wait it
// waits for room even on a non-blocking connection (bounded by the
// connection's timeout when set), as SendReader does. Safe from any goroutine.
func (c *Conn) sendPiece(p []byte, wait bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.ext()
	if int64(len(p)) > x.st.left {
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
	if int64(len(p)) > x.st.left { // changed while waiting
		return ErrStreamOverrun
	}
	op := codec.OpContinuation
	if !x.st.started {
		op = x.st.op
	}
	x.st.left -= int64(len(p))
	x.st.started = true
	fin := x.st.left == 0
	b, deferred := c.beginLocked()
	b.B = codec.AppendHeader(b.B, op, fin, false, len(p))
	b.B = append(b.B, p...)
	c.bytesOut.Add(uint64(len(p)))
	c.eng().metrics.BytesOut.Add(uint64(len(p)))
	if fin {
		c.msgsOut.Add(1)
		c.eng().metrics.MessagesOut.Add(1)
		if x.st.deferred != nil { // broadcasts that arrived mid-stream
			b.B = append(b.B, x.st.deferred.B...)
			putBuf(x.st.deferred)
			x.st.deferred = nil
		}
	}
	c.commitLocked(b, deferred)
	return nil
}

// abortStream ends an unfinished streamed message. If fragments of it were
// sent, the peer cannot be given a valid message any more, so the
// connection is closed with 1011; otherwise the announcement is dropped.
// Safe from any goroutine.
func (c *Conn) abortStream() {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.x.Load()
	if x == nil || x.st.left == 0 {
		return
	}
	sent := x.st.started
	x.st.left, x.st.started = 0, false
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

// SendMessage sends p as one message of type op or, while a message
// announced by SetMessageLength is unfinished, as its next piece.
func (c *Conn) SendMessage(op codec.OpCode, p []byte) error {
	if c.StreamRemaining() > 0 {
		return c.sendPiece(p, false)
	}
	return c.Send(op, p, CompressAuto)
}

// streamChunk is the fragment size of SendReader.
const streamChunk = 64 << 10

// SendReader streams n bytes of r as one binary message, in fragments of
// 64 KiB, never holding it whole in memory and waiting for room in the
// outbound queue between fragments (bounded by the connection's timeout
// when set; Interrupt aborts it). If it fails after fragments were sent,
// the connection is closed with 1011, since the peer can no longer get a
// valid message. Read errors are reported as "reading name". It blocks.
func (c *Conn) SendReader(r io.Reader, n int64, name string) error {
	c.beginInterruptible()
	defer c.endInterruptible()
	if err := c.SetMessageLength(codec.OpBinary, n); err != nil {
		return err
	}
	if n == 0 {
		return c.Send(codec.OpBinary, nil, CompressOff)
	}
	buf := make([]byte, min(n, streamChunk))
	for left := n; left > 0; {
		k, err := r.Read(buf[:min(int64(len(buf)), left)])
		if k > 0 {
			if err := c.sendPiece(buf[:k], true); err != nil {
				c.abortStream()
				return err
			}
			left -= int64(k)
		}
		if err != nil && left > 0 {
			c.abortStream()
			return fmt.Errorf("wsloop: reading %s: %w", name, err)
		}
	}
	return nil
}
