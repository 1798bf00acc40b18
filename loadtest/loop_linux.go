package loadtest

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// readBufSize is each loop's read buffer; a read never takes more.
const readBufSize = 64 << 10

// maxReadsPerEvent bounds the reads of one connection per wakeup, so a
// busy connection cannot starve the others on its loop.
const maxReadsPerEvent = 4

// loop is one epoll event loop. It owns its connections: every field of a
// conn it holds is touched only from its goroutine.
type loop struct {
	r    *runner
	idx  int
	epfd int
	wake [2]int // pipe: [0] read end (in epoll), [1] write end

	mu       sync.Mutex
	inbox    []*conn // new connections to adopt
	tlsReady []*conn // TLS connections with inbound data or EOF
	woken    atomic.Bool

	byFD   []*conn
	active []*conn
	dirty  []*conn
	sender *conn   // broadcast sender, if on this loop
	pubs   []*conn // pubsub publishers on this loop

	nodeRec []*recorder // pubsub: latency per node

	buf     []byte
	scratch []byte // script message expansion
	events  [256]syscall.EpollEvent
	now     int64 // ns since run start, refreshed per wakeup

	st  *msgCounters
	rec *recorder

	phase      int32 // last phase acted on
	paced      uint64
	rr         int
	lastSweep  int64
	closeStart int64
	done       chan struct{}
}

func newLoop(r *runner, idx int) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &loop{r: r, idx: idx, epfd: epfd, buf: make([]byte, readBufSize),
		st: &msgCounters{}, rec: newRecorder(), done: make(chan struct{})}
	if err := syscall.Pipe2(l.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wake[0], &ev); err != nil {
		l.closeFDs()
		return nil, err
	}
	return l, nil
}

func (l *loop) closeFDs() {
	syscall.Close(l.wake[0])
	syscall.Close(l.wake[1])
	syscall.Close(l.epfd)
}

// wakeup interrupts epoll_wait; safe from any goroutine.
func (l *loop) wakeup() {
	if l.woken.CompareAndSwap(false, true) {
		_, _ = syscall.Write(l.wake[1], []byte{1})
	}
}

// adopt hands a connection to the loop; safe from any goroutine.
func (l *loop) adopt(c *conn) {
	l.mu.Lock()
	l.inbox = append(l.inbox, c)
	l.mu.Unlock()
	l.wakeup()
}

// postTLS marks a TLS connection as having inbound data; safe from any
// goroutine.
func (l *loop) postTLS(c *conn) {
	l.mu.Lock()
	l.tlsReady = append(l.tlsReady, c)
	l.mu.Unlock()
	l.wakeup()
}

// run is the loop goroutine. It returns once the run is in the close phase
// and every connection has been closed.
func (l *loop) run() {
	defer close(l.done)
	defer l.closeFDs()
	var inbox, ready []*conn
	for {
		timeout := 50
		if l.pacing() {
			timeout = 1
		}
		n, err := syscall.EpollWait(l.epfd, l.events[:], timeout)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			l.r.errs.add(ErrKindIO)
			l.abortAll()
			return
		}
		l.now = l.r.now()
		for i := 0; i < n; i++ {
			ev := &l.events[i]
			fd := int(ev.Fd)
			if fd == l.wake[0] {
				var b [64]byte
				_, _ = syscall.Read(fd, b[:])
				l.woken.Store(false)
				continue
			}
			if fd >= len(l.byFD) || l.byFD[fd] == nil {
				continue
			}
			c := l.byFD[fd]
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.readConn(c)
			}
			if !c.closed && ev.Events&syscall.EPOLLOUT != 0 {
				l.flush(c)
			}
		}
		l.mu.Lock()
		inbox, l.inbox = l.inbox, inbox[:0]
		ready, l.tlsReady = l.tlsReady, ready[:0]
		l.mu.Unlock()
		for _, c := range inbox {
			l.register(c)
		}
		for _, c := range ready {
			if !c.closed {
				c.tp.drainInto(c)
			}
		}
		clear(inbox)
		clear(ready)
		l.step()
		l.flushDirty()
		if l.phase == phClose && len(l.active) == 0 {
			return
		}
	}
}

// pacing reports whether the loop must wake every millisecond to pace sends.
func (l *loop) pacing() bool {
	if l.phase != phTraffic {
		return false
	}
	return l.sender != nil || (l.r.plan.role != roleIdle && l.r.plan.rate > 0)
}

