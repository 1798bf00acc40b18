package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/codec"
)

// Input stalls (AcceptData off, a message inflating on a worker) and what
// must survive them: order, the close handshake, memory bounds, and
// frames pipelined behind the upgrade.

// startRaw runs a server with the given events only, on one loop.
func startRaw(t *testing.T, cfg api.Config, ev api.Events) *api.Server {
	t.Helper()
	cfg.LocalHost, cfg.LocalPort = "127.0.0.1", 0
	if cfg.EventLoops == 0 {
		cfg.EventLoops = 1
	}
	s := api.New(cfg, ev)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// dialPlainOrTLS opens a WebSocket to srv, over TLS when cli is set.
func dialPlainOrTLS(t *testing.T, srv *api.Server, cli *tls.Config, ext ...httphead.Option) (net.Conn, ws.Handshake) {
	t.Helper()
	scheme := "ws://"
	if cli != nil {
		scheme = "wss://"
	}
	d := ws.Dialer{TLSConfig: cli, Timeout: ioWait, Extensions: ext}
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	c, br, hs, err := d.Dial(ctx, scheme+srv.Addr()+"/")
	if err != nil || br != nil {
		t.Fatalf("dial: %v (buffered reader %v)", err, br != nil)
	}
	t.Cleanup(func() { c.Close() })
	return c, hs
}

// pauseThenDisconnect pauses and closes the connection that sends "stop",
// with more frames behind it in the same read (or TLS record).
func pauseThenDisconnect(t *testing.T, useTLS bool, cfg api.Config) net.Conn {
	var srvp atomic.Pointer[api.Server] // set after Listen, read by the handler
	var cli *tls.Config
	if useTLS {
		cfg.TLS, cli = serverTLS(t)
	}
	cfg.WaitForCloseResponse, cfg.BufferMessage = true, true
	srv := startRaw(t, cfg, api.Events{OnDataIn: func(e *api.DataInEvent) {
		if string(e.Data) == "stop" {
			_ = srvp.Load().SetAcceptData(e.ConnectionID, false)
			_ = srvp.Load().Disconnect(e.ConnectionID)
		}
	}})
	srvp.Store(srv)
	c, _ := dialPlainOrTLS(t, srv, cli)
	wire := append(frameBytes(ws.OpText, true, []byte("stop")), frameBytes(ws.OpText, true, []byte("x"))...)
	if _, err := c.Write(wire); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := readClose(t, c); code != 1000 {
		t.Fatalf("server close %d, want 1000", code)
	}
	return c
}

// A connection paused and then closed by the server still reads the
// peer's close reply: TCP closes at once, not after CloseTimeout (over TLS
// the reply used to be held with the paused plaintext and never read).
func TestPausedConnectionReadsCloseReply(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			c := pauseThenDisconnect(t, useTLS, api.Config{CloseTimeout: 8 * time.Second})
			start := time.Now()
			if err := writeFrame(c, ws.NewCloseFrame(ws.NewCloseFrameBody(1000, ""))); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(ioWait))
			_, _ = io.Copy(io.Discard, c)
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("TCP closed %v after the close reply: the reply was not read (CloseTimeout 8 s)", took)
			}
		})
	}
}

// A peer that keeps sending to a paused connection the server is closing
// does not grow the server's memory beyond the limits.
func TestPausedClosingInputBounded(t *testing.T) {
	c := pauseThenDisconnect(t, true, api.Config{CloseTimeout: 3 * time.Second, MaxPausedBytes: 64 << 10})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	chunk := frameBytes(ws.OpBinary, true, make([]byte, 1<<20))
	deadline := time.Now().Add(2 * time.Second)
	for sent := 0; time.Now().Before(deadline) && sent < 256<<20; sent += len(chunk) {
		_ = c.SetWriteDeadline(deadline)
		if _, err := c.Write(chunk); err != nil {
			break
		}
	}
	runtime.ReadMemStats(&ms)
	if grew := int64(ms.HeapAlloc) - int64(base); grew > 48<<20 {
		t.Errorf("heap grew by %d MiB while the peer streamed to a closing connection", grew>>20)
	}
}

// Waiting for a worker is not a pause: a client pipelining compressed
// messages larger than MaxPausedBytes is served, not closed with 1008.
func TestInflateStallIsNotPause(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, Compression: api.Compression{Enabled: true}}, hooks{})
	d := dialDeflate(t, h)
	id := h.idOf(t, d.client)
	var wire []byte
	for range 4 {
		m := make([]byte, 3<<20) // incompressible: 3 MiB on the wire, > the 1 MiB MaxPausedBytes
		_, _ = rand.Read(m)
		wire = append(wire, compressedFrame(t, d.out, ws.OpBinary, m)...)
	}
	go func() { _, _ = d.client.Write(wire) }()
	eventually(ioWait, func() bool { return len(h.records("data", id)) == 4 || len(h.records("error", id)) > 0 })
	if errs := h.records("error", id); len(errs) > 0 {
		t.Fatalf("after %d messages: %q", len(h.records("data", id)), errs[0].desc)
	}
	if n := len(h.records("data", id)); n != 4 {
		t.Fatalf("%d of 4 messages", n)
	}
}

