package tlsbridge

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoRoundTrip writes msg from the client (in its own goroutine, so that
// big messages cannot deadlock the pipe) and reads the echo back.
func echoRoundTrip(t *testing.T, tc *tls.Conn, msg []byte) {
	t.Helper()
	_ = tc.SetDeadline(time.Now().Add(60 * time.Second))
	defer func() { _ = tc.SetDeadline(time.Time{}) }()
	werr := make(chan error, 1)
	go func() {
		_, err := tc.Write(msg)
		werr <- err
	}()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(tc, got); err != nil {
		t.Fatalf("read echo of %d bytes: %v", len(msg), err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write %d bytes: %v", len(msg), err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes differs", len(msg))
	}
}

func randomBytes(t testing.TB, n int) []byte {
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEcho(t *testing.T) {
	versions := []struct {
		name string
		v    uint16
	}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}
	feeds := []struct {
		name  string
		seg   int
		sizes []int
	}{
		{"whole", 0, []int{1, 16384, 16385, 4 << 20}},
		{"7-byte", 7, []int{1, 16384, 16385, 100000}},
	}
	for _, v := range versions {
		for _, f := range feeds {
			t.Run(v.name+"/"+f.name, func(t *testing.T) {
				b := mustBridge(t, Config{TLS: serverTLS(t)})
				l, cli := newTestLoop(t, b, f.seg, true)
				ccfg := clientTLS(t)
				ccfg.MinVersion, ccfg.MaxVersion = v.v, v.v
				tc, err := handshakeClient(t, cli, ccfg)
				if err != nil {
					t.Fatal(err)
				}
				if got := tc.ConnectionState().Version; got != v.v {
					t.Fatalf("version %x, want %x", got, v.v)
				}
				total := 0
				for _, n := range f.sizes {
					echoRoundTrip(t, tc, randomBytes(t, n))
					total += n
				}
				if f.seg > 0 && l.feeds.Load() < int64(total/f.seg) {
					t.Fatalf("%d Feed calls for %d bytes in %d-byte segments", l.feeds.Load(), total, f.seg)
				}
				var st tls.ConnectionState
				var ok bool
				l.do(func() { st, ok = l.c.State() })
				if !ok || st.Version != v.v || !st.HandshakeComplete {
					t.Fatalf("server state ok=%v version=%x complete=%v", ok, st.Version, st.HandshakeComplete)
				}
				// close_notify from the client ends Feed with io.EOF.
				if err := tc.Close(); err != nil {
					t.Fatal(err)
				}
				if err := l.wait(10 * time.Second); err != io.EOF {
					t.Fatalf("after client close_notify: %v, want io.EOF", err)
				}
				if n := l.lateCalls.Load(); n != 0 {
					t.Fatalf("%d transport calls after Release", n)
				}
			})
		}
	}
}

func TestServerCloseNotify(t *testing.T) {
	b := mustBridge(t, Config{TLS: serverTLS(t)})
	l, cli := newTestLoop(t, b, 0, false)
	tc, err := handshakeClient(t, cli, clientTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	l.waitHandshake()
	var out []byte
	l.do(func() {
		var err error
		out, err = l.c.Encrypt(nil, []byte("bye"))
		if err != nil {
			t.Error(err)
		}
		out = l.c.CloseNotify(out)
	})
	go l.write(out) // the client reads below
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(tc)
	if err != nil || string(got) != "bye" {
		t.Fatalf("client read %q, %v; want \"bye\" then clean EOF", got, err)
	}
	l.do(func() {
		if _, err := l.c.Encrypt(nil, []byte("x")); err == nil {
			t.Error("Encrypt after CloseNotify succeeded")
		}
	})
	// The server still reads after its close_notify.
	if _, err := tc.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.gotMu.Lock()
		g := string(l.got)
		l.gotMu.Unlock()
		if g == "late" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server got %q, want \"late\"", g)
		}
		time.Sleep(time.Millisecond)
	}
	tc.Close()
	if err := l.wait(10 * time.Second); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

