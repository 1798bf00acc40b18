package api_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

// Fault injection: every handler the server calls into is made to panic,
// and every path that fires it is driven. After each path the same process
// must serve a fresh client and every connection must be released; at the
// end no goroutine may be left and every panic must have been counted
// exactly once (Metrics.Panics) and reported at most once (OnError, never
// for a panic inside OnError or OnLog).

const faultMaxMessage = 4 << 10 // MaxMessageSize of the fault servers

// faultPath is one way of driving a server. Its client tolerates anything
// the server does (a refused dial, an early close): the checks are made
// afterwards, on the server.
type faultPath struct {
	name string
	tls  bool // runs against the TLS server
	run  func(t reporter, fs *faultServer)
}

// faultServer is a server whose handlers all work (echo) except one, which
// panics while armed.
type faultServer struct {
	srv      *api.Server
	tls      bool
	cli      *tls.Config // client configuration (TLS only)
	armed    atomic.Bool // the faulty handler panics
	fired    atomic.Int64
	reported atomic.Int64 // OnError events carrying a *engine.PanicError
	lastID   atomic.Uint64
	readies  atomic.Int64
	// filterFault: the Broadcast filter is the faulty handler.
	filterFault bool
	fault       string // the faulty handler's name
	fx          *faultFixtures
}

// boom panics if the fault is armed.
func (fs *faultServer) boom() {
	if fs.armed.Load() {
		fs.fired.Add(1)
		panic("injected fault")
	}
}

// fault names a handler and installs a panicking version of it.
type fault struct {
	name    string
	install func(fs *faultServer, ev *api.Events, cfg *api.Config)
	// disarmForCheck: the fresh-client check needs this handler to work.
	disarmForCheck bool
	// dropped: panics here are counted but never reported (OnError, OnLog).
	dropped bool
	fires   []string // paths that must fire the handler
}

var (
	plainPaths = []string{"echo", "slowloris", "bad frame", "invalid UTF-8", "oversized", "mid-frame disconnect",
		"garbage", "http", "full queue", "broadcast", "inflate worker"}
	tlsPaths = []string{"tls echo", "tls slowloris", "tls plain http"}
	// wsPaths open a WebSocket (OpenRequest, Connected, Disconnected fire).
	wsPaths = []string{"echo", "bad frame", "invalid UTF-8", "oversized", "mid-frame disconnect", "full queue",
		"broadcast", "inflate worker", "tls echo"}
)

var faults = []fault{
	{name: "OnConnectionRequest", disarmForCheck: true, fires: append(append([]string{}, plainPaths...), tlsPaths...),
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnConnectionRequest = func(*api.ConnectionRequestEvent) { fs.boom() }
		}},
	{name: "OnWebSocketOpenRequest", disarmForCheck: true, fires: wsPaths,
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnWebSocketOpenRequest = func(*api.WebSocketOpenRequestEvent) { fs.boom() }
		}},
	{name: "OnConnected", disarmForCheck: true, fires: wsPaths,
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			connected := ev.OnConnected
			ev.OnConnected = func(e *api.ConnectedEvent) { connected(e); fs.boom() }
		}},
	{name: "OnDataIn", disarmForCheck: true, fires: []string{"echo", "inflate worker", "tls echo"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			data := ev.OnDataIn
			ev.OnDataIn = func(e *api.DataInEvent) { fs.boom(); data(e) }
		}},
	{name: "OnDisconnected", fires: wsPaths,
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnDisconnected = func(*api.DisconnectedEvent) { fs.boom() }
		}},
	{name: "OnError", dropped: true, fires: []string{"slowloris", "bad frame", "invalid UTF-8", "oversized", "garbage",
		"tls slowloris", "tls plain http"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			onError := ev.OnError
			ev.OnError = func(e *api.ErrorEvent) { onError(e); fs.boom() }
		}},
	{name: "OnLog", dropped: true, fires: append(append([]string{}, plainPaths...), tlsPaths...),
		install: func(fs *faultServer, ev *api.Events, cfg *api.Config) {
			cfg.LogLevel = 3
			ev.OnLog = func(*api.LogEvent) { fs.boom() }
		}},
	{name: "OnReadyToSend", fires: []string{"full queue"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ready := ev.OnReadyToSend
			ev.OnReadyToSend = func(e *api.ReadyToSendEvent) { ready(e); fs.boom() }
		}},
	{name: "OnSSLConnectionRequest", disarmForCheck: true, fires: []string{"tls echo"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnSSLConnectionRequest = func(*api.SSLConnectionRequestEvent) { fs.boom() }
		}},
	{name: "OnSSLClientAuthentication", disarmForCheck: true, fires: []string{"tls echo"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnSSLClientAuthentication = func(*api.SSLClientAuthenticationEvent) { fs.boom() }
		}},
	{name: "OnSSLStatus", disarmForCheck: true, fires: []string{"tls echo"},
		install: func(fs *faultServer, ev *api.Events, _ *api.Config) {
			ev.OnSSLStatus = func(*api.SSLStatusEvent) { fs.boom() }
		}},
	{name: "HTTPHandler", fires: []string{"http"},
		install: func(fs *faultServer, _ *api.Events, cfg *api.Config) {
			cfg.HTTPHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "partial")
				fs.boom()
			})
		}},
	{name: "Broadcast filter", fires: []string{"broadcast"},
		install: func(fs *faultServer, _ *api.Events, _ *api.Config) { fs.filterFault = true }},
}

