package engine

import (
	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/internal/guard"
)

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
	if x != nil && x.st.started && x.st.left > 0 {
		// A streamed message is half sent: no other data frame may come
		// between its fragments; this message follows it.
		if x.st.deferred == nil {
			x.st.deferred = getBuf()
		}
		x.st.deferred.B = append(x.st.deferred.B, frame...)
	} else {
		c.appendRawLocked(frame)
	}
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(n))
	c.mu.Unlock()
	return delivered
}
