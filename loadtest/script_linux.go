package loadtest

import (
	"context"
	"fmt"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
)

func (s *Script) setup(ctx context.Context, r *runner) error {
	r.plan = loadPlan{role: roleScript, op: opcode(s.Binary), inflight: s.Inflight + s.expects(s.Open), rate: s.Rate,
		msgLimit: limitOf(s.Messages), measured: true, script: s}
	if len(s.Send) == 0 {
		r.plan.msgLimit = 0 // done once the open messages are answered
	}
	return r.openConns(ctx)
}

func (s *Script) traffic(ctx context.Context, r *runner) error {
	var done func() bool
	if s.Messages > 0 || len(s.Send) == 0 {
		done = func() bool { return r.c.doneConns.Load()+int64(r.deadConns()) >= int64(r.c.opened.Load()) }
	}
	r.holdTraffic(ctx, done, func(t msgTotals) bool { return t.recv+t.lost >= t.expected })
	return nil
}

func (s *Script) result(r *runner, res *Result) {
	t := r.totals()
	res.Messages.Expected = t.expected
	res.Messages.Missing = t.lost
}

// sendOpen queues the script's open messages; called when the loop adopts
// the connection, so they precede every send message on the wire.
func (c *conn) sendOpen() {
	s := c.l.r.plan.script
	for i := range s.Open {
		c.sendScript(i, uint64(i))
	}
	c.checkDone()
}

// sendNextScript queues the next send message unless the connection is
// closed, done, has its most outstanding answers or too much unwritten
// output.
func (c *conn) sendNextScript() bool {
	r := c.l.r
	s := r.plan.script
	if len(s.Send) == 0 || c.closed || c.closeSent || c.rn == len(c.ring) || c.sent >= r.plan.msgLimit ||
		len(c.out)-c.outOff > r.o.MaxOutstanding {
		return false
	}
	c.sendScript(len(s.Open)+int(c.sent%uint64(len(s.Send))), c.sent)
	c.sent++
	c.checkDone()
	return true
}

// sendScript queues compiled message i with sequence number seq and, if it
// expects an answer, records it as outstanding.
func (c *conn) sendScript(i int, seq uint64) {
	l := c.l
	m := &l.r.plan.script.cmp[i]
	l.scratch = appendTmpl(l.scratch[:0], m.text, c.id, seq)
	c.out = wsclient.AppendFrame(c.out, l.r.plan.op, l.scratch, c.mask())
	l.st.sent.Add(1)
	l.st.bytesSent.Add(uint64(len(l.scratch)))
	if m.expect != ExpectNone {
		j := c.rh + c.rn
		if j >= len(c.ring) {
			j -= len(c.ring)
		}
		c.ring[j], c.rmsg[j], c.rseq[j] = l.now, uint32(i), seq
		c.rn++
		l.st.expected.Add(1)
	}
	l.queue(c)
}

// scriptData collects the start of a message and, at its end, matches it
// against the oldest outstanding answer.
func (c *conn) scriptData(p []byte, last bool) {
	l := c.l
	l.st.bytesRecv.Add(uint64(len(p)))
	if room := cap(c.msgBuf) - len(c.msgBuf); room > 0 {
		c.msgBuf = append(c.msgBuf, p[:min(len(p), room)]...)
	}
	c.msgOff += len(p)
	if !last {
		return
	}
	got, n := c.msgBuf, c.msgOff
	c.msgBuf, c.msgOff = c.msgBuf[:0], 0
	if c.rn == 0 {
		l.st.foreign.Add(1) // server push: nothing was waiting for it
		return
	}
	m := &l.r.plan.script.cmp[c.rmsg[c.rh]]
	ok := true
	if m.expect != ExpectAny {
		l.scratch = appendTmpl(l.scratch[:0], m.reply, c.id, c.rseq[c.rh])
		want := l.scratch
		switch m.expect {
		case ExpectExact:
			ok = n == len(want) && string(got[:min(len(got), len(want))]) == string(want)
		case ExpectPrefix:
			ok = len(got) >= len(want) && string(got[:len(want)]) == string(want)
		}
	}
	if ok {
		l.rec.record(l.now - c.ring[c.rh])
		l.st.recv.Add(1)
	} else {
		l.r.errs.addErr(ErrKindReplyMismatch, errMismatch(got, n))
		l.st.lost.Add(1)
	}
	c.popAnswer()
	if l.r.plan.rate == 0 && l.phase == phTraffic {
		c.sendNextScript()
	}
}

// errMismatch describes an answer that did not match (its first bytes).
func errMismatch(got []byte, n int) error {
	return fmt.Errorf("answer of %d bytes starting %q does not match", n, got[:min(len(got), 60)])
}

// popAnswer drops the oldest outstanding answer.
func (c *conn) popAnswer() {
	c.rh++
	if c.rh == len(c.ring) {
		c.rh = 0
	}
	c.rn--
	c.recvd++
	c.checkDone()
}

// checkDone counts the connection done once its quota is sent and
// answered.
func (c *conn) checkDone() {
	r := c.l.r
	if !c.done && c.sent >= r.plan.msgLimit && c.rn == 0 {
		c.done = true
		r.c.doneConns.Add(1)
	}
}

// scriptTimeouts ends the outstanding answers past their time as
// reply_timeout errors; the connection stays open.
func (c *conn) scriptTimeouts(now int64) {
	l := c.l
	cmp := l.r.plan.script.cmp
	for c.rn > 0 && now-c.ring[c.rh] >= cmp[c.rmsg[c.rh]].within {
		l.r.errs.add(ErrKindReplyTimeout)
		l.st.lost.Add(1)
		c.popAnswer()
		if l.r.plan.rate == 0 && l.phase == phTraffic {
			c.sendNextScript()
		}
	}
}
