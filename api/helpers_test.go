package api_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// Test helpers shared by the api integration tests: a server harness that
// records every event, and a WebSocket client built on gobwas/ws that reads
// and writes raw frames over real TCP on 127.0.0.1.

const ioWait = 10 * time.Second // bound on any single client read or write

// record is one event seen by the harness, copied out of the reused event
// structs.
type record struct {
	kind   string // connected, data, disc, error, ready, open, log
	id     api.ConnID
	format api.DataFormat
	data   []byte
	eom    bool
	code   int
	desc   string
	err    error
}

// hooks are optional test-specific reactions to events; they run on the
// event loop after the harness recorded the event.
type hooks struct {
	connReq   func(*api.ConnectionRequestEvent)
	open      func(*api.WebSocketOpenRequestEvent)
	connected func(*harness, *api.ConnectedEvent)
	data      func(*harness, *api.DataInEvent)
	ready     func(*harness, *api.ReadyToSendEvent)
	noRecord  bool // do not record data events (load tests)
}

// harness is a running server plus its event log.
type harness struct {
	t   testing.TB
	srv *api.Server

	mu  sync.Mutex
	log []record
}

// echo answers every message with the same format and bytes.
func echo(h *harness, e *api.DataInEvent) {
	if e.DataFormat == api.DataPong {
		return
	}
	if err := h.srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data); err != nil {
		h.t.Errorf("echo send to %d: %v", e.ConnectionID, err)
	}
}

// start runs a server on 127.0.0.1 with a free port and shuts it down when
// the test ends.
func start(t testing.TB, cfg api.Config, hk hooks) *harness {
	t.Helper()
	h := &harness{t: t}
	cfg.LocalHost = "127.0.0.1"
	cfg.LocalPort = 0
	if cfg.EventLoops == 0 {
		cfg.EventLoops = 2
	}
	ev := api.Events{
		OnConnectionRequest: func(e *api.ConnectionRequestEvent) {
			if hk.connReq != nil {
				hk.connReq(e)
			}
		},
		OnWebSocketOpenRequest: func(e *api.WebSocketOpenRequestEvent) {
			if hk.open != nil {
				hk.open(e)
			}
			h.add(record{kind: "open", id: e.ConnectionID, code: e.StatusCode, desc: e.SubProtocol})
		},
		OnConnected: func(e *api.ConnectedEvent) {
			h.add(record{kind: "connected", id: e.ConnectionID, code: e.StatusCode})
			if hk.connected != nil {
				hk.connected(h, e)
			}
		},
		OnDataIn: func(e *api.DataInEvent) {
			if !hk.noRecord {
				h.add(record{kind: "data", id: e.ConnectionID, format: e.DataFormat,
					data: append([]byte(nil), e.Data...), eom: e.EOM})
			}
			if hk.data != nil {
				hk.data(h, e)
			}
		},
		OnDisconnected: func(e *api.DisconnectedEvent) {
			h.add(record{kind: "disc", id: e.ConnectionID, code: e.StatusCode, desc: e.Description})
		},
		OnError: func(e *api.ErrorEvent) {
			h.add(record{kind: "error", id: e.ConnectionID, code: e.Code, desc: e.Description, err: e.Err})
		},
		OnReadyToSend: func(e *api.ReadyToSendEvent) {
			h.add(record{kind: "ready", id: e.ConnectionID})
			if hk.ready != nil {
				hk.ready(h, e)
			}
		},
	}
	h.srv = api.New(cfg, ev)
	if err := h.srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h
}

func (h *harness) add(r record) {
	h.mu.Lock()
	h.log = append(h.log, r)
	h.mu.Unlock()
}

// records returns the recorded events of a kind for a connection (id 0 =
// any connection).
func (h *harness) records(kind string, id api.ConnID) []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []record
	for _, r := range h.log {
		if r.kind == kind && (id == 0 || r.id == id) {
			out = append(out, r)
		}
	}
	return out
}

// kinds returns the sequence of event kinds recorded for a connection.
func (h *harness) kinds(id api.ConnID) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.log {
		if r.id == id {
			out = append(out, r.kind)
		}
	}
	return out
}

// wait returns the first n events of a kind for id, failing the test if they
// do not arrive within d.
func (h *harness) wait(kind string, id api.ConnID, n int, d time.Duration) []record {
	h.t.Helper()
	var got []record
	if !eventually(d, func() bool { got = h.records(kind, id); return len(got) >= n }) {
		h.t.Fatalf("waited %v for %d %q events of conn %d, got %d; log kinds %v", d, n, kind, id, len(got), h.kinds(id))
	}
	return got[:n]
}

// addr is the server's host:port.
func (h *harness) addr() string { return h.srv.Addr() }

// url is ws://host:port + path.
func (h *harness) url(path string) string { return "ws://" + h.addr() + path }

// eventually polls cond every millisecond until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// client is a WebSocket client connection; reads go through the bufio
// reader ws.Dial returned when the server's first frames came with the 101.
type client struct {
	net.Conn
	br *bufio.Reader
	hs ws.Handshake
}

func (c *client) Read(p []byte) (int, error) {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return c.br.Read(p)
		}
		c.br = nil
	}
	return c.Conn.Read(p)
}

