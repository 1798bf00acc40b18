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
	plain := bytebufferpool.Get()
	plain.B = codec.AppendFrame(plain.B[:0], op, true, p)
	var comp []byte
	if e.opts.Deflate.Enabled && !e.opts.Deflate.ServerContextTakeover && e.opts.Deflate.ShouldCompress(len(p)) {
		d := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true,
			ServerMaxWindowBits: e.opts.Deflate.ServerMaxWindowBits}, e.opts.Deflate.Level)
		if out, err := d.Compress(nil, p); err == nil {
			comp = codec.AppendHeader(nil, op, true, true, len(out))
			comp = append(comp, out...)
		}
		d.Release()
	}
	fg, filtered := guard.New(filter), filter != nil
	var loops int
	e.eachLoop(func(l *loop) {
		loops++
		l.postOrdered(func(l *loop) { l.broadcast(plain.B, comp, len(p), fg, filtered) })
	})
	// The frame buffer is shared by the loops' tasks; it is garbage
	// collected after the last one ran rather than returned to the pool.
	return loops
}

// broadcast queues a pre-framed message on this loop's open connections
// that filter accepts (all when not filtered). Loop only.
func (l *loop) broadcast(plain, comp []byte, n int, filter guard.Guard[func(*Conn) bool], filtered bool) {
	e := l.eng
	// Backwards, so that a connection closed by a failed write (swap-removed
	// from l.conns) neither skips nor repeats anyone.
	for i := len(l.conns) - 1; i >= 0; i-- {
		if i >= len(l.conns) {
			continue
		}
		c := l.conns[i]
		if c.state != stateOpen || (filtered && !l.callFilter(&filter, c)) {
			continue
		}
		frame := plain
		c.mu.Lock()
		if c.state != stateOpen {
			c.mu.Unlock()
			continue
		}
		x := c.x.Load()
		if comp != nil && x != nil && x.deflater != nil && x.deflParams.ServerNoContextTakeover &&
			(x.deflParams.ServerMaxWindowBits == 0 || x.deflParams.ServerMaxWindowBits >= e.opts.Deflate.ServerMaxWindowBits) {
			frame = comp
		}
		if c.queuedLocked() >= e.opts.MaxOutbound {
			// A receiver that is not reading must not make its queue grow
			// without bound: close it (PolicyClose) or skip this message
			// for it (PolicyWouldBlock; counted in BroadcastDropped, and
			// ReadyToSend fires once it drains).
			if e.opts.SlowConsumer == PolicyClose {
				c.mu.Unlock()
				e.metrics.SlowConsumers.Add(1)
				l.startClose(c, codec.ClosePolicyViolation, "slow consumer")
				l.drainAndClose(c)
				continue
			}
			setFlag(&c.sflags, sWantReady, true)
			c.mu.Unlock()
			e.metrics.BroadcastDropped.Add(1)
			continue
		}
		if x != nil && x.st.started && x.st.left > 0 {
			// A streamed message is half sent: no other data frame may
			// come between its fragments; the broadcast follows it.
			if x.st.deferred == nil {
				x.st.deferred = bytebufferpool.Get()
			}
			x.st.deferred.B = append(x.st.deferred.B, frame...)
		} else {
			// Appended, not written: drain flushes ready connections after
			// running every queued task, so all the broadcasts waiting on
			// this loop reach a connection in one write (under load, one
			// syscall per connection for many messages, not one each).
			c.appendRawLocked(frame)
		}
		c.msgsOut.Add(1)
		c.bytesOut.Add(uint64(n))
		c.mu.Unlock()
		e.metrics.MessagesOut.Add(1)
		e.metrics.BytesOut.Add(uint64(n))
	}
}