// register adopts a new connection.
func (l *loop) register(c *conn) {
	c.l = l
	c.idx = len(l.active)
	l.active = append(l.active, c)
	if c.role == roleSender {
		l.sender = c
	}
	if c.tp == nil {
		for c.fd >= len(l.byFD) {
			l.byFD = append(l.byFD, make([]*conn, len(l.byFD)+64)...)
		}
		l.byFD[c.fd] = c
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			l.r.errs.add(ErrKindIO)
			l.closeConn(c, false)
			return
		}
	} else {
		c.tp.start(l, c)
	}
	switch c.role {
	case roleScript:
		c.sendOpen()
	case rolePubSub:
		c.pubsubOpen()
		if int(c.id) < l.r.plan.pubsub.p.Publishers {
			l.pubs = append(l.pubs, c)
		}
	}
	if len(c.pending) > 0 {
		p := c.pending
		c.pending = nil
		l.deliver(c, p)
	}
	if l.phase == phTraffic {
		c.startTraffic()
	} else if l.phase >= phClose {
		c.startClose()
	}
}

// readConn reads what a plain connection has and feeds it to its parser.
func (l *loop) readConn(c *conn) {
	for i := 0; i < maxReadsPerEvent && !c.closed; i++ {
		n, err := syscall.Read(c.fd, l.buf)
		if n > 0 {
			l.deliver(c, l.buf[:n])
		}
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			return
		case err != nil:
			l.lostConn(c, ErrKindIO)
			return
		case n == 0:
			l.eof(c)
			return
		case n < len(l.buf):
			return
		}
	}
}

// deliver feeds inbound bytes to c's frame parser.
func (l *loop) deliver(c *conn, b []byte) {
	if c.closed {
		return
	}
	if err := c.fr.Feed(b, c); err != nil {
		l.lostConn(c, ErrKindProtocol)
		return
	}
	if c.gotClose && !c.closed {
		// The close handshake is complete; wait briefly for the server
		// to close TCP first, as RFC 6455 asks.
		l.flush(c)
		if c.finDeadline == 0 {
			c.finDeadline = l.now + int64(200*time.Millisecond)
		}
	}
}

// eof handles the peer closing TCP.
func (l *loop) eof(c *conn) {
	if c.gotClose {
		l.closeConn(c, true)
		return
	}
	l.lostConn(c, ErrKindDisconnect)
}

// lostConn counts an error and closes c without a handshake.
func (l *loop) lostConn(c *conn, kind string) {
	if !c.closed {
		l.r.errs.add(kind)
		l.closeConn(c, false)
	}
}

