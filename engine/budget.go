package engine

import (
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
)

// The memory budget bounds the bytes the whole server holds for messages
// (Options.MaxBufferedBytes): messages being assembled (BufferMessage, or
// compressed ones), a compressed message while a worker inflates it, and
// the outbound queues. Per-connection limits alone allow
// connections × MaxMessageSize. Not counted: what workers inflate (bounded
// by InflateWorkers × DecompressedLimit), an inflated message waiting for
// AcceptData (one per connection, like input held while paused), and
// pooled scratch buffers.
//
// How it works:
//
//   - A connection that must store a frame reserves the whole frame (the
//     length its header announced) when the frame's first bytes arrive,
//     and holds the reservation until its message is delivered, or until
//     it closes. A message that arrives whole in one read is delivered
//     from the read buffer and reserves nothing, so small-message traffic
//     never waits.
//   - Outbound queues are counted as they are sampled after each write.
//     They take room from inbound reservations but never block a send:
//     each queue is bounded by MaxOutbound and sends see that limit.
//   - A reservation that does not fit queues the connection (FIFO) and
//     stalls its input, as AcceptData off does: the decoder stops, and
//     later bytes wait in the event loop's buffer up to MaxPausedBytes.
//     gnet has no way to stop reading a socket, so this is the back-pressure
//     wsloop can give; beyond MaxPausedBytes the connection is closed with
//     1013 (Try Again Later), and so is one still waiting after BufferWait.
//   - Requests whose message stays under budgetSmall may fill the whole
//     budget; larger ones only all but a reserve of 1/16 of it, so that
//     large senders cannot starve small ones. Small requests and holders
//     pass large waiters; large requests are granted in arrival order.
//
// Why it cannot deadlock: a single-frame message is reserved whole before
// its bytes are stored, so a connection holding a reservation never waits
// for more to finish that message; it needs only its peer's bytes. Only a
// fragmented message asks again (for each later frame) while it holds
// part of the budget. Such a "holder" is granted when it fits, and
// otherwise becomes the finisher if there is none: the one connection
// allowed past the limit, by at most one message (MaxMessageSize), until
// its message ends. Holders thus complete one at a time even when every
// byte of the budget is held by holders waiting for more; waiters (and
// holders behind a finisher whose peer stalls) are released within
// BufferWait, by a grant or by a 1013 close.
//
// So the memory held is at most MaxBufferedBytes, plus one message for
// the finisher, plus for each waiting connection its stalled input
// (MaxPausedBytes) and the chunk that was decoded when it was refused
// (one read), plus what the outbound queues grow between two samples.

// Budget defaults.
const (
	DefaultMaxBufferedBytes = 512 << 20
	DefaultBufferWait       = 10 * time.Second
	// budgetSmall is the message size below which a request may use the
	// reserve kept for small messages.
	budgetSmall = 64 << 10
	// dropBufferAbove: message buffers this large are left to the garbage
	// collector instead of the pool, which would keep them alive.
	dropBufferAbove = 1 << 20
)

var errOverBudget = &codec.ProtocolError{Code: codec.CloseTryAgainLater, Reason: "server memory budget exhausted"}

// defaultBudget is a quarter of GOMEMLIMIT when one is set, else
// DefaultMaxBufferedBytes.
func defaultBudget() int64 {
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim != math.MaxInt64 {
		return max(lim/4, 1<<20)
	}
	return DefaultMaxBufferedBytes
}

// budget is the server-wide account. used and waiting are read without the
// lock (metrics, fast paths); grants and the queue are under mu.
type budget struct {
	limit int64 // what small requests may fill
	large int64 // what large requests may fill
	wait  time.Duration

	used     atomic.Int64
	waiting  atomic.Int64
	finisher atomic.Pointer[Conn]
	// garbage counts the bytes of large buffers dropped since the last
	// collection the budget asked for (see dropped).
	garbage    atomic.Int64
	collecting atomic.Bool

	mu    sync.Mutex
	queue []*budgetWait // in deadline order: every request waits b.wait
	// timer runs expireDue at the first queued request's deadline; it is
	// armed (under mu) while the queue may hold a request, so a server
	// without waiting requests keeps no timer running.
	timer *time.Timer
	armed bool
}