func TestEncryptCoalesces(t *testing.T) {
	scfg := serverTLS(t)
	scfg.DynamicRecordSizingDisabled = true // full-size records from the start
	b := mustBridge(t, Config{TLS: scfg})
	l, cli := newTestLoop(t, b, 0, false)
	tc, err := handshakeClient(t, cli, clientTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	l.waitHandshake()
	big := randomBytes(t, 40000)
	pieces := [][]byte{[]byte("ab"), {}, big[:10], big[10:16390], big[16390:], []byte("z")}
	want := bytes.Join(pieces, nil)
	var out []byte
	l.do(func() {
		var err error
		if out, err = l.c.Encrypt(nil, pieces...); err != nil {
			t.Error(err)
		}
	})
	// Count records: the 40003 bytes fit in 3 records of at most 16 KiB.
	records := 0
	for p := out; len(p) >= 5; records++ {
		p = p[5+(int(p[3])<<8|int(p[4])):]
	}
	if records != 3 {
		t.Errorf("%d records for %d bytes, want 3", records, len(want))
	}
	go l.write(out)
	got := make([]byte, len(want))
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(tc, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read: %v, equal=%v", err, bytes.Equal(got, want))
	}
	l.do(func() {
		if out, err := l.c.Encrypt(nil); err != nil || len(out) != 0 {
			t.Errorf("Encrypt() = %d bytes, %v", len(out), err)
		}
	})
}

func TestClientAuth(t *testing.T) {
	a, bCA := pkis(t)
	cases := []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"good cert", []tls.Certificate{a.client}, true},
		{"no cert", nil, false},
		{"wrong CA", []tls.Certificate{bCA.client}, false},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range cases {
			t.Run(fmt.Sprintf("%s/%x", tt.name, v), func(t *testing.T) {
				scfg := serverTLS(t)
				scfg.ClientAuth = tls.RequireAndVerifyClientCert
				scfg.ClientCAs = a.pool
				b := mustBridge(t, Config{TLS: scfg})
				l, cli := newTestLoop(t, b, 0, true)
				ccfg := clientTLS(t)
				ccfg.Certificates = tt.certs
				ccfg.MaxVersion = v
				tc, herr := handshakeClient(t, cli, ccfg)
				if tt.ok {
					if herr != nil {
						t.Fatal(herr)
					}
					echoRoundTrip(t, tc, []byte("hello"))
					var st tls.ConnectionState
					l.do(func() { st, _ = l.c.State() })
					if len(st.PeerCertificates) != 1 || st.PeerCertificates[0].Subject.CommonName != "test client" {
						t.Fatalf("peer certificates %v", st.PeerCertificates)
					}
					tc.Close()
					if err := l.wait(10 * time.Second); err != io.EOF {
						t.Fatalf("got %v, want io.EOF", err)
					}
					return
				}
				// In TLS 1.3 the client finishes before the server checks its
				// certificate, so the failure may only show on the first read.
				if herr == nil {
					_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
					_, herr = tc.Read(make([]byte, 1))
				}
				if herr == nil {
					t.Fatal("client without a valid certificate was accepted")
				}
				err := l.wait(10 * time.Second)
				if err == nil || errors.Is(err, io.EOF) {
					t.Fatalf("server error %v, want a handshake error", err)
				}
				if n := l.lateCalls.Load(); n != 0 {
					t.Fatalf("%d transport calls after Release", n)
				}
			})
		}
	}
}

