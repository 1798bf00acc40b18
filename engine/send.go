package engine

import (
	"log/slog"
	"time"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/internal/guard"
)

// Compression choices for Send.
const (
	CompressAuto = iota // compress if negotiated and over the threshold
	CompressOff         // send this message uncompressed
)

// Conn returns the connection with the given ID, or nil.
func (e *Engine) Conn(id uint64) *Conn { return e.reg.get(id) }

// Each calls fn for every connection until fn returns false.
func (e *Engine) Each(fn func(*Conn) bool) { e.reg.each(fn) }

// Send frames p as one message of type op (OpText or OpBinary) and queues it
// on connection id. It copies p before returning. Safe from any goroutine.
// If the connection's outbound queue is over its limit it returns
// ErrWouldBlock (ReadyToSend follows), waits up to the connection's timeout,
// or closes the connection with 1008, depending on the options.
func (e *Engine) Send(id uint64, op codec.OpCode, p []byte, compress int) error {
	c := e.reg.get(id)
	if c == nil {
		return ErrNotConnected
	}
	return c.Send(op, p, compress)
}

// Send is Engine.Send on a connection already looked up.
func (c *Conn) Send(op codec.OpCode, p []byte, compress int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.waitRoomLocked(); err != nil {
		return err
	}
	if x := c.x.Load(); x != nil && x.stream > 0 {
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

// Interrupt aborts, with ErrInterrupted, the Sends waiting for room on
// connection id and any interruptible operation in progress on it (a
// SendFile between two fragments is stopped at the next one). Safe from
// any goroutine.
func (e *Engine) Interrupt(id uint64) error {
	c := e.reg.get(id)
	if c == nil {
		return ErrNotConnected
	}
	c.mu.Lock()
	if x := c.x.Load(); x != nil && (x.drained != nil || x.busy > 0) {
		setFlag(&c.sflags, sInterrupted, true)
		if x.drained != nil {
			close(x.drained)
			x.drained = nil
		}
	}
	c.mu.Unlock()
	return nil
}

// BeginInterruptible marks the start of a long operation made of several
// sends (SendFile), so that Interrupt stops it even between two of them.
// Pair it with EndInterruptible.
func (c *Conn) BeginInterruptible() {
	c.mu.Lock()
	c.ext().busy++
	c.mu.Unlock()
}

// EndInterruptible marks the end of an operation begun with
// BeginInterruptible.
func (c *Conn) EndInterruptible() {
	c.mu.Lock()
	x := c.ext()
	if x.busy--; x.busy == 0 {
		setFlag(&c.sflags, sInterrupted, false) // an Interrupt that came too late
	}
	c.mu.Unlock()
}

// takeInterruptLocked reports (and clears) a pending Interrupt. c.mu is
// held.
func (c *Conn) takeInterruptLocked() bool {
	if c.sflags&sInterrupted == 0 {
		return false
	}
	setFlag(&c.sflags, sInterrupted, false)
	return true
}

// Ping sends a ping with payload (at most 125 bytes). Safe from any
// goroutine.
func (e *Engine) Ping(id uint64, payload []byte) error {
	if len(payload) > 125 {
		return ErrControlTooLong
	}
	c := e.reg.get(id)
	if c == nil {
		return ErrNotConnected
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
func (e *Engine) Disconnect(id uint64, code uint16, reason string) error {
	c := e.reg.get(id)
	if c == nil {
		return ErrNotConnected
	}
	if code == 0 {
		code, reason = e.opts.DisconnectCode, e.opts.DisconnectReason
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

// SetAcceptData turns reading on or off for connection id. While off,
// input waits in gnet's buffer up to MaxPausedBytes. Safe from any goroutine.
func (e *Engine) SetAcceptData(id uint64, on bool) error {
	c := e.reg.get(id)
	if c == nil {
		return ErrNotConnected
	}
	if c.paused.Swap(!on) == !on || !on {
		return nil
	}
	c.loop.post(func(l *loop) { l.resumeInput(c) })
	return nil
}

// Broadcast frames p once (and compresses it once for connections that use
// permessage-deflate without server context takeover) and writes it to
// every open connection for which filter returns true (nil = all), with one
// task per event loop. filter runs on the event loops and must not block.
// A connection whose outbound queue is over MaxOutbound is closed with 1008
// (PolicyClose) or skipped for this message (PolicyWouldBlock, counted in
// Metrics.BroadcastDropped; ReadyToSend fires once it drains).
// It returns the number of loops the message was handed to.
func (e *Engine) Broadcast(op codec.OpCode, p []byte, filter func(*Conn) bool) int {
	plain, comp := e.frameOnce(op, p)
	var fg *guard.Guard[func(*Conn) bool]
	if filter != nil {
		g := guard.New(filter)
		fg = &g
	}
	var loops int
	for _, l := range e.loopList() {
		loops++
		l.postOrdered(func(l *loop) { l.broadcast(plain.B, comp, len(p), fg) })
	}
	// The frame buffer is shared by the loops' tasks; it is garbage
	// collected after the last one ran rather than returned to the pool.
	return loops
}

// frameOnce frames p for many receivers: plain always, and comp, the
// message compressed without context takeover, when permessage-deflate is
// on and p is over its threshold. plain comes from the pool.
func (e *Engine) frameOnce(op codec.OpCode, p []byte) (plain *bytebufferpool.ByteBuffer, comp []byte) {
	plain = getBuf()
	plain.B = codec.AppendFrame(plain.B[:0], op, true, p)
	if e.opts.Deflate.Enabled && !e.opts.Deflate.ServerContextTakeover && e.opts.Deflate.ShouldCompress(len(p)) {
		d := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true,
			ServerMaxWindowBits: e.opts.Deflate.ServerMaxWindowBits}, e.opts.Deflate.Level)
		if out, err := d.Compress(nil, p); err == nil {
			comp = codec.AppendHeader(nil, op, true, true, len(out))
			comp = append(comp, out...)
		}
		d.Release()
	}
	return plain, comp
}

// broadcast queues a pre-framed message on this loop's open connections
// that filter accepts (all when nil). Loop only.
func (l *loop) broadcast(plain, comp []byte, n int, filter *guard.Guard[func(*Conn) bool]) {
	sent, dropped := l.fanOut(&l.conns, plain, comp, n, filter)
	l.eng.metrics.BroadcastDelivered.Add(sent)
	if dropped > 0 {
		l.eng.metrics.BroadcastDropped.Add(dropped)
	}
}

// fanOut queues a pre-framed message of n payload bytes on the open
// connections of *list that filter accepts (nil = all), adds the
// messages sent to the engine's counters once, and returns how many were
// queued and how many skipped because their queue was full. Loop only.
func (l *loop) fanOut(list *[]*Conn, plain, comp []byte, n int, filter *guard.Guard[func(*Conn) bool]) (sent, dropped uint64) {
	// Backwards, so that a connection closed on the way (swap-removed from
	// the list) neither skips nor repeats anyone.
	for i := len(*list) - 1; i >= 0; i-- {
		if i >= len(*list) {
			continue
		}
		c := (*list)[i]
		if c.state != stateOpen || (filter != nil && !l.callFilter(filter, c)) {
			continue
		}
		switch l.queueFramed(c, plain, comp, n) {
		case delivered:
			sent++
		case skipped:
			dropped++
		}
	}
	m := &l.eng.metrics
	m.MessagesOut.Add(sent)
	m.BytesOut.Add(sent * uint64(n))
	return sent, dropped
}

// Outcomes of queueFramed.
const (
	delivered = iota // queued
	skipped          // the queue was full (PolicyWouldBlock)
	notSent          // not open, or closed as a slow consumer
)

// queueFramed queues a pre-framed message of n payload bytes on c, choosing
// comp for connections that can read it (permessage-deflate without server
// context takeover, a window at least as large). The frames are appended,
// not written: drain flushes ready connections after running every queued
// task, so all the messages waiting on this loop reach a connection in one
// write. The caller adds the engine-wide counters once per task. Loop only.
func (l *loop) queueFramed(c *Conn, plain, comp []byte, n int) int {
	e := l.eng
	frame := plain
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return notSent
	}
	x := c.x.Load()
	if comp != nil && x != nil && x.deflater != nil && x.deflParams.ServerNoContextTakeover &&
		(x.deflParams.ServerMaxWindowBits == 0 || x.deflParams.ServerMaxWindowBits >= e.opts.Deflate.ServerMaxWindowBits) {
		frame = comp
	}
	if c.queuedLocked() >= e.opts.MaxOutbound {
		// A receiver that is not reading must not make its queue grow
		// without bound: close it (PolicyClose) or skip this message for
		// it (PolicyWouldBlock; ReadyToSend fires once it drains).
		if e.opts.SlowConsumer == PolicyClose {
			c.mu.Unlock()
			e.metrics.SlowConsumers.Add(1)
			l.startClose(c, codec.ClosePolicyViolation, "slow consumer")
			l.drainAndClose(c)
			return notSent
		}
		setFlag(&c.sflags, sWantReady, true)
		c.mu.Unlock()
		return skipped
	}
	if x != nil && x.streamOn && x.stream > 0 {
		// A streamed message is half sent: no other data frame may come
		// between its fragments; this message follows it.
		if x.deferred == nil {
			x.deferred = getBuf()
		}
		x.deferred.B = append(x.deferred.B, frame...)
	} else {
		c.appendRawLocked(frame)
	}
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(n))
	c.mu.Unlock()
	return delivered
}