// budgetWait is one queued request. Its fields are under budget.mu until
// it is granted or dropped; then the task posted to its loop owns it.
type budgetWait struct {
	c        *Conn
	n        int64
	holder   bool // c holds a grant for an earlier frame of this message
	small    bool
	done     bool // granted, expired or cancelled
	deadline time.Time
}

// newBudget returns nil when the budget is off (MaxBufferedBytes < 0).
func newBudget(o *Options) *budget {
	if o.MaxBufferedBytes < 0 {
		return nil
	}
	return &budget{limit: o.MaxBufferedBytes, large: o.MaxBufferedBytes - o.MaxBufferedBytes/16, wait: o.BufferWait}
}

// fitsLocked reports whether n more bytes may be granted to c now, making
// c the finisher when it is a holder and nothing else fits.
func (b *budget) fitsLocked(c *Conn, n int64, holder, small bool) bool {
	room := b.large
	if small {
		room = b.limit
	}
	if b.used.Load()+n <= room {
		return true
	}
	return holder && (b.finisher.CompareAndSwap(nil, c) || b.finisher.Load() == c)
}

// reserve grants n bytes to c at once (true), or, with queue, queues the
// request and returns it (false): c's input must then stall until the loop
// task budgetGranted or budgetExpired runs. Without queue it only tries.
// Loop only (c's loop).
func (b *budget) reserve(c *Conn, n int64, holder, small bool, queue bool) (bool, *budgetWait) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if (small || holder || !b.largeQueuedLocked()) && b.fitsLocked(c, n, holder, small) {
		b.used.Add(n)
		return true, nil
	}
	if !queue {
		return false, nil
	}
	w := &budgetWait{c: c, n: n, holder: holder, small: small, deadline: time.Now().Add(b.wait)}
	b.queue = append(b.queue, w)
	b.waiting.Add(1)
	b.armLocked(w.deadline)
	return false, w
}

// armLocked makes sure expireDue runs at deadline, the deadline of the
// request just queued. An armed timer is due no later: requests queue in
// deadline order.
func (b *budget) armLocked(deadline time.Time) {
	if b.armed {
		return
	}
	b.armed = true
	if b.timer == nil {
		b.timer = time.AfterFunc(time.Until(deadline), b.expireDue)
	} else {
		b.timer.Reset(time.Until(deadline))
	}
}

// expireDue drops the requests whose wait is over and arms the timer for
// the next one, if any. It runs on the timer's goroutine.
func (b *budget) expireDue() {
	b.expire(time.Now())
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	for _, w := range b.queue {
		if !w.done {
			b.armLocked(w.deadline)
			return
		}
	}
}

// stop stops the timer once the engine has stopped.
func (b *budget) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
}

func (b *budget) largeQueuedLocked() bool {
	for _, w := range b.queue {
		if !w.done && !w.small && !w.holder {
			return true
		}
	}
	return false
}

// adjust counts bytes held or given back without asking (outbound queues,
// input stored while refused, released reservations), and grants what now
// fits. Safe from any goroutine.
func (b *budget) adjust(d int64) {
	if d == 0 {
		return
	}
	b.used.Add(d)
	if d < 0 && b.waiting.Load() > 0 {
		b.mu.Lock()
		b.grantLocked()
		b.mu.Unlock()
	}
}

// messageDone gives back c's reservation when its message ended (or c
// closed); the finisher role passes on.
func (b *budget) messageDone(c *Conn, n int64) {
	wasFinisher := b.finisher.CompareAndSwap(c, nil)
	if n > 0 {
		b.adjust(-n) // grants what now fits
		return
	}
	if wasFinisher && b.waiting.Load() > 0 { // a holder may wait for the role
		b.mu.Lock()
		b.grantLocked()
		b.mu.Unlock()
	}
}

