package engine

import (
	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
)

// Every byte a connection sends goes through c.pending, in order: the
// handshake response, frames from Send (any goroutine), pongs and close
// frames (the loop). The loop flushes pending to gnet with one Write per
// drain, so gnet's separate AsyncWrite and Execute queues never reorder it.

// appendRawLocked appends bytes to the outbound queue and schedules a
// flush. c.mu is held.
func (c *Conn) appendRawLocked(p []byte) {
	if c.pending == nil {
		c.pending = getBuf()
	}
	c.pending.B = append(c.pending.B, p...)
	c.markReadyLocked()
}

// markReadyLocked lists c for the loop's next flush. c.mu is held; it takes
// the loop's lock briefly.
func (c *Conn) markReadyLocked() {
	if c.sflags&sInReady != 0 {
		return
	}
	setFlag(&c.sflags, sInReady, true)
	c.loop.markReady(c)
}

// appendMessageLocked frames (and maybe compresses) one data message into
// dst (see beginLocked), fragmenting at MaxFrameSize. c.mu is held.
func (c *Conn) appendMessageLocked(dst *bytebufferpool.ByteBuffer, op codec.OpCode, p []byte, compress bool) error {
	e := c.eng()
	payload := p
	rsv1 := false
	var tmp *bytebufferpool.ByteBuffer
	if x := c.x.Load(); compress && x != nil && x.deflater != nil && e.opts.Deflate.ShouldCompress(len(p)) {
		tmp = getBuf()
		out, err := x.deflater.Compress(tmp.B[:0], p)
		if err != nil {
			putBuf(tmp)
			return err
		}
		tmp.B = out
		payload, rsv1 = out, true
	}
	b := dst.B
	max := e.opts.MaxFrameSize
	if len(payload) > dropBufferAbove {
		// Size a large message's buffer once: growing it by doubling
		// leaves garbage worth up to twice the message.
		need := len(b) + len(payload) + 14
		if max > 0 {
			need += 14 * (len(payload) / max)
		}
		if cap(b) < need {
			nb := make([]byte, len(b), need)
			copy(nb, b)
			b = nb
		}
	}
	if max <= 0 || len(payload) <= max {
		b = codec.AppendHeader(b, op, true, rsv1, len(payload))
		b = append(b, payload...)
	} else {
		first := true
		for rest := payload; ; {
			n := min(len(rest), max)
			fop := codec.OpContinuation
			if first {
				fop = op
			}
			b = codec.AppendHeader(b, fop, n == len(rest), rsv1 && first, n)
			b = append(b, rest[:n]...)
			rest = rest[n:]
			first = false
			if len(rest) == 0 {
				break
			}
		}
	}
	dst.B = b
	if tmp != nil {
		putBuf(tmp)
	}
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(len(p)))
	e.metrics.MessagesOut.Add(1)
	e.metrics.BytesOut.Add(uint64(len(p)))
	return nil
}

// queueControl queues a ping or pong. Control frames bypass the outbound
// limit but count towards it. Loop only.
func (l *loop) queueControl(c *Conn, op codec.OpCode, payload []byte) {
	if len(payload) > 125 {
		payload = payload[:125]
	}
	l.out = codec.AppendFrame(l.out[:0], op, true, payload)
	c.mu.Lock()
	if c.state == stateOpen {
		c.appendRawLocked(l.out)
	}
	c.mu.Unlock()
}

// flush writes c's pending bytes to gnet (encrypting them first on TLS
// connections). Loop only.
func (l *loop) flush(c *Conn) {
	c.mu.Lock()
	buf, cipher := c.pending, c.cipher
	c.pending, c.cipher = nil, nil
	// The bytes taken here are on their way into gnet's buffer: count them
	// there until afterWrite reads the real figure, so that a sender that
	// checks the limit in between sees them and cannot overshoot
	// MaxOutbound.
	if buf != nil {
		c.outBuffered = clamp32(int(c.outBuffered) + len(buf.B))
	}
	if cipher != nil {
		c.outBuffered = clamp32(int(c.outBuffered) + len(cipher.B))
	}
	setFlag(&c.sflags, sInReady, false)
	state := c.state
	firstParking := false
	if x := c.x.Load(); x != nil && x.deflater != nil && c.sflags&sParkListed == 0 && x.deflater.Holding() {
		setFlag(&c.sflags, sParkListed, true)
		l.parking = append(l.parking, c)
		firstParking = len(l.parking) == 1
	}
	c.mu.Unlock()
	if firstParking {
		l.noteParking()
	}
	if state == stateClosed {
		l.eng.putLarge(buf)
		putBuf(cipher)
		return
	}
	if cipher != nil {
		if l.eng.logPackets {
			l.logPacket(c, "out", cipher.B)
		}
		_, err := c.gc.Write(cipher.B)
		putBuf(cipher)
		if err != nil || c.state == stateClosed {
			l.eng.putLarge(buf)
			return // gnet closed the connection (OnClose ran)
		}
	}
	if buf != nil {
		data := buf.B
		if c.tls != nil {
			out, err := c.tls.Encrypt(l.tlsOut[:0], data)
			if err != nil {
				l.eng.putLarge(buf)
				l.closeNow(c)
				return
			}
			if cap(out) <= 1<<20 {
				l.tlsOut = out[:0]
			}
			data = out
			if l.eng.logPackets {
				l.logPacket(c, "out", data)
			}
		}
		_, err := c.gc.Write(data)
		l.eng.putLarge(buf)
		if err != nil || c.state == stateClosed {
			return
		}
	}
	l.afterWrite(c, c.gc.OutboundBuffered())
}

// afterWrite records gnet's outbound backlog, closes drained closing
// connections, and wakes senders once the queue is below its low-water
// mark. Loop only.
func (l *loop) afterWrite(c *Conn, ob int) {
	if ob > 0 && c.lflags&lCongested == 0 {
		setFlag(&c.lflags, lCongested, true)
		if len(l.congested) == 0 {
			l.noteCongested()
		}
		l.congested = append(l.congested, c)
	}
	c.mu.Lock()
	c.outBuffered = clamp32(ob)
	queued := c.queuedLocked()
	low := queued <= l.eng.opts.MaxOutbound/2
	fire := low && (c.sflags&sWantReady != 0) && c.state == stateOpen
	if low {
		setFlag(&c.sflags, sWantReady, false)
		if x := c.x.Load(); x != nil && x.drained != nil {
			close(x.drained)
			x.drained = nil
		}
	}
	c.mu.Unlock()
	if l.eng.budget != nil {
		l.countOutbound(c, queued)
	}
	if c.state == stateDraining && queued == 0 {
		l.drained(c)
		return
	}
	if fire {
		l.callReadyToSend(c)
	}
}