// filter is the Broadcast filter of the "broadcast" path: it panics when
// the fault under test is the filter.
func (fs *faultServer) filter(api.Target) bool {
	if fs.filterFault {
		fs.boom()
	}
	return true
}

// reporter is what the fault helpers need of a test: *testing.T, or a
// faultRun on its own goroutine.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// faultRun collects the failures of one fault's run, made on goroutines
// of its own so that every fault (and its plain and TLS halves) runs at
// once whatever -parallel is: most of the time is spent waiting for
// deadlines.
type faultRun struct {
	mu   sync.Mutex
	errs []string
}

func (r *faultRun) Helper() {}

func (r *faultRun) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// Fatalf records the failure and ends the calling goroutine (one of the
// run's own).
func (r *faultRun) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// faultFixtures are made once, on the test's goroutine.
type faultFixtures struct {
	ca             *tlsCA
	cert, client   tls.Certificate
	hello          []byte // a TLS ClientHello record
	compressed     []byte // a compressed client frame inflating within MaxMessageSize
	compressedSize int
}

func TestFaultInjection(t *testing.T) {
	// Not parallel: the goroutine check at the end needs the other tests of
	// the package to be quiet (parallel tests start after this one).
	baseline := runtime.NumGoroutine()
	a, _ := testCAs(t)
	fx := &faultFixtures{ca: a, cert: a.leaf(t, "server.example", true), client: a.leaf(t, "fault client", false),
		hello: clientHello(t), compressedSize: faultMaxMessage - 512}
	d := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, 6)
	fx.compressed = compressedFrame(t, d, ws.OpBinary, make([]byte, fx.compressedSize))
	d.Release()
	runs := make([]faultRun, len(faults))
	var wg sync.WaitGroup
	for i, f := range faults {
		for _, secure := range []bool{false, true} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runFault(&runs[i], f, secure, fx)
			}()
		}
	}
	wg.Wait()
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			for _, e := range runs[i].errs {
				t.Error(e)
			}
		})
	}
	if !eventually(10*time.Second, func() bool { return runtime.NumGoroutine() <= baseline }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
	}
}

// runFault drives every path of one kind (plain or TLS) against a server
// whose handler f panics, then shuts it down with a client connected, and
// checks that a new server in the same process serves.
func runFault(t reporter, f fault, secure bool, fx *faultFixtures) {
	must := map[string]bool{}
	for _, p := range f.fires {
		must[p] = true
	}
	fs := startFaultServer(t, f, secure, fx)
	defer fs.stop()
	mustFire := false
	for _, p := range faultPaths {
		if p.tls != secure {
			continue
		}
		mustFire = mustFire || must[p.name]
		delete(must, p.name)
		before := fs.fired.Load()
		fs.armed.Store(true)
		p.run(t, fs)
		if f.fires != nil && slices.Contains(f.fires, p.name) &&
			!eventually(ioWait, func() bool { return fs.fired.Load() > before }) {
			t.Errorf("tls=%v: path %q did not fire %s", secure, p.name, f.name)
		}
		fs.afterPath(t, f, p.name)
	}
	// Shutdown with a client connected: Disconnected and Log fire on the
	// shutdown path.
	before := fs.fired.Load()
	fs.armed.Store(true)
	fs.shutdownPath(t)
	if (f.name == "OnDisconnected" || f.name == "OnLog") && fs.fired.Load() == before {
		t.Errorf("tls=%v: shutdown did not fire %s", secure, f.name)
	}
	fs.checkCounts(t, f, mustFire)
	if secure {
		for p := range must {
			if !slices.ContainsFunc(faultPaths, func(fp faultPath) bool { return fp.name == p }) {
				t.Errorf("path %q is not driven", p)
			}
		}
		return
	}
	// The process still serves: a new server with the same faulty handler.
	fresh := startFaultServer(t, f, false, fx)
	defer fresh.stop()
	fresh.fresh(t, "after shutdown")
}

