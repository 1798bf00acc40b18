package tlsbridge

import (
	"bytes"
	"crypto/tls"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// capConn lets a client's writes go to memory once capture is set.
type capConn struct {
	net.Conn
	mu      sync.Mutex
	capture *bytes.Buffer
}

func (c *capConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	buf := c.capture
	c.mu.Unlock()
	if buf != nil {
		return buf.Write(p)
	}
	return c.Conn.Write(p)
}

func (c *capConn) setCapture(b *bytes.Buffer) {
	c.mu.Lock()
	c.capture = b
	c.mu.Unlock()
}

type nopTransport struct{}

func (nopTransport) WriteAsync([]byte) error { return nil }
func (nopTransport) Wake() error             { return nil }

// established returns a server Conn owned by the caller (its loop
// stopped) and the client talking to it.
func established(tb testing.TB, b *Bridge, ccfg *tls.Config) (*Conn, *tls.Conn, *capConn, *testLoop) {
	tb.Helper()
	l, cli := newTestLoop(tb, b, 0, false)
	cc := &capConn{Conn: cli}
	tc, err := handshakeClient(tb, cc, ccfg)
	if err != nil {
		tb.Fatal(err)
	}
	select {
	case <-l.hsDone:
	case <-time.After(10 * time.Second):
		tb.Fatal("server handshake did not complete")
	}
	c := l.stop()
	return c, tc, cc, l
}

func BenchmarkEncrypt16K(b *testing.B) {
	br := mustBridge(b, Config{TLS: serverTLS(b)})
	c, _, cc, _ := established(b, br, clientTLS(b))
	defer cc.Close()
	msg := make([]byte, 16384)
	dst := make([]byte, 0, 64<<10)
	for i := 0; i < 64; i++ { // past dynamic record sizing
		dst, _ = c.Encrypt(dst[:0], msg)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if dst, err = c.Encrypt(dst[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFeedDecrypt16K(b *testing.B) {
	br := mustBridge(b, Config{TLS: serverTLS(b)})
	c, tc, cc, _ := established(b, br, clientTLS(b))
	defer cc.Close()
	msg := make([]byte, 16384)
	var wire bytes.Buffer
	cc.setCapture(&wire)
	const batch = 64
	var recs [][]byte
	fill := func() {
		wire.Reset()
		recs = recs[:0]
		for i := 0; i < batch; i++ {
			start := wire.Len()
			if _, err := tc.Write(msg); err != nil {
				b.Fatal(err)
			}
			recs = append(recs, wire.Bytes()[start:wire.Len()])
		}
	}
	scratch := make([]byte, 0, 16384)
	out := make([]byte, 0, 1024)
	got := 0
	deliver := func(p []byte) error { got += len(p); return nil }
	feedAll := func(n int) {
		for _, r := range recs[:n] {
			var err error
			if out, err = c.Feed(r, scratch, out[:0], deliver); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := 0; i < 16; i++ { // past the client's dynamic record sizing
		fill()
		feedAll(batch)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		fill()
		b.StartTimer()
		n := min(batch, b.N-done)
		feedAll(n)
		done += n
	}
	b.StopTimer()
	if got < b.N*len(msg) {
		b.Fatalf("delivered %d bytes, want at least %d", got, b.N*len(msg))
	}
}

func BenchmarkHandshake(b *testing.B) {
	b.Run("bridge", func(b *testing.B) {
		br := mustBridge(b, Config{TLS: serverTLS(b)})
		ccfg := clientTLS(b)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			l, cli := newTestLoop(b, br, 0, false)
			if _, err := handshakeClient(b, cli, ccfg); err != nil {
				b.Fatal(err)
			}
			<-l.hsDone
			cli.Close()
			l.wait(10 * time.Second)
		}
	})
	b.Run("goroutine", func(b *testing.B) {
		scfg := serverTLS(b)
		ccfg := clientTLS(b)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cli, srv := net.Pipe()
			errc := make(chan error, 1)
			go func() {
				errc <- tls.Server(srv, scfg).Handshake()
			}()
			if _, err := handshakeClient(b, cli, ccfg); err != nil {
				b.Fatal(err)
			}
			if err := <-errc; err != nil {
				b.Fatal(err)
			}
			cli.Close()
			srv.Close()
		}
	})
}

// BenchmarkIdleConnHeap measures the heap held per established, idle
// server Conn (client and test loop excluded). Run it with -benchtime=1x.
func BenchmarkIdleConnHeap(b *testing.B) {
	const n = 1000
	for _, tt := range []struct {
		name string
		msg  int // bytes exchanged each way before going idle
	}{{"fresh", 0}, {"after16KiB", 16384}} {
		b.Run(tt.name, func(b *testing.B) {
			br := mustBridge(b, Config{TLS: serverTLS(b)})
			ccfg := clientTLS(b)
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			conns := make([]*Conn, 0, n)
			for i := 0; i < n; i++ {
				c, tc, cc, l := established(b, br, ccfg)
				if tt.msg > 0 {
					exchange(b, c, tc, cc, tt.msg)
				}
				cc.Close()
				l.srv.Close()
				c.t = nopTransport{} // drop the test loop
				conns = append(conns, c)
			}
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&ms1)
			per := float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / n
			runtime.KeepAlive(conns)
			b.ReportMetric(per, "heapB/conn")
			b.ReportMetric(float64(unsafe.Sizeof(Conn{})), "sizeofConn")
			for _, c := range conns {
				c.Release()
			}
		})
	}
}

// exchange sends size bytes from the client to c and back, with the loop
// stopped: ciphertext goes through memory.
func exchange(tb testing.TB, c *Conn, tc *tls.Conn, cc *capConn, size int) {
	var wire bytes.Buffer
	cc.setCapture(&wire)
	if _, err := tc.Write(make([]byte, size)); err != nil {
		tb.Fatal(err)
	}
	got := 0
	scratch := make([]byte, 0, 16384)
	if _, err := c.Feed(wire.Bytes(), scratch, nil, func(p []byte) error { got += len(p); return nil }); err != nil || got != size {
		tb.Fatalf("exchange: got %d, %v", got, err)
	}
	if _, err := c.Encrypt(nil, make([]byte, size)); err != nil {
		tb.Fatal(err)
	}
}