func TestALPNAndSNI(t *testing.T) {
	b := mustBridge(t, Config{TLS: serverTLS(t)})
	l, cli := newTestLoop(t, b, 0, true)
	ccfg := clientTLS(t)
	ccfg.ServerName = "localhost"
	ccfg.NextProtos = []string{"h2", "http/1.1"}
	tc, err := handshakeClient(t, cli, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	l.waitHandshake()
	var st tls.ConnectionState
	var ok bool
	l.do(func() { st, ok = l.c.State() })
	if !ok || st.ServerName != "localhost" || st.NegotiatedProtocol != "http/1.1" {
		t.Fatalf("ok=%v ServerName=%q NegotiatedProtocol=%q", ok, st.ServerName, st.NegotiatedProtocol)
	}
	tc.Close()
	l.wait(10 * time.Second)
}

func TestHandshakeCap(t *testing.T) {
	const clients, maxHS = 50, 2
	var inCallback, peakCallback atomic.Int32
	scfg := serverTLS(t)
	scfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		n := inCallback.Add(1)
		for {
			p := peakCallback.Load()
			if n <= p || peakCallback.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // let the queue fill
		inCallback.Add(-1)
		return nil, nil
	}
	b := mustBridge(t, Config{TLS: scfg, MaxConcurrentHandshakes: maxHS})
	var wg sync.WaitGroup
	var maxQueued atomic.Int32
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, cli := newTestLoop(t, b, 0, true)
			tc, err := handshakeClient(t, cli, clientTLS(t))
			if err == nil {
				_, q := b.Handshakes()
				if int32(q) > maxQueued.Load() {
					maxQueued.Store(int32(q))
				}
				msg := []byte("ping")
				if _, err = tc.Write(msg); err == nil {
					got := make([]byte, len(msg))
					_, err = io.ReadFull(tc, got)
				}
				tc.Close()
			}
			if lerr := l.wait(20 * time.Second); err == nil && lerr != io.EOF {
				err = lerr
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	b.mu.Lock()
	peak := b.peak
	b.mu.Unlock()
	if peak > maxHS || peakCallback.Load() > maxHS {
		t.Fatalf("peak handshake goroutines %d (in callback %d), cap %d", peak, peakCallback.Load(), maxHS)
	}
	if peak != maxHS {
		t.Errorf("peak %d: the cap was never reached, the test did not exercise the queue", peak)
	}
	// The last handshake goroutine gives its slot back just after its
	// client saw the handshake end: allow it that moment.
	r, q := b.Handshakes()
	for deadline := time.Now().Add(5 * time.Second); (r != 0 || q != 0) && time.Now().Before(deadline); r, q = b.Handshakes() {
		time.Sleep(time.Millisecond)
	}
	if r != 0 || q != 0 {
		t.Fatalf("after all handshakes: running %d queued %d", r, q)
	}
}

// recordTransport records transport calls for tests that drive a Conn by
// hand.
type recordTransport struct {
	mu     sync.Mutex
	writes [][]byte
	wakes  int
	wrote  chan struct{}
}

func newRecordTransport() *recordTransport {
	return &recordTransport{wrote: make(chan struct{}, 1)}
}

func (r *recordTransport) WriteAsync(p []byte) error {
	r.mu.Lock()
	r.writes = append(r.writes, p)
	r.mu.Unlock()
	select {
	case r.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (r *recordTransport) Wake() error {
	r.mu.Lock()
	r.wakes++
	r.mu.Unlock()
	return nil
}

func (r *recordTransport) counts() (writes, wakes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes), r.wakes
}

// clientHello returns the first flight of a real TLS client.
func clientHello(t testing.TB) []byte {
	cli, srv := net.Pipe()
	defer srv.Close()
	go func() {
		tc := tls.Client(cli, clientTLS(t))
		_ = tc.Handshake() // fails when srv closes
		cli.Close()
	}()
	_ = srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(srv, hdr); err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 5+(int(hdr[3])<<8|int(hdr[4])))
	copy(rec, hdr)
	if _, err := io.ReadFull(srv, rec[5:]); err != nil {
		t.Fatal(err)
	}
	return rec
}

// waitGoroutines waits (bounded) until the goroutine count drops to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReleaseStalledHandshake(t *testing.T) {
	hello := clientHello(t)
	waitGoroutines(t, runtime.NumGoroutine()) // let clientHello's goroutine settle
	time.Sleep(20 * time.Millisecond)
	base := runtime.NumGoroutine()
	b := mustBridge(t, Config{TLS: serverTLS(t), MaxConcurrentHandshakes: 1})
	scratch := make([]byte, 0, 16384)
	noDeliver := func([]byte) error { t.Error("deliver during handshake"); return nil }

	// A runs (stalls waiting for the client's second flight), B queues.
	ta, tb := newRecordTransport(), newRecordTransport()
	ca, cb := b.NewConn(ta, nil, nil), b.NewConn(tb, nil, nil)
	for _, c := range []*Conn{ca, cb} {
		if _, err := c.Feed(hello, scratch, nil, noDeliver); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ta.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("handshake goroutine wrote no server flight")
	}
	if r, q := b.Handshakes(); r != 1 || q != 1 {
		t.Fatalf("running %d queued %d, want 1 and 1", r, q)
	}
	cb.Release()
	if r, q := b.Handshakes(); r != 1 || q != 0 {
		t.Fatalf("after releasing the queued conn: running %d queued %d", r, q)
	}
	ca.Release()
	waitGoroutines(t, base)
	if r, q := b.Handshakes(); r != 0 || q != 0 {
		t.Fatalf("after release: running %d queued %d", r, q)
	}
	if _, wakes := ta.counts(); wakes != 0 {
		t.Fatalf("Wake called %d times after Release", wakes)
	}
	if w, k := tb.counts(); w != 0 || k != 0 {
		t.Fatalf("queued conn used its transport: %d writes %d wakes", w, k)
	}
	if _, err := ca.Feed(hello, scratch, nil, noDeliver); err != ErrClosed {
		t.Fatalf("Feed after Release: %v, want ErrClosed", err)
	}
	ca.Release() // idempotent
}

func TestBadStart(t *testing.T) {
	hello := clientHello(t)
	tooLong := []byte{0x16, 3, 1, 0x40, 0x01} // 16385-byte record
	cases := []struct {
		name    string
		input   []byte
		pending int
		want    error
	}{
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, ErrNotTLS},
		{"one byte", []byte{0x47}, 0, ErrNotTLS},
		{"sslv2", []byte{0x80, 0x2e, 0x01, 0x03, 0x01}, 0, ErrNotTLS},
		{"bad major", []byte{0x16, 2, 0, 0, 10}, 0, ErrNotTLS},
		{"empty record", []byte{0x16, 3, 1, 0, 0}, 0, ErrNotTLS},
		{"oversized record", tooLong, 0, ErrNotTLS},
		{"not a ClientHello", []byte{0x16, 3, 1, 0, 4, 2, 0, 0, 0}, 0, ErrNotTLS},
		{"pending limit", hello, len(hello) - 1, ErrPendingLimit},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			b := mustBridge(t, Config{TLS: serverTLS(t), MaxPendingBytes: tt.pending})
			tr := newRecordTransport()
			c := b.NewConn(tr, nil, nil)
			_, err := c.Feed(tt.input, make([]byte, 0, 64), nil, func([]byte) error { return nil })
			if err != tt.want {
				t.Fatalf("Feed: %v, want %v", err, tt.want)
			}
			if r, q := b.Handshakes(); r != 0 || q != 0 || runtime.NumGoroutine() > base {
				t.Fatalf("handshake started: running %d queued %d", r, q)
			}
			if _, err := c.Feed(hello, nil, nil, nil); err != ErrClosed {
				t.Fatalf("Feed after error: %v", err)
			}
			c.Release()
		})
	}
}

