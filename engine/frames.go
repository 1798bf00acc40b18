package engine

import (
	"github.com/wsloop/wsloop/codec"
)

// Errors that fail a connection are built once, so that failing one never
// allocates on the loop.
var (
	errPausedOverflow = &codec.ProtocolError{Code: codec.ClosePolicyViolation, Reason: "too much input while paused"}
	errInvalidUTF8    = codec.ErrInvalidUTF8
	errNoDeflate      = &codec.ProtocolError{Code: codec.CloseProtocolError, Reason: "compressed message without permessage-deflate"}
)

// onFrames decodes every complete frame in p (and keeps partial state in the
// decoder), dispatching data and control frames. It returns how many bytes
// it used: all of them, unless AcceptData was turned off during a callback,
// in which case decoding stops after that event and the rest waits.
func (l *loop) onFrames(c *Conn, p []byte) int {
	total := len(p)
	// Next is called until it reports EventNone, even once p is used up: an
	// error found after the bytes of a data event (invalid UTF-8 at the end
	// of a chunk) is returned by the following call.
	for c.readsFrames() {
		// Checked before every event, the first included: AcceptData
		// turned off in Connected must hold frames pipelined behind the
		// upgrade request too.
		if c.inputStalled() {
			return total - len(p)
		}
		ev, n, err := c.dec.Next(p)
		p = p[n:]
		if err != nil {
			l.fail(c, err)
			return total
		}
		switch ev.Kind {
		case codec.EventNone:
			return total
		case codec.EventData:
			l.onData(c, &ev)
		case codec.EventControl:
			l.onControl(c, &ev)
		}
	}
	return total
}

// onData handles one chunk of a data message: zero-copy delivery when a
// whole message arrives in one read, assembly in a pooled buffer when
// BufferMessage is on or the message is compressed, per-chunk delivery
// otherwise.
func (l *loop) onData(c *Conn, ev *codec.Event) {
	e := l.eng
	// The decoder reports the message's opcode and compression on every
	// chunk, continuation frames included.
	op, comp := ev.OpCode, ev.Compressed
	c.bytesIn.Add(uint64(len(ev.Payload)))
	if comp || e.opts.BufferMessage {
		if ev.MessageStart && ev.MessageEnd {
			l.deliver(c, op, comp, ev.Payload)
			return
		}
		x := c.ext()
		if x.msg == nil {
			x.msg = getBuf()
		}
		if e.budget != nil {
			l.reserveFrame(c, x, len(ev.Payload))
		}
		x.msg.B = append(x.msg.B, ev.Payload...)
		if ev.MessageEnd {
			msg := x.msg
			x.msg = nil
			l.deliver(c, op, comp, msg.B)
			e.putLarge(msg)
			// A worker inflating the message holds a copy of it: the
			// reservation goes back when it is done.
			if c.gate&holdInflating == 0 {
				l.budgetMessageDone(c, x)
			}
		}
		return
	}
	if ev.MessageEnd {
		c.msgsIn.Add(1)
		e.metrics.MessagesIn.Add(1)
	}
	e.metrics.BytesIn.Add(uint64(len(ev.Payload)))
	l.callData(c, op, ev.Payload, ev.MessageEnd)
}

// deliver hands a whole message to the handler, inflating it first if it
// was compressed: on the loop up to InflateInline bytes of output, on a
// worker beyond (see inflate.go).
func (l *loop) deliver(c *Conn, op codec.OpCode, comp bool, payload []byte) {
	if comp {
		x := c.x.Load()
		if x == nil || x.inflater == nil {
			l.fail(c, errNoDeflate)
			return
		}
		e := l.eng
		out, err := x.inflater.InflateWithin(l.inflated[:0], payload, e.inflateBudget, e.opts.DecompressedLimit)
		// Keep the grown scratch buffer (Inflate returns it on errors too):
		// growing a fresh one for every message means allocation and GC
		// work on the loop. The loop drops a large one after a minute.
		l.inflated = out[:0]
		if cap(out) > inflateKeepCap {
			l.noteLargeInflated()
		}
		if err == codec.ErrInflateBudget {
			l.inflateAsync(c, x, op, payload)
			return
		}
		if err != nil {
			l.fail(c, err)
			return
		}
		if op == codec.OpText {
			var v codec.UTF8Validator
			if !v.Write(out) || !v.Complete() {
				l.fail(c, errInvalidUTF8)
				return
			}
		}
		payload = out
	}
	l.dispatch(c, op, payload)
}

// dispatch counts a whole (inflated) message and hands it to the handler.
func (l *loop) dispatch(c *Conn, op codec.OpCode, payload []byte) {
	e := l.eng
	c.msgsIn.Add(1)
	e.metrics.MessagesIn.Add(1)
	e.metrics.BytesIn.Add(uint64(len(payload)))
	l.callData(c, op, payload, true)
}

// onControl answers pings, reports pongs and runs the closing handshake.
func (l *loop) onControl(c *Conn, ev *codec.Event) {
	switch ev.OpCode {
	case codec.OpPing:
		if c.state == stateOpen {
			l.queueControl(c, codec.OpPong, ev.Payload)
		}
	case codec.OpPong:
		l.callData(c, codec.OpPong, ev.Payload, true)
	case codec.OpClose:
		l.recvClose(c, ev.CloseCode, ev.CloseReason)
	}
}