// grantLocked walks the queue in order, granting what fits: large requests
// in arrival order (the first that does not fit blocks the later large
// ones), small requests and holders whenever they fit.
func (b *budget) grantLocked() {
	keep := b.queue[:0]
	blocked := false
	for _, w := range b.queue {
		if w.done {
			continue
		}
		if (w.small || w.holder || !blocked) && b.fitsLocked(w.c, w.n, w.holder, w.small) {
			b.used.Add(w.n)
			b.waiting.Add(-1)
			w.done = true
			w.c.loop.post(func(l *loop) { l.budgetGranted(w) })
			continue
		}
		if !w.small && !w.holder {
			blocked = true
		}
		keep = append(keep, w)
	}
	clear(b.queue[len(keep):])
	b.queue = keep
}

// expire drops the requests waiting since before now-BufferWait; their
// connections are closed with 1013. expireDue calls it when the first
// request's wait is over.
func (b *budget) expire(now time.Time) {
	if b.waiting.Load() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := b.queue[:0]
	for _, w := range b.queue {
		if w.done {
			continue
		}
		if now.After(w.deadline) {
			w.done = true
			b.waiting.Add(-1)
			w.c.loop.post(func(l *loop) { l.budgetExpired(w) })
			continue
		}
		keep = append(keep, w)
	}
	clear(b.queue[len(keep):])
	b.queue = keep
}

// cancel withdraws a queued request (its connection is closing). A
// request already granted is left to its grant task, which gives the
// bytes back.
func (b *budget) cancel(w *budgetWait) {
	b.mu.Lock()
	if !w.done {
		w.done = true
		b.waiting.Add(-1)
	}
	b.mu.Unlock()
}

// reserveFrame makes sure c may store the chunk just decoded and the rest
// of its frame: it reserves them, or stores the chunk anyway (it is
// decoded and cannot be read again) and stalls c's input until the rest is
// granted. Loop only.
func (l *loop) reserveFrame(c *Conn, x *connExtra, chunk int) {
	b := l.eng.budget
	have := int64(len(x.msg.B)) + int64(chunk)
	want := have + c.dec.FrameRemaining()
	if want <= x.resv {
		return
	}
	small := want <= budgetSmall
	// A fragmented message asks again for each frame: it asks for twice
	// what it holds when it can, so that a message of many small frames
	// takes a few reservations and buffer copies, not one per frame.
	if x.granted {
		if more := max(want, min(2*x.resv, l.eng.opts.MaxMessageSize)); more > want {
			// Only from free room: the finisher's overdraft is for what
			// the message needs, not for headroom.
			if ok, _ := b.reserve(c, more-x.resv, false, more <= budgetSmall, false); ok {
				l.budgetTook(x, more)
				return
			}
		}
	}
	if ok, _ := b.reserve(c, want-x.resv, x.granted, small, false); ok {
		l.budgetTook(x, want)
		return
	}
	if have > x.resv {
		b.adjust(have - x.resv)
		x.resv = have
	}
	ok, w := b.reserve(c, want-have, x.granted, small, true)
	if ok {
		l.budgetTook(x, want)
		return
	}
	x.bw = w
	c.holdInput(holdBudget)
}

// budgetTook records a grant that brings c's reservation to want and
// sizes its message buffer for it, so that appending never reallocates
// (growth by doubling would leave garbage worth the message, unaccounted).
func (l *loop) budgetTook(x *connExtra, want int64) {
	x.resv, x.granted = want, true
	if int64(cap(x.msg.B)) < want {
		nb := make([]byte, len(x.msg.B), want)
		copy(nb, x.msg.B)
		x.msg.B = nb
	}
}

// budgetGranted resumes a connection whose queued request was granted.
func (l *loop) budgetGranted(w *budgetWait) {
	c := w.c
	x := c.x.Load()
	if c.state == stateClosed || x == nil || x.bw != w || x.msg == nil {
		l.eng.budget.adjust(-w.n) // closed meanwhile
		return
	}
	x.bw = nil
	l.budgetTook(x, x.resv+w.n)
	l.releaseInput(c, holdBudget)
}