func startFaultServer(t reporter, f fault, secure bool, fx *faultFixtures) *faultServer {
	t.Helper()
	fs := &faultServer{tls: secure, fault: f.name, fx: fx}
	cfg := api.Config{
		LocalHost: "127.0.0.1", EventLoops: 2, BufferMessage: true,
		DefaultConnectionTimeout: 300 * time.Millisecond,
		MaxMessageSize:           faultMaxMessage,
		CloseTimeout:             2 * time.Second,
		OutBufferSize:            16 << 10,
		MaxOutboundQueue:         64 << 10,
		// Messages inflating past 1 KiB go to an inflate worker.
		Compression: api.Compression{Enabled: true, InlineInflateSize: 1 << 10},
		HTTPHandler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok")
		}),
	}
	ev := api.Events{
		OnConnected: func(e *api.ConnectedEvent) { fs.lastID.Store(uint64(e.ConnectionID)) },
		OnDataIn: func(e *api.DataInEvent) {
			if e.DataFormat != api.DataPong {
				_ = fs.srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
			}
		},
		OnError: func(e *api.ErrorEvent) {
			var p *engine.PanicError
			if errors.As(e.Err, &p) {
				fs.reported.Add(1)
			}
		},
		OnReadyToSend: func(*api.ReadyToSendEvent) { fs.readies.Add(1) },
	}
	if secure {
		// TLS handshakes under -race on a loaded machine can take a good
		// part of a second: a longer deadline keeps fresh clients safe.
		cfg.DefaultConnectionTimeout = 2 * time.Second
		cert := fx.cert
		cfg.TLS = &api.TLSConfig{Enabled: true, Certificate: &cert, ClientAuth: api.ClientAuthRequest, ClientCAs: fx.ca.pool}
		fs.cli = &tls.Config{RootCAs: fx.ca.pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{fx.client}}
	}
	f.install(fs, &ev, &cfg)
	fs.srv = api.New(cfg, ev)
	if err := fs.srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return fs
}

// stop shuts the server down (if shutdownPath did not).
func (fs *faultServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = fs.srv.Shutdown(ctx)
}

// afterPath checks that every connection of the path was released and
// that a fresh client is served.
func (fs *faultServer) afterPath(t reporter, f fault, path string) {
	t.Helper()
	if !eventually(ioWait, func() bool { return fs.srv.ConnectionCount() == 0 }) {
		t.Fatalf("after %q: %d connections left", path, fs.srv.ConnectionCount())
	}
	if f.disarmForCheck {
		fs.armed.Store(false)
	}
	fs.fresh(t, "after "+path)
	fs.armed.Store(false)
	if !eventually(ioWait, func() bool { return fs.srv.ConnectionCount() == 0 }) {
		t.Fatalf("after the fresh client of %q: %d connections left", path, fs.srv.ConnectionCount())
	}
}

// fresh checks that a new client gets its message echoed.
func (fs *faultServer) fresh(t reporter, when string) {
	t.Helper()
	c, err := fs.dial()
	if err != nil {
		t.Fatalf("%s: fresh client: %v", when, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioWait))
	if err := wsutil.WriteClientText(c, []byte("fresh")); err != nil {
		t.Fatalf("%s: fresh client write: %v", when, err)
	}
	if m, _, err := wsutil.ReadServerData(c); err != nil || string(m) != "fresh" {
		t.Fatalf("%s: fresh client echo %q, %v", when, m, err)
	}
	_ = wsutil.WriteClientMessage(c, ws.OpClose, closeBody(1000, ""))
	drain(c)
}

// checkCounts checks that every panic was counted once and reported at
// most once.
func (fs *faultServer) checkCounts(t reporter, f fault, mustFire bool) {
	t.Helper()
	fired := fs.fired.Load()
	if mustFire && fired == 0 {
		t.Errorf("tls=%v: %s never panicked", fs.tls, f.name)
	}
	if !eventually(ioWait, func() bool { return int64(fs.srv.Metrics().Panics) == fired }) {
		t.Errorf("tls=%v: Metrics.Panics %d, %d panics injected", fs.tls, fs.srv.Metrics().Panics, fired)
	}
	want := fired
	if f.dropped {
		want = 0
	}
	if got := fs.reported.Load(); got != want {
		t.Errorf("tls=%v: %d panics reported through OnError, want %d (of %d injected)", fs.tls, got, want, fired)
	}
}

