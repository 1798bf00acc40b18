package engine

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// testHandler echoes data messages and counts events; it is the handler of
// the engine-level tests and benchmarks.
type testHandler struct {
	eng          *Engine
	echo         bool
	connected    atomic.Int64
	disconnected atomic.Int64
	mu           sync.Mutex
	errs         []error
}

func (h *testHandler) Accept(netip.AddrPort, netip.AddrPort) bool       { return true }
func (h *testHandler) OpenRequest(*Conn, *codec.Request, *OpenResponse) {}
func (h *testHandler) Connected(*Conn)                                  { h.connected.Add(1) }
func (h *testHandler) Disconnected(*Conn, uint16, string)               { h.disconnected.Add(1) }
func (h *testHandler) ReadyToSend(*Conn)                                {}
func (h *testHandler) Log(*Conn, int, string, ...slog.Attr)             {}
func (h *testHandler) LogLevel() int                                    { return 0 }
func (h *testHandler) Error(_ *Conn, err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}
func (h *testHandler) Data(c *Conn, op codec.OpCode, data []byte, eom bool) {
	if h.echo && op != codec.OpPong {
		_ = c.Send(op, data, CompressAuto)
	}
}

// startEngine runs an engine on 127.0.0.1 and stops it at the end of the test.
func startEngine(tb testing.TB, opts Options, echo bool) (*Engine, *testHandler) {
	tb.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.NumLoops == 0 {
		opts.NumLoops = 2
	}
	h := &testHandler{echo: echo}
	e, err := New(opts, h)
	if err != nil {
		tb.Fatal(err)
	}
	h.eng = e
	if err := e.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	return e, h
}

// upgradeRequest is a valid upgrade request.
const upgradeRequest = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// rawUpgrade opens a TCP connection and completes the handshake by hand.
func rawUpgrade(tb testing.TB, addr string, local net.IP) (net.Conn, *bufio.Reader) {
	tb.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(c, upgradeRequest); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		tb.Fatalf("upgrade: %v %v", resp, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, br
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// An idle engine burns (almost) no CPU. gnet's ticker, turned on with a
// zero-delay OnTick, used to spin a quarter of a core. Not parallel: it
// measures the process's CPU time.
func TestIdleEngineCPU(t *testing.T) {
	e, _ := startEngine(t, Options{}, true)
	c, _ := rawUpgrade(t, "127.0.0.1:"+itoa(e.Port()), nil)
	defer c.Close()
	time.Sleep(100 * time.Millisecond)
	before := cpuTime()
	time.Sleep(time.Second)
	if used := cpuTime() - before; used > 100*time.Millisecond {
		t.Errorf("idle engine used %v of CPU in 1s", used)
	}
}

// Broadcast hands one task to each loop and reaches every connection.
func TestBroadcastEveryLoop(t *testing.T) {
	t.Parallel()
	e, h := startEngine(t, Options{NumLoops: 3}, false)
	addr := "127.0.0.1:" + itoa(e.Port())
	var conns []net.Conn
	var readers []*bufio.Reader
	for range 12 {
		c, br := rawUpgrade(t, addr, nil)
		defer c.Close()
		conns = append(conns, c)
		readers = append(readers, br)
	}
	for h.connected.Load() < 12 {
		time.Sleep(time.Millisecond)
	}
	if n := e.Broadcast(codec.OpText, []byte("all"), nil); n != 3 {
		t.Errorf("Broadcast used %d loops, want 3", n)
	}
	for i, br := range readers {
		_ = conns[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := ws.ReadFrame(br)
		if err != nil || string(f.Payload) != "all" {
			t.Fatalf("conn %d: %q %v", i, f.Payload, err)
		}
	}
}

// Timers: a paused connection's handshake deadline, a close wait and an
// idle check all run on the loop's deadline heap; Stop closes everything.
func TestStopClosesConnections(t *testing.T) {
	t.Parallel()
	e, h := startEngine(t, Options{}, true)
	c, _ := rawUpgrade(t, "127.0.0.1:"+itoa(e.Port()), nil)
	defer c.Close()
	half, err := net.Dial("tcp", "127.0.0.1:"+itoa(e.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	for e.ConnectionCount() < 2 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	for _, conn := range []net.Conn{c, half} {
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(conn); err != nil && !strings.Contains(err.Error(), "reset") {
			t.Errorf("read after Stop: %v", err)
		}
	}
	if h.disconnected.Load() != 1 {
		t.Errorf("Disconnected %d times, want 1 (the upgraded connection)", h.disconnected.Load())
	}
	if e.Running() || e.Listening() {
		t.Errorf("Running %v Listening %v after Stop", e.Running(), e.Listening())
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