// TestPendingLimitDuringHandshake checks the bound while a handshake runs:
// a client that floods after its ClientHello is cut off.
func TestPendingLimitDuringHandshake(t *testing.T) {
	hello := clientHello(t)
	b := mustBridge(t, Config{TLS: serverTLS(t), MaxPendingBytes: 4096})
	tr := newRecordTransport()
	c := b.NewConn(tr, nil, nil)
	defer c.Release()
	scratch := make([]byte, 0, 64)
	if _, err := c.Feed(hello, scratch, nil, nil); err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 1000)
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = c.Feed(junk, scratch, nil, nil)
	}
	// The goroutine may consume some junk (and fail on it), but it cannot
	// read 10 KB of non-records without failing; either way Feed must
	// error by the time all of it is in, or report the handshake failure.
	if err == nil {
		deadline := time.Now().Add(10 * time.Second)
		for err == nil && time.Now().Before(deadline) {
			if _, wakes := tr.counts(); wakes > 0 {
				_, err = c.Feed(nil, scratch, nil, nil)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err == nil {
		t.Fatal("flood during the handshake was accepted")
	}
}

func TestNewBridgeValidation(t *testing.T) {
	if _, err := NewBridge(Config{}); err != ErrNoTLSConfig {
		t.Fatalf("nil TLS: %v", err)
	}
	if _, err := NewBridge(Config{TLS: &tls.Config{}}); err != ErrNoCertificate {
		t.Fatalf("no certificate: %v", err)
	}
	b := mustBridge(t, Config{TLS: serverTLS(t)})
	if b.maxHS != DefaultMaxConcurrentHandshakes || b.maxPending != DefaultMaxPendingBytes {
		t.Fatalf("defaults not applied: %d %d", b.maxHS, b.maxPending)
	}
	c := b.NewConn(newRecordTransport(), nil, nil)
	if _, err := c.Encrypt(nil, []byte("x")); err != ErrHandshakeNotDone {
		t.Fatalf("Encrypt before handshake: %v", err)
	}
	if _, ok := c.State(); ok || c.HandshakeDone() {
		t.Fatal("state reported before the handshake")
	}
	if out := c.CloseNotify([]byte("keep")); string(out) != "keep" {
		t.Fatalf("CloseNotify before handshake appended %q", out)
	}
	c.Release()
}