// dial opens a WebSocket (over TLS on the TLS server).
func (fs *faultServer) dial() (net.Conn, error) {
	scheme := "ws://"
	d := ws.Dialer{Timeout: ioWait}
	if fs.tls {
		scheme, d.TLSConfig = "wss://", fs.cli
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	c, br, _, err := d.Dial(ctx, scheme+fs.srv.Addr()+"/")
	if err != nil {
		return nil, err
	}
	if br != nil {
		return &wssConn{Conn: c, r: io.MultiReader(br, c)}, nil
	}
	return c, nil
}

// dialConnected opens a WebSocket and waits for its OnConnected; ok is
// false if either failed (the fault refused it).
func (fs *faultServer) dialConnected() (c net.Conn, id api.ConnID, ok bool) {
	fs.lastID.Store(0)
	c, err := fs.dial()
	if err != nil {
		return nil, 0, false
	}
	if !eventually(ioWait, func() bool { return fs.lastID.Load() != 0 }) {
		c.Close()
		return nil, 0, false
	}
	return c, api.ConnID(fs.lastID.Load()), true
}

// raw opens a TCP connection, writes p and reads until the server closes.
func (fs *faultServer) raw(p []byte) {
	c, err := net.DialTimeout("tcp", fs.srv.Addr(), ioWait)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write(p)
	drain(c)
}

// drain reads c until EOF, an error or ioWait.
func drain(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	_, _ = io.Copy(io.Discard, c)
}

// wsExchange opens a WebSocket, writes the raw frames and reads until the
// server closes.
func (fs *faultServer) wsExchange(frames ...[]byte) {
	c, err := fs.dial()
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(ioWait))
	for _, f := range frames {
		if _, err := c.Write(f); err != nil {
			break
		}
	}
	drain(c)
}