// dialer options for dial.
type dialOpts struct {
	protocols  []string
	extensions []httphead.Option
	header     http.Header
	local      string // source IP
}

// dial opens a WebSocket to the harness's server.
func (h *harness) dial(t testing.TB, path string, o dialOpts) *client {
	t.Helper()
	c, err := h.tryDial(path, o)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (h *harness) tryDial(path string, o dialOpts) (*client, error) {
	d := ws.Dialer{Timeout: ioWait, Protocols: o.protocols, Extensions: o.extensions}
	if o.header != nil {
		d.Header = ws.HandshakeHeaderHTTP(o.header)
	}
	if o.local != "" {
		d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(o.local)}}
			return nd.DialContext(ctx, network, addr)
		}
	}
	conn, br, hs, err := d.Dial(context.Background(), h.url(path))
	if err != nil {
		return nil, err
	}
	return &client{Conn: conn, br: br, hs: hs}, nil
}

// idOf finds the server-side ID of a client connection by its port.
func (h *harness) idOf(t testing.TB, c net.Conn) api.ConnID {
	t.Helper()
	port := c.LocalAddr().(*net.TCPAddr).Port
	var id api.ConnID
	ok := eventually(ioWait, func() bool {
		for _, r := range h.records("connected", 0) {
			if info, ok := h.srv.Connection(r.id); ok && info.RemotePort == port {
				id = r.id
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no Connected event for client port %d", port)
	}
	return id
}

// send writes one masked frame.
func send(t testing.TB, c net.Conn, op ws.OpCode, fin bool, payload []byte) {
	t.Helper()
	if err := writeFrame(c, ws.NewFrame(op, fin, append([]byte(nil), payload...))); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

// writeFrame masks f (in place) and writes it.
func writeFrame(c net.Conn, f ws.Frame) error {
	_ = c.SetWriteDeadline(time.Now().Add(ioWait))
	return ws.WriteFrame(c, ws.MaskFrameInPlace(f))
}

// frameBytes returns the wire bytes of one masked client frame.
func frameBytes(op ws.OpCode, fin bool, payload []byte) []byte {
	return ws.MustCompileFrame(ws.MaskFrameInPlace(ws.NewFrame(op, fin, append([]byte(nil), payload...))))
}

// readFrame reads one server frame.
func readFrame(t testing.TB, c net.Conn) ws.Frame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	f, err := ws.ReadFrame(c)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if f.Header.Masked {
		t.Fatalf("server sent a masked frame")
	}
	return f
}

// readMessage reads one whole data message (joining fragments; control
// frames in between fail the test).
func readMessage(t testing.TB, c net.Conn) (ws.OpCode, []byte) {
	t.Helper()
	f := readFrame(t, c)
	if f.Header.OpCode.IsControl() {
		t.Fatalf("expected a data frame, got opcode %v payload %q", f.Header.OpCode, f.Payload)
	}
	op, msg := f.Header.OpCode, f.Payload
	for !f.Header.Fin {
		f = readFrame(t, c)
		if f.Header.OpCode != ws.OpContinuation {
			t.Fatalf("expected a continuation frame, got %v", f.Header.OpCode)
		}
		msg = append(msg, f.Payload...)
	}
	return op, msg
}

// readClose reads frames until a close frame and returns its code and
// reason; data frames before it are skipped (their count is returned).
func readClose(t testing.TB, c net.Conn) (code int, reason string, skipped int) {
	t.Helper()
	for {
		f := readFrame(t, c)
		if f.Header.OpCode == ws.OpClose {
			if len(f.Payload) == 0 {
				return 1005, "", skipped
			}
			sc, r := ws.ParseCloseFrameData(f.Payload)
			return int(sc), r, skipped
		}
		skipped++
	}
}

// expectEOF checks that the server closes the TCP connection within d
// (data that is still in flight is discarded).
func expectEOF(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("server did not close TCP within %v", d)
		}
		return // EOF or reset
	}
}

// closeBody builds a close frame payload.
func closeBody(code int, reason string) []byte {
	return ws.NewCloseFrameBody(ws.StatusCode(code), reason)
}

// rawExchange writes req on a fresh TCP connection and parses the HTTP
// response.
func rawExchange(t testing.TB, addr string, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioWait)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioWait))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return readResponse(t, c)
}

// readResponse parses one HTTP response and its body.
func readResponse(t testing.TB, c net.Conn) (*http.Response, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// upgradeRequest builds a valid upgrade request with extra header lines.
func upgradeRequest(path, host string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", path, host)
	for _, x := range extra {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// expectedAccept is the Sec-WebSocket-Accept for upgradeRequest's key (RFC 6455 1.3).
const expectedAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

func itoa(n int) string { return strconv.Itoa(n) }

// newByteReader wraps c for reading an HTTP response followed by frames.
func newByteReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64<<10) }

// guarded is a value shared between an event handler and the test.
type guarded[T any] struct {
	mu sync.Mutex
	v  T
}

func (g *guarded[T]) set(v T) { g.mu.Lock(); g.v = v; g.mu.Unlock() }
func (g *guarded[T]) get() T  { g.mu.Lock(); defer g.mu.Unlock(); return g.v }
