package engine

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
	"github.com/wsloop/wsloop/codec"
)

// loop is wsloop's state for one gnet event loop. Other goroutines reach it
// only through post and markReady, which queue work and wake the loop with
// one gnet Execute per batch; everything else is loop-only.
type loop struct {
	eng *Engine
	el  gnet.EventLoop
	idx int // position in Engine.loopSet

	mu        sync.Mutex
	ready     []*Conn       // connections with pending output
	tasks     []func(*loop) // work posted by other goroutines
	tickDue   bool          // the wake timer fired
	scheduled bool          // a drain is queued or running: no need to Execute again
	// ordered counts posted tasks that sends must not overtake (Broadcast,
	// Disconnect, deferred sends); while it is non-zero, sends on this loop
	// are posted behind them instead of appended directly.
	ordered atomic.Int32
	runFn   gnet.RunnableFunc

	// loop only
	spareReady   []*Conn
	spareTasks   []func(*loop)
	conns        []*Conn // every connection on this loop
	congested    []*Conn // connections with bytes in gnet's outbound buffer
	parking      []*Conn // connections whose deflater holds a writer (context takeover)
	timers       deadlines
	now          uint32 // ticks since the engine started, as of the last clock read
	stampReads   bool   // input stamps c.lastRead (IdleTimeout or PingInterval is set)
	wake         loopWake
	req          codec.Request
	resp         OpenResponse
	out          []byte                // scratch for building responses and control frames
	tlsOut       []byte                // scratch for ciphertext
	plain        []byte                // scratch for TLS plaintext
	inflated     []byte                // scratch for inflated messages
	inflatedUsed uint32                // tick of its last use, while it is large
	parkAt       uint32                // tick at which l.parking is parked
	local        any                   // the handler's per-loop value (see Conn.LoopLocal)
	topics       map[string]*loopTopic // this loop's subscribers per topic
	hreq         *http.Request         // the request of hreqConn, mounted from net/http, while it is answered
	hreqConn     *Conn
}

func newLoop(e *Engine, el gnet.EventLoop) *loop {
	l := &loop{eng: e, el: el}
	l.stampReads = e.opts.IdleTimeout > 0 || e.opts.PingInterval > 0
	l.wake.init(l)
	l.runFn = func(context.Context) error {
		l.drain()
		return nil
	}
	return l
}

// post queues fn to run on the loop. Safe from any goroutine.
func (l *loop) post(fn func(*loop)) {
	l.mu.Lock()
	l.tasks = append(l.tasks, fn)
	l.wakeLocked()
}

// postOrdered posts fn as a task that later sends on this loop must not
// overtake. Safe from any goroutine.
func (l *loop) postOrdered(fn func(*loop)) {
	l.ordered.Add(1)
	l.post(func(l *loop) {
		defer l.ordered.Add(-1)
		fn(l)
	})
}

// markReady queues c for a flush. Safe from any goroutine; the caller set
// c.sflags&sInReady under c.mu.
func (l *loop) markReady(c *Conn) {
	l.mu.Lock()
	l.ready = append(l.ready, c)
	l.wakeLocked()
}

// requestTick asks the loop to run onTick. Safe from any goroutine (the
// wake timer calls it).
func (l *loop) requestTick() {
	l.mu.Lock()
	l.tickDue = true
	l.wakeLocked()
}

// wakeLocked unlocks l.mu and makes sure a drain will run.
func (l *loop) wakeLocked() {
	if l.scheduled {
		l.mu.Unlock()
		return
	}
	l.scheduled = true
	l.mu.Unlock()
	if err := l.el.Execute(context.Background(), l.runFn); err != nil {
		// The engine is shutting down; queued work is dropped with its
		// connections.
		l.mu.Lock()
		l.scheduled = false
		l.mu.Unlock()
	}
}

// enter marks the loop busy in a gnet callback, so that sends made by the
// handler are flushed at exit instead of waking the loop again.
func (l *loop) enter() {
	l.mu.Lock()
	l.scheduled = true
	l.mu.Unlock()
}

// drain runs posted tasks, flushes ready connections and runs a due tick
// until nothing is left.
func (l *loop) drain() {
	for {
		l.mu.Lock()
		if len(l.ready) == 0 && len(l.tasks) == 0 && !l.tickDue {
			l.scheduled = false
			l.mu.Unlock()
			return
		}
		ready, tasks, tickDue := l.ready, l.tasks, l.tickDue
		l.ready, l.tasks, l.tickDue = l.spareReady[:0], l.spareTasks[:0], false
		l.mu.Unlock()

		for i, fn := range tasks {
			l.runTask(fn)
			tasks[i] = nil
		}
		for i, c := range ready {
			l.flush(c)
			ready[i] = nil
		}
		if tickDue {
			l.onTick()
		}
		l.spareReady, l.spareTasks = ready[:0], tasks[:0]
	}
}

func (l *loop) runTask(fn func(*loop)) {
	defer l.contain(nil)
	fn(l)
}

// addConn lists c on the loop.
func (l *loop) addConn(c *Conn) {
	c.loopIdx = int32(len(l.conns))
	l.conns = append(l.conns, c)
}

// removeConn unlists c in O(1).
func (l *loop) removeConn(c *Conn) {
	i := c.loopIdx
	if i < 0 {
		return
	}
	last := len(l.conns) - 1
	if int(i) != last {
		l.conns[i] = l.conns[last]
		l.conns[i].loopIdx = i
	}
	l.conns[last] = nil
	l.conns = l.conns[:last]
	c.loopIdx = -1
}

// parkDeflaters returns the compression writers of connections with server
// context takeover that sent during the last tick, keeping only their
// window: an idle connection then holds 32 KiB instead of ~1 MB. The loop
// wakes for it one tick after the first of them sent.
func (l *loop) parkDeflaters() {
	for i, c := range l.parking {
		c.mu.Lock()
		if x := c.x.Load(); x != nil && x.deflater != nil {
			x.deflater.Park()
		}
		setFlag(&c.sflags, sParkListed, false)
		c.mu.Unlock()
		l.parking[i] = nil
	}
	l.parking = l.parking[:0]
}

// checkCongested samples gnet's outbound buffer of connections that had
// bytes left in it, to close drained closing connections, wake blocked
// senders and fire ReadyToSend.
func (l *loop) checkCongested() {
	keep := l.congested[:0]
	for _, c := range l.congested {
		if c.state == stateClosed {
			setFlag(&c.lflags, lCongested, false)
			continue
		}
		ob := c.gc.OutboundBuffered()
		l.afterWrite(c, ob)
		if ob > 0 && c.state != stateClosed {
			keep = append(keep, c)
		} else {
			setFlag(&c.lflags, lCongested, false)
		}
	}
	clear(l.congested[len(keep):])
	l.congested = keep
}