func (fs *faultServer) shutdownPath(t reporter) {
	t.Helper()
	c, err := fs.dial()
	if err != nil {
		// The fault refused the connection: let the server finish with it
		// (and report it) before shutting down.
		eventually(ioWait, func() bool { return fs.srv.ConnectionCount() == 0 })
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	if err := fs.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err == nil {
		drain(c)
		c.Close()
	}
	if n := fs.srv.ConnectionCount(); n != 0 {
		t.Errorf("after Shutdown: %d connections", n)
	}
}

var faultPaths = []faultPath{
	{name: "echo", run: func(_ reporter, fs *faultServer) {
		fs.wsExchange(frameBytes(ws.OpText, true, []byte("hello")), frameBytes(ws.OpClose, true, closeBody(1000, "")))
	}},
	{name: "slowloris", run: func(_ reporter, fs *faultServer) {
		// The repro: a request line, then nothing until the
		// handshake deadline.
		fs.raw([]byte("GET / HTTP/1.1\r\n"))
	}},
	{name: "bad frame", run: func(_ reporter, fs *faultServer) {
		fs.wsExchange(frameBytes(ws.OpCode(0x3), true, []byte("reserved opcode")))
	}},
	{name: "invalid UTF-8", run: func(_ reporter, fs *faultServer) {
		fs.wsExchange(frameBytes(ws.OpText, true, []byte{'o', 'k', 0xff, 0xfe}))
	}},
	{name: "oversized", run: func(_ reporter, fs *faultServer) {
		fs.wsExchange(frameBytes(ws.OpBinary, true, make([]byte, 2*faultMaxMessage)))
	}},
	{name: "mid-frame disconnect", run: func(_ reporter, fs *faultServer) {
		c, err := fs.dial()
		if err != nil {
			return
		}
		f := frameBytes(ws.OpBinary, true, make([]byte, 1000))
		_, _ = c.Write(f[:100])
		_ = c.Close()
	}},
	{name: "garbage", run: func(_ reporter, fs *faultServer) {
		fs.raw([]byte("\x00\x01\x02 not HTTP at all \xff\r\n\r\n"))
	}},
	{name: "http", run: func(_ reporter, fs *faultServer) {
		fs.raw([]byte("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
	}},
	{name: "full queue", run: func(_ reporter, fs *faultServer) {
		c, id, ok := fs.dialConnected()
		if !ok {
			return
		}
		defer c.Close()
		readies := fs.readies.Load()
		// Sent faster than the loop flushes: the 64 KiB queue fills within
		// a few sends (bounded in case the socket takes them all).
		msg := make([]byte, 32<<10)
		blocked := false
		for range 1024 {
			err := fs.srv.Send(id, msg)
			if errors.Is(err, api.ErrWouldBlock) {
				blocked = true
				break
			}
			if err != nil {
				return
			}
		}
		if !blocked {
			return
		}
		// Read until ReadyToSend fired (the queue drained), then close.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = c.SetReadDeadline(time.Now().Add(ioWait))
			buf := make([]byte, 64<<10)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		eventually(ioWait, func() bool { return fs.readies.Load() > readies })
		_ = wsutil.WriteClientMessage(c, ws.OpClose, closeBody(1000, ""))
		<-done
	}},
	{name: "broadcast", run: func(_ reporter, fs *faultServer) {
		c, _, ok := fs.dialConnected()
		if !ok {
			return
		}
		defer c.Close()
		_ = fs.srv.Broadcast(api.DataText, []byte("to all"), fs.filter)
		_ = c.SetDeadline(time.Now().Add(ioWait))
		_, _, _ = wsutil.ReadServerData(c)
		_ = wsutil.WriteClientMessage(c, ws.OpClose, closeBody(1000, ""))
		drain(c)
	}},
	{name: "inflate worker", run: func(t reporter, fs *faultServer) {
		// A compressed message inflating past InlineInflateSize (within
		// MaxMessageSize) is inflated by a worker and delivered on the
		// loop: OnDataIn fires from the worker's result task.
		before := fs.srv.Metrics().InflatedOffLoop
		d := ws.Dialer{Timeout: ioWait, Extensions: []httphead.Option{wsflate.Parameters{}.Option()}}
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		defer cancel()
		c, _, _, err := d.Dial(ctx, "ws://"+fs.srv.Addr()+"/")
		if err != nil {
			return
		}
		defer c.Close()
		msg := append([]byte(nil), fs.fx.compressed...)
		_, _ = c.Write(append(msg, frameBytes(ws.OpClose, true, closeBody(1000, ""))...))
		drain(c)
		switch fs.fault {
		case "OnConnectionRequest", "OnWebSocketOpenRequest", "OnConnected":
			// The connection fails before its message is read.
		default:
			if fs.srv.Metrics().InflatedOffLoop == before {
				t.Errorf("the compressed message was not inflated off the loop")
			}
		}
	}},
	{name: "tls echo", tls: true, run: func(_ reporter, fs *faultServer) {
		fs.wsExchange(frameBytes(ws.OpText, true, []byte("hello")), frameBytes(ws.OpClose, true, closeBody(1000, "")))
	}},
	{name: "tls slowloris", tls: true, run: func(t reporter, fs *faultServer) {
		fs.raw(fs.fx.hello[:len(fs.fx.hello)/2])
	}},
	{name: "tls plain http", tls: true, run: func(_ reporter, fs *faultServer) {
		fs.raw([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	}},
}

// The repro: a panicking OnError and a client that sends a request
// line and stalls. The handshake deadline fires on the timer path and
// reports ErrTimeout through OnError, which panics: the panic is counted
// and dropped, the connection is closed, and the server keeps serving.
func TestPanickingOnErrorAtHandshakeTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", DefaultConnectionTimeout: 300 * time.Millisecond},
		api.Events{
			OnError: func(*api.ErrorEvent) { calls.Add(1); panic("OnError exploded") },
			OnDataIn: func(e *api.DataInEvent) {
				_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
			},
		})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	c, err := net.DialTimeout("tcp", srv.Addr(), ioWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	drain(c)
	if d := time.Since(began); d >= ioWait {
		t.Fatalf("the stalled connection was not closed (%v)", d)
	}
	if !eventually(ioWait, func() bool { return srv.ConnectionCount() == 0 }) {
		t.Fatalf("%d connections left", srv.ConnectionCount())
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("OnError called %d times, want 1 (its panic is not reported again)", n)
	}
	if m := srv.Metrics(); m.Panics != 1 || m.HandshakeErrors != 1 {
		t.Errorf("Panics %d HandshakeErrors %d, want 1 and 1", m.Panics, m.HandshakeErrors)
	}
	fs := &faultServer{srv: srv}
	fs.fresh(t, "after the panicking OnError")
}
