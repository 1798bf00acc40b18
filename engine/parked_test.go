package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// A message inflated by a worker while AcceptData went off is parked; these
// tests check that later input never overtakes it, and that a close the
// server starts meanwhile still delivers it before the close reply.

// parkHandler records A's messages; B's messages pause A from the loop;
// B's Disconnected blocks the loop (OnClose: no enter/drain around it).
type parkHandler struct {
	eng       *Engine
	mu        sync.Mutex
	ids       []uint64
	got       []string
	bData     chan struct{}
	blockID   atomic.Uint64
	blocked   chan struct{}
	gate      chan struct{}
	connected atomic.Int64
}

func (h *parkHandler) Accept(netip.AddrPort, netip.AddrPort) bool       { return true }
func (h *parkHandler) OpenRequest(*Conn, *codec.Request, *OpenResponse) {}
func (h *parkHandler) Connected(c *Conn) {
	h.mu.Lock()
	h.ids = append(h.ids, c.id)
	h.mu.Unlock()
	h.connected.Add(1)
}
func (h *parkHandler) Disconnected(c *Conn, _ uint16, _ string) {
	if c.id == h.blockID.Load() {
		close(h.blocked)
		<-h.gate
	}
}
func (h *parkHandler) ReadyToSend(*Conn)                    {}
func (h *parkHandler) Log(*Conn, int, string, ...slog.Attr) {}
func (h *parkHandler) LogLevel() int                        { return 0 }
func (h *parkHandler) Error(*Conn, error)                   {}
func (h *parkHandler) idx(i int) uint64                     { h.mu.Lock(); defer h.mu.Unlock(); return h.ids[i] }
func (h *parkHandler) Data(c *Conn, op codec.OpCode, data []byte, eom bool) {
	switch c.id {
	case h.idx(0):
		h.mu.Lock()
		h.got = append(h.got, fmt.Sprintf("op%d/%dB", op, len(data)))
		h.mu.Unlock()
	case h.idx(1):
		if a := h.eng.Conn(h.idx(0)); a != nil {
			_ = a.SetAcceptData(false) // on the loop, while A's message is on a worker
		}
		h.bData <- struct{}{}
	}
}
func (h *parkHandler) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

func maskedFrame(op ws.OpCode, rsv1 bool, p []byte) []byte {
	f := ws.NewFrame(op, true, p)
	if rsv1 {
		f.Header.Rsv = ws.Rsv(true, false, false)
	}
	return ws.MustCompileFrame(ws.MaskFrameInPlace(f))
}

// parkedBig is the size of A's message: large enough that the worker is
// still inflating it when B's message pauses A.
const parkedBig = 48 << 20

// parkScene is a server with connection A, whose large compressed message
// was inflated by a worker and parked because AcceptData went off
// meanwhile (B's message turned it off on the loop), and connection B.
type parkScene struct {
	e      *Engine
	h      *parkHandler
	a, b   net.Conn
	aID    uint64
	bID    uint64
	parked bool // false: the worker finished before the pause (retry)
}

func setupParked(t *testing.T, opts Options) *parkScene {
	t.Helper()
	h := &parkHandler{bData: make(chan struct{}, 1), blocked: make(chan struct{}), gate: make(chan struct{})}
	opts.Addr, opts.NumLoops, opts.MaxMessageSize = "127.0.0.1:0", 1, 64<<20
	opts.Deflate = codec.DeflateConfig{Enabled: true, Threshold: 1 << 30}
	opts.InflateInline, opts.InflateWorkers = 1<<10, 1
	e, err := New(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	h.eng = e
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	s := &parkScene{e: e, h: h}
	addr := "127.0.0.1:" + itoa(e.Port())
	s.a = deflateUpgrade(t, addr)
	t.Cleanup(func() { s.a.Close() })
	for h.connected.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	s.b, _ = rawUpgrade(t, addr, nil)
	t.Cleanup(func() { s.b.Close() })
	for h.connected.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	s.aID, s.bID = h.idx(0), h.idx(1)
	z, err := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, 1).Compress(nil, make([]byte, parkedBig))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Write(maskedFrame(ws.OpBinary, true, z)); err != nil {
		t.Fatal(err)
	}
	for e.Metrics().InflatedOffLoop.Load() < 1 {
		time.Sleep(50 * time.Microsecond)
	}
	// B's message pauses A on the loop while the worker inflates.
	if _, err := s.b.Write(maskedFrame(ws.OpText, false, []byte("pause A"))); err != nil {
		t.Fatal(err)
	}
	<-h.bData
	c := e.reg.get(s.aID)
	for range 500 {
		ch := make(chan bool, 1)
		c.loop.post(func(*loop) { x := c.x.Load(); ch <- x != nil && x.parked != nil })
		if s.parked = <-ch; s.parked {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.parked = s.parked && len(h.list()) == 0
	return s
}

// wantParkedOrder checks that A got the parked message, then "second".
func (s *parkScene) wantParkedOrder(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.h.list()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := s.h.list()
	want := []string{fmt.Sprintf("op%d/%dB", codec.OpBinary, parkedBig), fmt.Sprintf("op%d/%dB", codec.OpText, 6)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("A's messages %v, want %v", got, want)
	}
}

// retryParked runs a scenario until the message was parked (5 attempts).
func retryParked(t *testing.T, opts Options, rest func(*parkScene)) {
	for range 5 {
		if s := setupParked(t, opts); s.parked {
			rest(s)
			return
		}
	}
	t.Fatal("the 48 MiB message was never parked in 5 attempts: the worker finished before the pause")
}

// Input read after SetAcceptData(true) but before the resume task runs
// (gnet serves socket events before its task queue) waits behind the
// parked message.
func TestParkedMessageNotOvertaken(t *testing.T) {
	retryParked(t, Options{}, func(s *parkScene) {
		// Block the loop in B's Disconnected (OnClose runs outside drain).
		s.h.blockID.Store(s.bID)
		_ = s.b.Close()
		<-s.h.blocked
		// A sends a second message; AcceptData goes back on meanwhile.
		if _, err := s.a.Write(maskedFrame(ws.OpText, false, []byte("second"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if a := s.e.Conn(s.aID); a != nil {
			_ = a.SetAcceptData(true)
		}
		close(s.h.gate)
		s.wantParkedOrder(t)
	})
}

// A parked message and a server-initiated close: the parked message is
// delivered, then the later one, then the close reply is read.
func TestParkedMessageDeliveredOnClose(t *testing.T) {
	retryParked(t, Options{WaitForCloseReply: true}, func(s *parkScene) {
		if _, err := s.a.Write(maskedFrame(ws.OpText, false, []byte("second"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if a := s.e.Conn(s.aID); a != nil {
			_ = a.Disconnect(1000, "bye") // the app closes; AcceptData stays off
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := s.a.Write(maskedFrame(ws.OpClose, false, []byte{3, 232})); err != nil {
			t.Fatal(err)
		}
		s.wantParkedOrder(t)
	})
}
