package loadtest

import (
	"encoding/binary"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"strconv"
)

// Connection roles.
const (
	roleIdle   = iota // holds the connection, answers pings
	roleEcho          // sends patterned messages and verifies the echoes
	roleRecv          // broadcast receiver: measures stamped messages
	roleSender        // broadcast sender: sends stamped messages at the plan's rate
	roleScript        // sends a script's messages and matches the answers
	rolePubSub        // subscribes to a topic, checks deliveries; publishers also publish
)

// conn is one WebSocket connection owned by a loop.
type conn struct {
	l    *loop
	id   uint64 // connection number in the run ({{conn}} of scripts)
	node int    // index of its target URL

	paceFrom float64  // pubsub publisher: traffic seconds when its pacing began (<0: not yet)
	fd       int      // socket (plain connections)
	tp       *tlsPump // TLS connections
	role     uint8
	idx      int    // position in l.active
	pending  []byte // bytes received with the handshake response

	out     []byte
	outOff  int
	dirty   bool
	wantOut bool
	closed  bool

	fr  wsclient.Reader
	rng uint64

	// Echo state: send times of outstanding requests in a ring.
	sent, recvd uint64
	ring        []int64
	rh, rn      int
	msgOff      int
	msgBad      bool
	msgStray    bool

	// Script state: which message and sequence number each outstanding
	// answer belongs to (parallel to ring), the start of the current
	// message.
	rmsg   []uint32
	rseq   []uint64
	msgBuf []byte

	// Broadcast receiver state: the start of the current message.
	head [stampLen]byte
	hn   int

	// Closing state.
	closeSent   bool
	closeSentAt int64
	gotClose    bool
	closeOK     bool
	finDeadline int64
	done        bool
}

func newConn(role uint8, p *loadPlan, maxMessage int, seed uint64) *conn {
	c := &conn{role: role, rng: seed | 1, paceFrom: -1}
	c.fr.MaxMessage = uint64(maxMessage)
	switch role {
	case roleEcho:
		c.ring = make([]int64, p.inflight)
	case roleScript:
		c.ring = make([]int64, p.inflight)
		c.rmsg, c.rseq = make([]uint32, p.inflight), make([]uint64, p.inflight)
		longest := 0
		for _, m := range p.script.cmp {
			longest = max(longest, m.replyMax)
		}
		c.msgBuf = make([]byte, 0, longest+1)
	case rolePubSub:
		c.msgBuf = make([]byte, 0, 160)
	}
	return c
}

// mask returns the next mask key from the connection's xorshift generator.
func (c *conn) mask() uint32 {
	x := c.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	c.rng = x
	return uint32(x >> 16)
}

// startTraffic begins the scenario's sending for this connection.
func (c *conn) startTraffic() {
	if c.l.r.plan.rate > 0 {
		return
	}
	for c.sendNext() {
	}
}

// sendNext queues the next message of an echo or script connection.
func (c *conn) sendNext() bool {
	switch c.role {
	case roleEcho:
		return c.sendEcho()
	case roleScript:
		return c.sendNextScript()
	case rolePubSub:
		return c.publish()
	}
	return false
}

// sendEcho queues the next echo request unless the connection is closed,
// done, has its maximum outstanding or too much unwritten output.
func (c *conn) sendEcho() bool {
	l := c.l
	r := l.r
	if c.role != roleEcho || c.closed || c.closeSent || c.rn == len(c.ring) || c.sent >= r.plan.msgLimit ||
		len(c.out)-c.outOff > r.o.MaxOutstanding {
		return false
	}
	c.out = wsclient.AppendFrame(c.out, r.plan.op, r.plan.pat.payload(c.sent), c.mask())
	i := c.rh + c.rn
	if i >= len(c.ring) {
		i -= len(c.ring)
	}
	c.ring[i] = l.now
	c.rn++
	c.sent++
	l.st.sent.Add(1)
	l.st.bytesSent.Add(uint64(r.plan.pat.size))
	l.queue(c)
	return true
}