// budgetExpired closes a connection that waited BufferWait for its grant.
func (l *loop) budgetExpired(w *budgetWait) {
	c := w.c
	if x := c.x.Load(); c.state == stateClosed || x == nil || x.bw != w {
		return
	}
	l.closeOverBudget(c)
}

// closeOverBudget closes c with 1013 (Try Again Later). The close frame is
// followed by a lingering close, so that a peer still sending reads it
// rather than a reset. Loop only.
func (l *loop) closeOverBudget(c *Conn) {
	if x := c.x.Load(); x != nil && x.bw != nil {
		l.eng.budget.cancel(x.bw)
		x.bw = nil
	}
	c.gate &^= holdBudget
	l.eng.metrics.BudgetCloses.Add(1)
	setFlag(&c.lflags, lLinger, true)
	l.fail(c, errOverBudget)
}

// budgetMessageDone gives back c's reservation once its message is
// delivered (after a worker inflated it, when it had one). Loop only.
func (l *loop) budgetMessageDone(c *Conn, x *connExtra) {
	if b := l.eng.budget; b != nil && (x.resv > 0 || x.granted) {
		b.messageDone(c, x.resv)
		x.resv, x.granted = 0, false
	}
}

// countOutbound brings the budget's count of c's outbound queue to queued.
// Loop only.
func (l *loop) countOutbound(c *Conn, queued int) {
	x := c.x.Load()
	var counted int32
	if x != nil {
		counted = x.outCounted
	}
	q := clamp32(queued)
	if q == counted {
		return
	}
	x = c.ext()
	x.outCounted = q
	l.eng.budget.adjust(int64(q) - int64(counted))
}

// releaseBudget gives back everything c holds when it closes. Loop only.
func (l *loop) releaseBudget(c *Conn, x *connExtra) {
	b := l.eng.budget
	if b == nil || x == nil {
		return
	}
	if x.bw != nil {
		b.cancel(x.bw)
		x.bw = nil
	}
	c.gate &^= holdBudget
	if c.gate&holdInflating == 0 {
		l.budgetMessageDone(c, x)
	}
	if x.outCounted != 0 {
		b.adjust(-int64(x.outCounted))
		x.outCounted = 0
	}
}

// dropped records that a large message buffer of n bytes was left to the
// garbage collector. With the default GOGC the collector lets garbage grow
// to the size of the live heap before it runs, so a server holding its
// whole budget could reach twice the budget in RSS as messages complete
// and are replaced. Once a quarter of the budget is garbage, one
// collection runs on its own goroutine (one at a time; byte buffers are
// not scanned, so it costs little), and the freed memory is reused by the
// next large messages instead of new memory from the OS.
func (b *budget) dropped(n int64) {
	if b.garbage.Add(n) < b.limit/4 || !b.collecting.CompareAndSwap(false, true) {
		return
	}
	b.garbage.Store(0)
	go func() {
		runtime.GC()
		b.collecting.Store(false)
	}()
}

// putLarge returns a message or outbound buffer to the pool (putBuf),
// telling the budget when it is large enough to be left to the collector.
func (e *Engine) putLarge(buf *bytebufferpool.ByteBuffer) {
	if buf != nil && cap(buf.B) > dropBufferAbove && e.budget != nil {
		e.budget.dropped(int64(cap(buf.B)))
	}
	putBuf(buf)
}

// BudgetInUse returns the bytes the memory budget counts now: reserved for
// messages being received or inflated, and queued for sending.
func (e *Engine) BudgetInUse() int64 {
	if e.budget == nil {
		return 0
	}
	return e.budget.used.Load()
}

// BudgetWaiting returns how many connections wait for the memory budget.
func (e *Engine) BudgetWaiting() int {
	if e.budget == nil {
		return 0
	}
	return int(e.budget.waiting.Load())
}
