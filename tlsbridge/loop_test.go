package tlsbridge

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testLoop plays the event loop for one connection: a reader goroutine
// turns the server end of a net.Pipe into chunks, and the loop goroutine
// feeds them to the Conn, runs the transport's queued tasks (WriteAsync,
// Wake) in order, and writes whatever Feed/Encrypt produce.
type testLoop struct {
	tb   testing.TB
	c    *Conn
	srv  net.Conn
	seg  int  // feed ciphertext in segments of this size (0: as read)
	echo bool // encrypt delivered plaintext back

	mu      sync.Mutex
	tasks   []func()
	notify  chan struct{}
	reads   chan []byte
	calls   chan func()
	stopC   chan struct{}
	done    chan struct{}
	errC    chan error // first Feed error, or nil when the pipe closed
	scratch []byte
	outBuf  []byte
	echoBuf []byte

	released  atomic.Bool
	lateCalls atomic.Int32 // transport calls after Release
	wakes     atomic.Int32
	feeds     atomic.Int64  // Feed calls with ciphertext
	hsDone    chan struct{} // closed when the server handshake completed
	gotMu     sync.Mutex
	got       []byte // delivered plaintext when !echo
	lastErr   error
}

// newTestLoop starts a loop for a new Conn of b and returns it with the
// client end of the pipe.
func newTestLoop(tb testing.TB, b *Bridge, seg int, echo bool) (*testLoop, net.Conn) {
	cli, srv := net.Pipe()
	l := &testLoop{
		tb: tb, srv: srv, seg: seg, echo: echo,
		notify:  make(chan struct{}, 1),
		reads:   make(chan []byte),
		calls:   make(chan func()),
		stopC:   make(chan struct{}),
		done:    make(chan struct{}),
		errC:    make(chan error, 1),
		hsDone:  make(chan struct{}),
		scratch: make([]byte, 0, 16384),
	}
	l.c = b.NewConn((*loopTransport)(l), srv.RemoteAddr(), srv.LocalAddr())
	go l.readLoop()
	go l.run()
	return l, cli
}

type loopTransport testLoop

func (t *loopTransport) WriteAsync(p []byte) error {
	l := (*testLoop)(t)
	if l.released.Load() {
		l.lateCalls.Add(1)
	}
	l.enqueue(func() { l.write(p) })
	return nil
}

func (t *loopTransport) Wake() error {
	l := (*testLoop)(t)
	if l.released.Load() {
		l.lateCalls.Add(1)
	}
	l.wakes.Add(1)
	l.enqueue(func() { l.feed(nil) })
	return nil
}

func (l *testLoop) enqueue(f func()) {
	l.mu.Lock()
	l.tasks = append(l.tasks, f)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *testLoop) readLoop() {
	for {
		buf := make([]byte, 32<<10)
		n, err := l.srv.Read(buf)
		if n > 0 {
			select {
			case l.reads <- buf[:n]:
			case <-l.stopC:
				return
			}
		}
		if err != nil {
			close(l.reads)
			return
		}
	}
}

func (l *testLoop) run() {
	defer close(l.done)
	for {
		var err error
		select {
		case b, ok := <-l.reads:
			if !ok {
				l.fail(nil)
				return
			}
			for len(b) > 0 && err == nil {
				n := len(b)
				if l.seg > 0 && n > l.seg {
					n = l.seg
				}
				err = l.feed(b[:n])
				b = b[n:]
			}
		case <-l.notify:
			l.mu.Lock()
			tasks := l.tasks
			l.tasks = nil
			l.mu.Unlock()
			for _, f := range tasks {
				f()
			}
			err = l.lastErr
		case f := <-l.calls:
			f()
		case <-l.stopC:
			return
		}
		if err != nil {
			l.fail(err)
			return
		}
	}
}

// fail releases the Conn, closes the pipe and reports err.
func (l *testLoop) fail(err error) {
	l.released.Store(true)
	l.c.Release()
	l.srv.Close()
	l.errC <- err
}

func (l *testLoop) feed(ct []byte) error {
	if l.lastErr != nil {
		return l.lastErr
	}
	if len(ct) > 0 {
		l.feeds.Add(1)
	}
	out, err := l.c.Feed(ct, l.scratch, l.outBuf[:0], l.deliver)
	if l.c.HandshakeDone() {
		select {
		case <-l.hsDone:
		default:
			close(l.hsDone)
		}
	}
	if err == nil && len(l.echoBuf) > 0 {
		out, err = l.c.Encrypt(out, l.echoBuf)
		l.echoBuf = l.echoBuf[:0]
	}
	l.write(out)
	l.outBuf = out[:0]
	if err != nil {
		l.lastErr = err
	}
	return err
}

func (l *testLoop) deliver(p []byte) error {
	if l.echo {
		l.echoBuf = append(l.echoBuf, p...)
		return nil
	}
	l.gotMu.Lock()
	l.got = append(l.got, p...)
	l.gotMu.Unlock()
	return nil
}

func (l *testLoop) write(p []byte) {
	if len(p) == 0 {
		return
	}
	// Errors surface as a closed pipe on the reader side.
	_, _ = l.srv.Write(p)
}

// do runs f on the loop and waits for it.
func (l *testLoop) do(f func()) {
	ran := make(chan struct{})
	select {
	case l.calls <- func() { f(); close(ran) }:
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			l.tb.Fatal("loop call did not return")
		}
	case <-l.done:
		l.tb.Fatal("loop already ended")
	case <-time.After(10 * time.Second):
		l.tb.Fatal("loop did not run the call")
	}
}

// stop ends the loop goroutine without releasing the Conn and returns it;
// the caller then owns the Conn (for benchmarks and memory measurements).
func (l *testLoop) stop() *Conn {
	close(l.stopC)
	<-l.done
	return l.c
}

// wait returns the loop's final error (nil when the pipe just closed).
func (l *testLoop) wait(d time.Duration) error {
	select {
	case err := <-l.errC:
		return err
	case <-time.After(d):
		l.tb.Fatal("loop did not end")
		return nil
	}
}

// handshakeClient runs a TLS client handshake over cli with a deadline.
func handshakeClient(tb testing.TB, cli net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	tb.Helper()
	tc := tls.Client(cli, cfg)
	_ = cli.SetDeadline(time.Now().Add(20 * time.Second))
	err := tc.Handshake()
	_ = cli.SetDeadline(time.Time{})
	return tc, err
}

// mustBridge builds a Bridge or fails the test.
func mustBridge(tb testing.TB, cfg Config) *Bridge {
	tb.Helper()
	b, err := NewBridge(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// waitHandshake waits (bounded) until the server side completed its
// handshake: a TLS 1.3 client finishes before the server has read its
// Finished message.
func (l *testLoop) waitHandshake() {
	l.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var done bool
		l.do(func() { done = l.c.HandshakeDone() })
		if done {
			return
		}
		if time.Now().After(deadline) {
			l.tb.Fatal("server handshake did not complete")
		}
		time.Sleep(time.Millisecond)
	}
}