// sendStamp queues the next broadcast message.
func (c *conn) sendStamp() {
	l := c.l
	r := l.r
	if len(c.out)-c.outOff > r.o.MaxOutstanding {
		c.sent++ // the slot passes; the receivers expect nothing for it
		l.st.skipped.Add(1)
		return
	}
	full := r.plan.pat.size
	c.out = wsclient.AppendFrameHeader(c.out, r.plan.op, full, c.mask())
	body := len(c.out)
	c.out = appendStamp(c.out, l.now, c.sent)
	if full > stampLen {
		c.out = append(c.out, r.plan.pat.tmpl[:full-stampLen]...)
	}
	wsclient.Mask(c.out[body:], binary.BigEndian.Uint32(c.out[body-4:body]))
	c.sent++
	l.st.sent.Add(1)
	l.st.bytesSent.Add(uint64(full))
	l.queue(c)
}

// startClose sends a 1000 close frame.
func (c *conn) startClose() {
	if c.closed || c.closeSent {
		return
	}
	c.closeSent = true
	c.closeSentAt = c.l.now
	c.out = wsclient.AppendClose(c.out, 1000, c.mask())
	c.l.queue(c)
}

// onData implements frameHandler.
func (c *conn) OnData(_ byte, p []byte, last bool) {
	if c.gotClose {
		return
	}
	switch c.role {
	case roleEcho:
		c.echoData(p, last)
	case roleRecv:
		c.stampData(p, last)
	case roleScript:
		c.scriptData(p, last)
	case rolePubSub:
		c.pubsubData(p, last)
	}
}

func (c *conn) echoData(p []byte, last bool) {
	l := c.l
	r := l.r
	l.st.bytesRecv.Add(uint64(len(p)))
	if c.msgOff == 0 && !c.msgBad && !c.msgStray && c.rn == 0 {
		c.msgStray = true
	}
	if !c.msgStray && !c.msgBad && !r.plan.pat.check(c.recvd, c.msgOff, p) {
		c.msgBad = true
	}
	c.msgOff += len(p)
	if !last {
		return
	}
	switch {
	case c.msgStray:
		r.errs.add(ErrKindUnexpectedMsg)
	default:
		if c.msgOff != r.plan.pat.size {
			c.msgBad = true
		}
		l.rec.record(l.now - c.ring[c.rh])
		c.rh++
		if c.rh == len(c.ring) {
			c.rh = 0
		}
		c.rn--
		c.recvd++
		l.st.recv.Add(1)
		if c.msgBad {
			r.errs.add(ErrKindPayloadMismatch)
		}
	}
	c.msgOff, c.msgBad, c.msgStray = 0, false, false
	if c.recvd == r.plan.msgLimit && !c.done {
		c.done = true
		r.c.doneConns.Add(1)
	}
	if r.plan.rate == 0 && l.phase == phTraffic {
		c.sendEcho()
	}
}

func (c *conn) stampData(p []byte, last bool) {
	l := c.l
	l.st.bytesRecv.Add(uint64(len(p)))
	if c.hn < len(c.head) {
		c.hn += copy(c.head[c.hn:], p)
	}
	if !last {
		return
	}
	if sent, _, ok := parseStamp(c.head[:c.hn]); ok {
		l.rec.record(l.now - sent)
		l.st.recv.Add(1)
	} else {
		l.st.foreign.Add(1)
	}
	c.hn = 0
}

// onControl implements frameHandler.
func (c *conn) OnControl(op byte, p []byte) {
	l := c.l
	if c.gotClose {
		return // nothing counts after the close frame
	}
	switch op {
	case wsclient.OpPing:
		if !c.closeSent {
			c.out = wsclient.AppendFrame(c.out, wsclient.OpPong, p, c.mask())
			l.queue(c)
		}
	case wsclient.OpClose:
		code := wsclient.CloseCode(p)
		c.gotClose = true
		if c.closeSent {
			// The reply to our close: a server should echo 1000.
			if code == 1000 || code == 1005 {
				c.closeOK = true
			} else {
				l.r.errs.add("close_code_" + strconv.Itoa(int(code)))
			}
			return
		}
		// The server closes on its own during the run.
		l.r.errs.add("close_code_" + strconv.Itoa(int(code)))
		c.closeSent = true
		c.closeSentAt = l.now
		if code == 1005 {
			c.out = wsclient.AppendFrame(c.out, wsclient.OpClose, nil, c.mask())
		} else {
			c.out = wsclient.AppendClose(c.out, code, c.mask())
		}
		l.queue(c)
	}
}
