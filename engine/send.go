package engine

import (
	"log/slog"
	"time"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
)

// Compression choices for Send.
const (
	CompressAuto = iota // compress if negotiated and over the threshold
	CompressOff         // send this message uncompressed
)

// Send frames p as one message of type op (OpText or OpBinary) and queues
// it. It copies p before returning. Safe from any goroutine. If the
// connection's outbound queue is over its limit it returns ErrWouldBlock
// (ReadyToSend follows), waits up to the connection's timeout, or closes
// the connection with 1008, depending on the options.
func (c *Conn) Send(op codec.OpCode, p []byte, compress int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.waitRoomLocked(); err != nil {
		return err
	}
	if x := c.x.Load(); x != nil && x.st.left > 0 {
		return ErrStreamInProgress
	}
	b, deferred := c.beginLocked()
	if err := c.appendMessageLocked(b, op, p, compress == CompressAuto); err != nil {
		c.abortLocked(b, deferred)
		return err
	}
	c.commitLocked(b, deferred)
	return nil
}

// beginLocked returns the buffer a send appends its frames to: the
// outbound queue itself, or (deferred) a fresh buffer while ordered tasks
// such as a Broadcast or Disconnect are queued on the loop, so that the
// send lands behind them. c.mu is held.
func (c *Conn) beginLocked() (b *bytebufferpool.ByteBuffer, deferred bool) {
	if c.loop.ordered.Load() > 0 {
		return getBuf(), true
	}
	if c.pending == nil {
		c.pending = getBuf()
	}
	return c.pending, false
}

// commitLocked schedules the frames appended to b by a send. c.mu is held,
// so sends are posted in the order they were framed (and compressed).
func (c *Conn) commitLocked(b *bytebufferpool.ByteBuffer, deferred bool) {
	if !deferred {
		c.markReadyLocked()
		return
	}
	n := clamp32(len(b.B))
	c.inTasks = clamp32(int(c.inTasks) + int(n))
	c.loop.postOrdered(func(l *loop) {
		c.mu.Lock()
		c.inTasks -= n
		if c.state == stateOpen {
			c.appendRawLocked(b.B)
		}
		c.mu.Unlock()
		putBuf(b)
	})
}

// abortLocked drops a send's buffer after a failure. c.mu is held.
func (c *Conn) abortLocked(b *bytebufferpool.ByteBuffer, deferred bool) {
	if deferred {
		putBuf(b)
	}
}

// waitRoomLocked returns with c.mu held once the outbound queue is below
// its limit, or with an error. It may unlock c.mu while waiting.
func (c *Conn) waitRoomLocked() error {
	var deadline time.Time
	for {
		if c.state != stateOpen {
			return ErrNotConnected
		}
		max := c.eng().opts.MaxOutbound
		if c.queuedLocked() < max {
			return nil
		}
		if c.eng().opts.SlowConsumer == PolicyClose {
			// Post the close (and count it) once: until the loop runs it the
			// state is still open, and later refused Sends must neither post
			// another close nor count another slow consumer.
			if c.sflags&sSlowClosed != 0 {
				return ErrSlowConsumer
			}
			setFlag(&c.sflags, sSlowClosed, true)
			c.eng().metrics.SlowConsumers.Add(1)
			c.loop.post(func(l *loop) {
				if 2 <= l.logLevel() {
					l.log(c, 2, "slow consumer closed", slog.Int("queue_limit_bytes", max))
				}
				l.startClose(c, codec.ClosePolicyViolation, "slow consumer")
				l.drainAndClose(c)
			})
			return ErrSlowConsumer
		}
		timeout := c.Timeout()
		if timeout <= 0 {
			setFlag(&c.sflags, sWantReady, true)
			return ErrWouldBlock
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(timeout)
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			setFlag(&c.sflags, sWantReady, true)
			return ErrTimeout
		}
		if err := c.waitDrainedLocked(wait); err != nil {
			return err
		}
	}
}

// waitDrainedLocked releases c.mu until the queue drains below its
// low-water mark, the connection closes, Interrupt is called, or wait
// passes (wait < 0: no limit); it returns with c.mu held.
func (c *Conn) waitDrainedLocked(wait time.Duration) error {
	x := c.ext()
	if x.drained == nil {
		x.drained = make(chan struct{})
	}
	ch := x.drained
	c.mu.Unlock()
	if wait < 0 {
		<-ch
	} else {
		t := time.NewTimer(wait)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
	c.mu.Lock()
	if c.takeInterruptLocked() {
		return ErrInterrupted
	}
	return nil
}