// AcceptData turned off in OnConnected holds the frames pipelined behind
// the upgrade request, until it is turned back on.
func TestPauseInConnectedHoldsPipelinedFrames(t *testing.T) {
	t.Parallel()
	var srvp atomic.Pointer[api.Server]
	var mu sync.Mutex
	var got []string
	var id atomic.Uint64
	srv := startRaw(t, api.Config{}, api.Events{
		OnConnected: func(e *api.ConnectedEvent) {
			id.Store(uint64(e.ConnectionID))
			_ = srvp.Load().SetAcceptData(e.ConnectionID, false)
		},
		OnDataIn: func(e *api.DataInEvent) {
			mu.Lock()
			got = append(got, string(e.Data))
			mu.Unlock()
		},
	})
	srvp.Store(srv)
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wire := []byte(upgradeRequest("/", srv.Addr()))
	wire = append(wire, frameBytes(ws.OpText, true, []byte("a"))...)
	wire = append(wire, frameBytes(ws.OpText, true, []byte("b"))...)
	if _, err := c.Write(wire); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, c) }()
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	early := append([]string(nil), got...)
	mu.Unlock()
	if len(early) != 0 {
		t.Fatalf("delivered while AcceptData was off: %q", early)
	}
	if err := srv.SetAcceptData(api.ConnID(id.Load()), true); err != nil {
		t.Fatal(err)
	}
	if !eventually(ioWait, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 }) {
		t.Fatalf("after resume: %q", got)
	}
	if got[0] != "a" || got[1] != "b" {
		t.Errorf("after resume: %q", got)
	}
}

// AcceptData toggled at random, from the handler and from another
// goroutine, while messages alternate between inline and worker
// inflation: every echo comes back whole and in order, plain and TLS.
func TestStallStress(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			stallStress(t, useTLS)
		})
	}
}

func stallStress(t *testing.T, useTLS bool) {
	var srvp atomic.Pointer[api.Server]
	cfg := api.Config{BufferMessage: true, MaxOutboundQueue: 64 << 20, MaxPausedBytes: 64 << 20,
		Compression: api.Compression{Enabled: true, ClientContextTakeover: true, InlineInflateSize: 8 << 10, InflateWorkers: 2}}
	var cli *tls.Config
	if useTLS {
		cfg.TLS, cli = serverTLS(t)
	}
	var connID atomic.Uint64
	srv := startRaw(t, cfg, api.Events{
		OnConnected: func(e *api.ConnectedEvent) { connID.Store(uint64(e.ConnectionID)) },
		OnDataIn: func(e *api.DataInEvent) {
			srv := srvp.Load()
			if err := srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data); err != nil {
				t.Errorf("echo: %v", err)
			}
			if e.Data[len(e.Data)-1]%3 == 0 {
				_ = srv.SetAcceptData(e.ConnectionID, false)
				id := e.ConnectionID
				go func() {
					time.Sleep(time.Duration(mrand.IntN(300)) * time.Microsecond)
					_ = srv.SetAcceptData(id, true)
				}()
			}
		},
	})
	srvp.Store(srv)
	c, hs := dialPlainOrTLS(t, srv, cli, wsflate.Parameters{}.Option())
	var p wsflate.Parameters
	if len(hs.Extensions) != 1 || p.Parse(hs.Extensions[0]) != nil {
		t.Fatalf("extensions %v", hs.Extensions)
	}
	out := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: p.ClientNoContextTakeover, ServerMaxWindowBits: 15}, 6)
	in := codec.NewInflater(codec.DeflateParams{ClientNoContextTakeover: p.ServerNoContextTakeover, ClientMaxWindowBits: 15})
	stop := make(chan struct{})
	defer close(stop)
	go func() { // another goroutine toggling
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
			if id := api.ConnID(connID.Load()); id != 0 {
				_ = srv.SetAcceptData(id, false)
				time.Sleep(50 * time.Microsecond)
				_ = srv.SetAcceptData(id, true)
			}
		}
	}()
	rng := mrand.New(mrand.NewPCG(1, 2))
	msgs := make([][]byte, 400)
	var wire []byte
	for i := range msgs {
		size := 20 + rng.IntN(200)
		if rng.IntN(3) == 0 {
			size = 20<<10 + rng.IntN(60<<10) // beyond InlineInflateSize
		}
		m := fmt.Appendf(nil, "%06d:", i)
		m = append(m, bytes.Repeat([]byte{byte('a' + i%26)}, size)...)
		m = append(m, byte(rng.IntN(256)))
		msgs[i] = m
		wire = append(wire, compressedFrame(t, out, ws.OpBinary, m)...)
	}
	go func() {
		w := mrand.New(mrand.NewPCG(3, 4))
		for len(wire) > 0 {
			k := min(len(wire), 1+w.IntN(100<<10))
			if _, err := c.Write(wire[:k]); err != nil {
				return
			}
			wire = wire[k:]
		}
	}()
	for i := range msgs {
		if _, got := readMessageInflated(t, c, in); !bytes.Equal(got, msgs[i]) {
			t.Fatalf("echo %d: got %q..., want %q...", i, got[:min(len(got), 8)], msgs[i][:8])
		}
	}
}
