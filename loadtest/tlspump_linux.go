package loadtest

import (
	"crypto/tls"
	"sync"
	"time"
)

// tlsInboundLimit bounds the decrypted bytes a TLS connection may hold for
// its loop; the reader waits while it is over.
const tlsInboundLimit = 1 << 20

// tlsPump connects a crypto/tls connection, which only has blocking calls,
// to a loop: a reader goroutine posts decrypted bytes to the loop and a
// writer goroutine writes what the loop produced. Two goroutines and their
// buffers per connection make wss:// costlier than ws:// on the client side.
type tlsPump struct {
	tc *tls.Conn

	mu      sync.Mutex
	in      []byte // decrypted bytes not yet taken by the loop
	eof     bool   // reader finished
	queued  bool   // in the loop's tlsReady list
	out     []byte // bytes for the writer
	stopped bool
	space   *sync.Cond // reader waits here while in is over the limit
	outSig  chan struct{}

	scratch []byte // loop-owned swap buffer
}

func newTLSPump(tc *tls.Conn) *tlsPump {
	p := &tlsPump{tc: tc, outSig: make(chan struct{}, 1)}
	p.space = sync.NewCond(&p.mu)
	return p
}

// start launches the goroutines; called on the loop when it adopts c.
func (p *tlsPump) start(l *loop, c *conn) {
	go p.reader(l, c)
	go p.writer()
}

func (p *tlsPump) reader(l *loop, c *conn) {
	buf := make([]byte, 16<<10)
	for {
		n, err := p.tc.Read(buf)
		p.mu.Lock()
		p.in = append(p.in, buf[:n]...)
		if err != nil {
			p.eof = true
		}
		post := !p.queued && (n > 0 || err != nil)
		if post {
			p.queued = true
		}
		for len(p.in) > tlsInboundLimit && !p.stopped {
			p.space.Wait()
		}
		stopped := p.stopped
		p.mu.Unlock()
		if post {
			l.postTLS(c)
		}
		if err != nil || stopped {
			return
		}
	}
}

func (p *tlsPump) writer() {
	var buf []byte
	for range p.outSig {
		p.mu.Lock()
		buf, p.out = p.out, buf[:0]
		stopped := p.stopped
		p.mu.Unlock()
		if len(buf) > 0 {
			if _, err := p.tc.Write(buf); err != nil {
				stopped = true
			}
		}
		if stopped {
			break
		}
	}
	p.tc.Close()
}

// write hands bytes to the writer; called on the loop.
func (p *tlsPump) write(b []byte) {
	p.mu.Lock()
	p.out = append(p.out, b...)
	p.mu.Unlock()
	select {
	case p.outSig <- struct{}{}:
	default:
	}
}

// drainInto feeds the bytes the reader collected to c; called on the loop.
func (p *tlsPump) drainInto(c *conn) {
	p.mu.Lock()
	p.scratch, p.in = p.in, p.scratch[:0]
	eof := p.eof
	p.queued = false
	p.space.Signal()
	p.mu.Unlock()
	if len(p.scratch) > 0 {
		c.l.deliver(c, p.scratch)
	}
	if eof && !c.closed {
		c.l.eof(c)
	}
}

// shutdown stops both goroutines: the writer flushes what it has, then
// closes the connection, which ends the reader. Writes are bounded by d.
func (p *tlsPump) shutdown(d time.Duration) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.space.Broadcast()
	p.mu.Unlock()
	_ = p.tc.SetWriteDeadline(time.Now().Add(d))
	select {
	case p.outSig <- struct{}{}:
	default:
	}
}
