package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

func TestHandshakeValid(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	c, err := net.Dial("tcp", h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, upgradeRequest("/chat?room=1", "example.test")); err != nil {
		t.Fatal(err)
	}
	resp, _ := readResponse(t, c)
	if resp.StatusCode != 101 {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": expectedAccept,
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	id := h.idOf(t, c)
	if got := h.kinds(id); !slices.Equal(got, []string{"open", "connected"}) {
		t.Errorf("events %v, want [open connected]", got)
	}
	info, ok := h.srv.Connection(id)
	if !ok || !info.Connected || info.RemoteHost != "127.0.0.1" {
		t.Errorf("connection info %+v", info)
	}
	send(t, c, ws.OpText, true, []byte("hi"))
	if op, msg := readMessage(t, c); op != ws.OpText || string(msg) != "hi" {
		t.Errorf("echo %v %q", op, msg)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxHeaderBytes: 1024}, hooks{})
	host := "Host: x"
	cases := []struct {
		name    string
		req     string
		status  int
		headers map[string]string
	}{
		{"missing key", "GET / HTTP/1.1\r\n" + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
			400, nil},
		{"version 8", strings.Replace(upgradeRequest("/", "x"), "Version: 13", "Version: 8", 1),
			426, map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket"}},
		{"missing version", strings.Replace(upgradeRequest("/", "x"), "Sec-WebSocket-Version: 13\r\n", "", 1),
			426, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"POST", strings.Replace(upgradeRequest("/", "x"), "GET", "POST", 1),
			405, map[string]string{"Allow": "GET"}},
		{"PUT", strings.Replace(upgradeRequest("/", "x"), "GET", "PUT", 1), 405, nil},
		{"header too large", upgradeRequest("/", "x", "X-Big: "+strings.Repeat("a", 2000)), 431, nil},
		{"plain GET without handler", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 426, nil},
		{"garbage", "\x16\x03\x01 hello\r\n\r\n", 400, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := rawExchange(t, h.addr(), tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			for k, v := range tc.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
	if n := len(h.records("connected", 0)); n != 0 {
		t.Errorf("%d Connected events for refused requests", n)
	}
}

// A header longer than MaxHeaderBytes that never ends is refused with 431
// as soon as the limit is passed, without waiting for the end.
func TestHandshakeHeaderLimitStreaming(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxHeaderBytes: 512}, hooks{})
	c, err := net.Dial("tcp", h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	for range 20 {
		if _, err := io.WriteString(c, "X-Pad: "+strings.Repeat("p", 40)+"\r\n"); err != nil {
			break // the server may already have answered and closed
		}
		time.Sleep(time.Millisecond)
	}
	resp, _ := readResponse(t, c)
	if resp.StatusCode != 431 {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestHandshakeOneByteWrites(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	c, err := net.Dial("tcp", h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetNoDelay(true)
	req := upgradeRequest("/", "x")
	for i := range len(req) {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
		if i%16 == 0 {
			time.Sleep(100 * time.Microsecond) // let the server see partial reads
		}
	}
	resp, _ := readResponse(t, c)
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != expectedAccept {
		t.Fatalf("status %d accept %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	// A frame also written byte by byte.
	for _, b := range frameBytes(ws.OpBinary, true, []byte{1, 2, 3}) {
		_, _ = c.Write([]byte{b})
	}
	if op, msg := readMessage(t, c); op != ws.OpBinary || string(msg) != "\x01\x02\x03" {
		t.Fatalf("echo %v %v", op, msg)
	}
}

// Frames written in the same TCP write as the request (pipelined) are not
// lost, whether the request arrives whole or its head completes in a later
// read.
func TestHandshakePipelinedFrames(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	for _, split := range []int{0, 10} {
		c, err := net.Dial("tcp", h.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetNoDelay(true)
		req := []byte(upgradeRequest("/", "x"))
		req = append(req, frameBytes(ws.OpText, true, []byte("first"))...)
		req = append(req, frameBytes(ws.OpText, true, []byte("second"))...)
		if split > 0 {
			_, _ = c.Write(req[:split])
			time.Sleep(20 * time.Millisecond)
			req = req[split:]
		}
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		br := newByteReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 101 {
			t.Fatalf("split %d: response %v %v", split, resp, err)
		}
		rc := &client{Conn: c, br: br}
		for _, want := range []string{"first", "second"} {
			if _, msg := readMessage(t, rc); string(msg) != want {
				t.Fatalf("split %d: got %q, want %q", split, msg, want)
			}
		}
	}
}

func TestSubprotocolFromConfig(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{Subprotocols: []string{"v2.chat", "v1.chat"}}, hooks{})
	c := h.dial(t, "/", dialOpts{protocols: []string{"other", "v1.chat", "v2.chat"}})
	if c.hs.Protocol != "v2.chat" {
		t.Errorf("protocol %q, want server's preference v2.chat", c.hs.Protocol)
	}
	id := h.idOf(t, c)
	if info, _ := h.srv.Connection(id); info.SubProtocol != "v2.chat" {
		t.Errorf("ConnectionInfo.SubProtocol %q", info.SubProtocol)
	}
	// None in common: no Sec-WebSocket-Protocol header.
	c2 := h.dial(t, "/", dialOpts{protocols: []string{"x"}})
	if c2.hs.Protocol != "" {
		t.Errorf("protocol %q, want none", c2.hs.Protocol)
	}
}

func TestSubprotocolFromEvent(t *testing.T) {
	t.Parallel()
	var offered guarded[[]string]
	h := start(t, api.Config{Subprotocols: []string{"a"}}, hooks{open: func(e *api.WebSocketOpenRequestEvent) {
		offered.set(append([]string(nil), e.SubProtocols...))
		if e.SubProtocol != "a" {
			e.StatusCode = 500 // the pre-set choice is wrong: make the test fail visibly
		}
		e.SubProtocol = "b"
	}})
	c := h.dial(t, "/", dialOpts{protocols: []string{"a", "b"}})
	if c.hs.Protocol != "b" {
		t.Errorf("protocol %q, want b", c.hs.Protocol)
	}
	if !slices.Equal(offered.get(), []string{"a", "b"}) {
		t.Errorf("offered %v", offered.get())
	}
}

func TestOpenRequestRejection(t *testing.T) {
	t.Parallel()
	var seen guarded[[3]string]
	h := start(t, api.Config{}, hooks{open: func(e *api.WebSocketOpenRequestEvent) {
		seen.set([3]string{e.Header("authorization"), e.RequestURI, e.Host})
		if e.Header("Authorization") != "Bearer good" {
			e.StatusCode = 401
			e.Reason = "token required"
			e.ResponseHeaders = http.Header{"Www-Authenticate": {`Bearer realm="x"`}}
		}
	}})
	resp, body := rawExchange(t, h.addr(), upgradeRequest("/secret", "h.test", "Authorization: Bearer bad"))
	if resp.StatusCode != 401 {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="x"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	if !strings.Contains(body, "token required") {
		t.Errorf("body %q", body)
	}
	if got := seen.get(); got != [3]string{"Bearer bad", "/secret", "h.test"} {
		t.Errorf("event saw header, uri, host %q", got)
	}
	resp, _ = rawExchange(t, h.addr(), upgradeRequest("/secret", "h.test", "Authorization: Bearer good"))
	if resp.StatusCode != 101 {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if n := len(h.records("connected", 0)); n != 1 {
		t.Errorf("%d Connected events, want 1", n)
	}
}

// TestOriginCheck runs cross-origin upgrades against the default (same
// origin only), host patterns, "*" and a handler that overrules the check.
func TestOriginCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		origins []string
		accept  bool // OnWebSocketOpenRequest sets 101 for Origin https://evil.test
		host    string
		origin  string // "" = no Origin header
		want    int
	}{
		{"default cross-origin", nil, false, "127.0.0.1:8080", "https://evil.example", 403},
		{"default same origin", nil, false, "127.0.0.1:8080", "http://127.0.0.1:8080", 101},
		{"default same origin, case", nil, false, "Chat.Test", "https://chat.test", 101},
		{"default other port", nil, false, "127.0.0.1:8080", "http://127.0.0.1:9090", 403},
		{"default no origin", nil, false, "127.0.0.1:8080", "", 101},
		{"default null origin", nil, false, "127.0.0.1:8080", "null", 403},
		{"pattern match", []string{"*.good.test"}, false, "api.test", "https://app.good.test", 101},
		{"pattern miss", []string{"*.good.test"}, false, "api.test", "https://good.test.evil", 403},
		{"port pattern", []string{"localhost:*"}, false, "api.test", "http://localhost:3000", 101},
		{"full origin", []string{"https://good.test"}, false, "api.test", "https://GOOD.test", 101},
		{"full origin, other scheme", []string{"https://good.test"}, false, "api.test", "http://good.test", 403},
		{"star", []string{"*"}, false, "api.test", "https://evil.test", 101},
		{"patterns keep no origin", []string{"*.good.test"}, false, "api.test", "", 101},
		{"handler overrules", nil, true, "api.test", "https://evil.test", 101},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen atomic.Int32
			h := start(t, api.Config{Origins: tc.origins}, hooks{open: func(e *api.WebSocketOpenRequestEvent) {
				seen.Store(int32(e.StatusCode))
				if tc.accept {
					e.StatusCode = 101
				}
			}})
			extra := []string{}
			if tc.origin != "" {
				extra = append(extra, "Origin: "+tc.origin)
			}
			resp, _ := rawExchange(t, h.addr(), upgradeRequest("/", tc.host, extra...))
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			errs := h.records("error", 0)
			if tc.want == 403 {
				if len(errs) != 1 || errs[0].code != 403 || !strings.Contains(errs[0].desc, tc.origin) {
					t.Errorf("error events %+v, want one with code 403 naming the origin", errs)
				}
				if seen.Load() != 403 {
					t.Errorf("OnWebSocketOpenRequest saw StatusCode %d, want 403", seen.Load())
				}
			} else if len(errs) != 0 {
				t.Errorf("error events %+v, want none", errs)
			}
		})
	}
}

func TestOriginBadPattern(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Config{LocalHost: "127.0.0.1", Origins: []string{"[a-"}}, api.Events{})
	if err := srv.Listen(); err == nil {
		_ = srv.Shutdown(context.Background())
		t.Fatal("Listen accepted a malformed Origins pattern")
	}
}

func TestHTTPHandler(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", r.URL.Query().Get("q"))
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "ok "+r.RemoteAddr[:9])
	})
	h := start(t, api.Config{HTTPHandler: mux}, hooks{})
	resp, body := rawExchange(t, h.addr(), "GET /health?q=7 HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != http.StatusTeapot || body != "ok 127.0.0.1" || resp.Header.Get("X-Test") != "7" {
		t.Errorf("status %d body %q header %q", resp.StatusCode, body, resp.Header.Get("X-Test"))
	}
	resp, _ = rawExchange(t, h.addr(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 404 {
		t.Errorf("unknown path: status %d", resp.StatusCode)
	}
	// The WebSocket path still works next to the handler.
	h.dial(t, "/", dialOpts{})
	if m := h.srv.Metrics(); m.HTTPRequests != 2 || m.Upgraded != 1 {
		t.Errorf("metrics %+v", m)
	}
}

// A slowloris client that sends part of a request, and one that sends
// nothing, are both cut off by DefaultConnectionTimeout.
func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{DefaultConnectionTimeout: 300 * time.Millisecond}, hooks{})
	for _, partial := range []string{"GET / HTTP/1.1\r\nHost: x\r\nUpgr", ""} {
		c, err := net.Dial("tcp", h.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		began := time.Now()
		if partial != "" {
			_, _ = io.WriteString(c, partial)
		}
		expectEOF(t, c, 3*time.Second)
		if el := time.Since(began); el < 250*time.Millisecond || el > 2*time.Second {
			t.Errorf("partial %q: closed after %v, want about 300ms", partial, el)
		}
	}
	if !eventually(time.Second, func() bool { return h.srv.ConnectionCount() == 0 }) {
		t.Errorf("%d connections left", h.srv.ConnectionCount())
	}
	errs := h.records("error", 0)
	if len(errs) != 2 || !errors.Is(errs[0].err, api.ErrTimeout) {
		t.Errorf("errors %+v, want two ErrTimeout", errs)
	}
	if n := len(h.records("disc", 0)); n != 0 {
		t.Errorf("%d Disconnected events for connections that never connected", n)
	}
}
