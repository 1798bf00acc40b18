package engine

import (
	"sync"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/internal/guard"
)

// Large compressed messages are inflated off the event loop.
//
// A message of a few hundred bytes on the wire can inflate to the whole
// decompressed-size limit (16 MiB by default): a compression bomb, or just
// a large compressible message. Inflating that on the loop stalls every
// other connection of the loop for as long as it takes (165 ms for 16 MiB
// into a cold buffer, plus the GC work of growing the buffer, which delays
// every goroutine). So the loop inflates a message only up to
// Options.InflateInline bytes of output; past that it copies the
// compressed payload, stops reading the connection (like AcceptData off,
// but bounded by MaxPausedBytes plus one message) and hands the message to
// a small pool of worker goroutines. The worker sizes it without storing
// the output (a bomb ends there, with 1009 and nothing allocated),
// inflates it into one exact buffer and validates UTF-8, then posts the
// result back to the loop, which delivers it and resumes reading. If
// AcceptData went off meanwhile, the result is parked (up to
// DecompressedLimit bytes, one message per connection) and input waits
// behind it until AcceptData is on again or the server starts closing.
// With MaxMessageSize and DecompressedLimit unlimited, so are these bounds. Ordering holds because
// the connection reads nothing else meanwhile; the Inflater is the
// worker's alone until then (the loop does not touch it while
// holdInflating holds the connection's input, even if it closes). See
// gate.go for the other reasons input waits.

// inflateJob is one message inflated off the loop.
type inflateJob struct {
	c     *Conn
	f     *codec.Inflater
	op    codec.OpCode
	in    *bytebufferpool.ByteBuffer // the compressed payload (a copy)
	limit int64
	out   []byte
	err   error
}

// workerPool runs jobs on at most max goroutines; the rest wait in a FIFO
// without a goroutine. Goroutines exit when the queue is empty.
type workerPool struct {
	mu      sync.Mutex
	max     int
	running int
	queue   []*inflateJob
}

// submit runs j.run on a worker, now or when one is free. Safe from any
// goroutine.
func (p *workerPool) submit(j *inflateJob) {
	p.mu.Lock()
	if p.running >= p.max {
		p.queue = append(p.queue, j)
		p.mu.Unlock()
		return
	}
	p.running++
	p.mu.Unlock()
	go p.work(j)
}

func (p *workerPool) work(j *inflateJob) {
	for j != nil {
		j.run()
		p.mu.Lock()
		j = nil
		if len(p.queue) > 0 {
			j = p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			if len(p.queue) == 0 {
				p.queue = nil // let the backing array go
			}
		} else {
			p.running--
		}
		p.mu.Unlock()
	}
}

// errConnGone marks a job skipped because its connection closed.
var errConnGone = &codec.ProtocolError{Code: codec.CloseGoingAway, Reason: "connection closed"}

// errEngineStopped marks a job skipped because the engine stopped.
var errEngineStopped = &codec.ProtocolError{Code: codec.CloseGoingAway, Reason: "server stopped"}

// run inflates the message on a worker and posts the result to the loop.
func (j *inflateJob) run() {
	e := j.c.loop.eng
	defer func() {
		putBuf(j.in)
		j.in = nil
		if j.err != errEngineStopped {
			j.c.loop.post(j.done)
		}
	}()
	select {
	case <-e.stopped:
		j.err = errEngineStopped // the loops are gone: nobody would take the result
		return
	default:
	}
	c := j.c
	c.mu.Lock()
	gone := c.state == stateClosed
	c.mu.Unlock()
	if gone {
		j.err = errConnGone // queued behind others, and the client left meanwhile
		return
	}
	// A panic in the inflater is a bug: it fails this connection like a
	// handler panic (counted now, reported and closed with 1011 by done),
	// never the process.
	if p := guard.Run(j.inflate); p != nil {
		e.countPanic()
		j.err, j.out = p, nil
	}
}

// inflate sizes the message, inflates it and validates UTF-8. Size first,
// then one exact buffer: a bomb allocates nothing, and a large message one
// buffer instead of a doubling series, whose GC work would delay the
// loops' goroutines.
func (j *inflateJob) inflate() {
	var n int64
	if n, j.err = j.f.InflatedSize(j.in.B, j.limit); j.err == nil {
		j.out, j.err = j.f.Inflate(make([]byte, 0, n), j.in.B, j.limit)
	}
	if j.err == nil && j.op == codec.OpText {
		var v codec.UTF8Validator
		if !v.Write(j.out) || !v.Complete() {
			j.err, j.out = errInvalidUTF8, nil
		}
	}
}

// inflateAsync hands a compressed message that inflates to more than
// InflateInline bytes to a worker, and stops reading c until it is
// delivered. Loop only.
func (l *loop) inflateAsync(c *Conn, x *connExtra, op codec.OpCode, payload []byte) {
	in := getBuf()
	in.B = append(in.B[:0], payload...)
	c.holdInput(holdInflating)
	l.eng.metrics.InflatedOffLoop.Add(1)
	l.eng.inflaters.submit(&inflateJob{c: c, f: x.inflater, op: op, in: in, limit: l.eng.opts.DecompressedLimit})
}

// done takes a worker's result on the loop: it fails the connection, or
// delivers the message and resumes reading. If AcceptData was turned off
// meanwhile the message waits for it (resumeInput delivers it first).
func (j *inflateJob) done(l *loop) {
	c := j.c
	c.gate &^= holdInflating
	if c.state == stateClosed {
		// OnClose left the Inflater to the worker; nothing else is held.
		j.f.Release()
		if x := c.x.Load(); x != nil {
			l.budgetMessageDone(c, x)
		}
		return
	}
	if x := c.x.Load(); x != nil {
		l.budgetMessageDone(c, x)
	}
	if p, ok := j.err.(*PanicError); ok {
		l.userError(c, p)
		l.abort(c, codec.CloseInternalError, "internal error")
		return
	}
	if j.err != nil {
		l.fail(c, j.err)
		return
	}
	if c.inputStalled() {
		c.ext().parked = j
		c.holdInput(holdParked)
		return
	}
	j.deliver(l)
	l.resumeInput(c)
}

// deliver hands the inflated message to the handler, unless the
// connection failed or received a close meanwhile.
func (j *inflateJob) deliver(l *loop) {
	if j.c.lflags&(lFailed|lCloseRecv) == 0 {
		l.dispatch(j.c, j.op, j.out)
	}
	j.out = nil
}