// queue marks c as having bytes to write in this iteration.
func (l *loop) queue(c *conn) {
	if !c.dirty && !c.closed {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
}

func (l *loop) flushDirty() {
	for i, c := range l.dirty {
		c.dirty = false
		if !c.closed {
			l.flush(c)
		}
		l.dirty[i] = nil
	}
	l.dirty = l.dirty[:0]
}

// flush writes c's pending output, arming EPOLLOUT if the socket is full.
func (l *loop) flush(c *conn) {
	if c.closed || len(c.out) == c.outOff {
		return
	}
	if c.tp != nil {
		c.tp.write(c.out[c.outOff:])
		c.out, c.outOff = c.out[:0], 0
		return
	}
	for c.outOff < len(c.out) {
		n, err := syscall.Write(c.fd, c.out[c.outOff:])
		if n > 0 {
			c.outOff += n
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			break
		}
		if err != nil {
			l.lostConn(c, ErrKindIO)
			return
		}
	}
	if c.outOff == len(c.out) {
		c.out, c.outOff = c.out[:0], 0
		if cap(c.out) > 1<<20 {
			c.out = nil // do not keep a burst's buffer for the connection's life
		}
		if c.wantOut {
			c.wantOut = false
			l.setOut(c, false)
		}
		return
	}
	if !c.wantOut {
		c.wantOut = true
		l.setOut(c, true)
	}
}

func (l *loop) setOut(c *conn, on bool) {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
	if on {
		ev.Events |= syscall.EPOLLOUT
	}
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}

// closeConn closes c's socket and forgets it. clean reports a completed
// close handshake.
func (l *loop) closeConn(c *conn, clean bool) {
	if c.closed {
		return
	}
	c.closed = true
	if clean && c.closeOK {
		l.r.c.closedOK.Add(1)
	}
	if c.rn > 0 {
		l.st.lost.Add(uint64(c.rn))
		c.rn = 0
	}
	last := len(l.active) - 1
	l.active[c.idx] = l.active[last]
	l.active[c.idx].idx = c.idx
	l.active[last] = nil
	l.active = l.active[:last]
	if l.sender == c {
		l.sender = nil
	}
	if i := slices.Index(l.pubs, c); i >= 0 {
		l.pubs = slices.Delete(l.pubs, i, i+1)
	}
	if c.role == rolePubSub && l.phase < phClose && l.r.plan.pubsub.p.Soak {
		l.r.plan.pubsub.dropped(int(c.id))
	}
	if c.tp != nil {
		c.tp.shutdown(l.r.o.CloseTimeout)
	} else {
		l.byFD[c.fd] = nil
		syscall.Close(c.fd)
	}
	c.out = nil
	l.r.c.addOpen(-1)
}

// abortAll closes every connection at once.
func (l *loop) abortAll() {
	for len(l.active) > 0 {
		l.closeConn(l.active[len(l.active)-1], false)
	}
}

// step acts on phase changes, paces sends and sweeps timeouts.
func (l *loop) step() {
	if p := l.r.phase.Load(); p != l.phase {
		prev := l.phase
		l.phase = p
		if prev < phTraffic && p == phTraffic {
			for _, c := range l.active {
				c.startTraffic()
			}
		}
		if p == phClose {
			l.closeStart = l.now
			for _, c := range l.active {
				c.startClose()
			}
		}
	}
	if l.phase == phTraffic {
		l.pace()
	}
	if l.now-l.lastSweep >= int64(50*time.Millisecond) {
		l.lastSweep = l.now
		l.sweep()
	}
}

// pace sends the messages due under -rate on this loop.
func (l *loop) pace() {
	r := l.r
	elapsed := float64(l.now-r.trafficStart.Load()) / 1e9
	if elapsed < 0 {
		return
	}
	if c := l.sender; c != nil {
		limit := r.plan.msgLimit
		due := uint64(r.plan.rate * elapsed)
		if due > limit {
			due = limit
		}
		for c.sent < due && !c.closed {
			c.sendStamp()
		}
		return
	}
	if r.plan.role == rolePubSub {
		l.pacePublishers(elapsed)
		return
	}
	if (r.plan.role != roleEcho && r.plan.role != roleScript) || r.plan.rate <= 0 || len(l.active) == 0 {
		return
	}
	rate := r.plan.rate / float64(len(r.loops))
	due := uint64(rate*elapsed) - l.paced
	if uint64(rate*elapsed) < l.paced {
		return
	}
	// Do not let a stall turn into a burst: more than 50 ms behind counts
	// as skipped sends.
	if maxBurst := uint64(rate*0.05) + 1; due > maxBurst {
		l.st.skipped.Add(due - maxBurst)
		l.paced += due - maxBurst
		due = maxBurst
	}
	for k := uint64(0); k < due; k++ {
		sent := false
		for tries := 0; tries < len(l.active); tries++ {
			l.rr++
			if l.rr >= len(l.active) {
				l.rr = 0
			}
			if l.active[l.rr].sendNext() {
				sent = true
				break
			}
		}
		l.paced++
		if !sent {
			l.st.skipped.Add(1)
		}
	}
}

// pacePublishers sends each pubsub publisher's due publishes: its share of
// the rate since it joined the traffic phase, at most 50 ms behind.
func (l *loop) pacePublishers(elapsed float64) {
	r := l.r
	rate := r.plan.rate / float64(r.plan.pubsub.p.Publishers)
	for _, c := range l.pubs {
		if c.paceFrom < 0 {
			c.paceFrom = elapsed
		}
		due := uint64((elapsed - c.paceFrom) * rate)
		if behind := due - min(due, c.sent); behind > uint64(rate*0.05)+1 {
			l.st.skipped.Add(behind - uint64(rate*0.05) - 1)
			c.sent += behind - uint64(rate*0.05) - 1
		}
		for c.sent < due && c.publish() {
		}
	}
}

// sweep enforces the response and close timeouts.
func (l *loop) sweep() {
	timeout := int64(l.r.o.Timeout)
	closeTimeout := int64(l.r.o.CloseTimeout)
	for i := len(l.active) - 1; i >= 0; i-- {
		if i >= len(l.active) {
			continue
		}
		c := l.active[i]
		switch {
		case c.finDeadline != 0 && l.now >= c.finDeadline:
			l.closeConn(c, true)
		case c.closeSent && !c.gotClose && l.now-c.closeSentAt >= closeTimeout:
			l.lostConn(c, ErrKindCloseTimeout)
		case c.role == roleScript:
			if l.phase < phClose {
				c.scriptTimeouts(l.now)
			}
		case c.rn > 0 && l.now-c.ring[c.rh] >= timeout && l.phase < phClose:
			l.lostConn(c, ErrKindTimeout)
		}
	}
}
