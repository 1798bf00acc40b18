package api_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

type userKey struct{}

// mountMux serves srv's upgrades at /ws behind a middleware that puts a
// user into the request context, next to an ordinary route /hello.
func mountMux(srv *api.Server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") })
	ws := srv.Handler()
	mux.Handle("/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "ann")))
	}))
	return mux
}

// startMounted runs a harness whose wsloop listener is stopped and an
// httptest server (TLS when secure) that mounts it.
func startMounted(t *testing.T, cfg api.Config, hk hooks, secure bool) (*harness, *httptest.Server) {
	t.Helper()
	h := start(t, cfg, hk)
	h.srv.StopListening() // only mounted connections
	hs := httptest.NewUnstartedServer(mountMux(h.srv))
	if secure {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return h, hs
}

func dialMounted(t *testing.T, hs *httptest.Server, path string) *client {
	t.Helper()
	u := strings.Replace(hs.URL, "http", "ws", 1) + path
	d := ws.Dialer{Timeout: ioWait}
	if hs.TLS != nil {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	conn, br, hs2, err := d.Dial(context.Background(), u)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &client{Conn: conn, br: br, hs: hs2}
}

// Upgrades through net/http reach the loops: the open event sees the
// request and what middleware put in its context, messages echo, the
// connection's info has the client's address, ordinary routes keep
// working with keep-alive, and no goroutine stays per connection.
func TestMountEcho(t *testing.T) {
	user := guarded[string]{}
	h, hs := startMounted(t, api.Config{}, hooks{
		data: echo,
		open: func(e *api.WebSocketOpenRequestEvent) {
			if e.Request == nil {
				t.Errorf("open event without Request")
				return
			}
			u, _ := e.Request.Context().Value(userKey{}).(string)
			user.set(u + " " + e.RequestURI)
		},
	}, false)

	// Ordinary route, twice on one kept-alive connection.
	reused := false
	for i := range 2 {
		req, _ := http.NewRequest("GET", hs.URL+"/hello", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = reused || info.Reused },
		}))
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello" {
			t.Fatalf("GET /hello %d: %q", i, body)
		}
	}
	if !reused {
		t.Errorf("the second GET did not reuse the kept-alive connection")
	}
	if n := h.srv.Metrics().Connections; n != 0 {
		t.Errorf("plain HTTP requests counted as %d connections", n)
	}

	base := runtime.NumGoroutine()
	const n = 40
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = dialMounted(t, hs, "/ws?i=1")
	}
	for i, c := range clients {
		msg := []byte("hi " + itoa(i))
		send(t, c, ws.OpText, true, msg)
		if op, got := readMessage(t, c); op != ws.OpText || string(got) != string(msg) {
			t.Fatalf("echo %d: %v %q", i, op, got)
		}
	}
	if got := user.get(); got != "ann /ws?i=1" {
		t.Errorf("open event saw %q, want the middleware's user and the URI", got)
	}
	id := h.idOf(t, clients[0])
	info, ok := h.srv.Connection(id)
	if !ok || info.RemotePort != clients[0].LocalAddr().(*net.TCPAddr).Port || info.TLS {
		t.Errorf("connection info %+v", info)
	}
	if got := h.srv.ConnectionCount(); got != n {
		t.Errorf("ConnectionCount %d, want %d", got, n)
	}
	// net/http's per-connection goroutines end once Upgrade returns.
	if !eventually(ioWait, func() bool { return runtime.NumGoroutine() < base+n/4 }) {
		t.Errorf("goroutines %d with %d mounted connections (before: %d)", runtime.NumGoroutine(), n, base)
	}
}

// Frames the client sends right behind its request, which net/http has
// already buffered, are decoded first.
func TestMountPipelined(t *testing.T) {
	_, hs := startMounted(t, api.Config{}, hooks{data: echo}, false)
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := upgradeRequest("/ws", hs.Listener.Addr().String())
	wire := append([]byte(req), frameBytes(ws.OpText, true, []byte("early"))...)
	wire = append(wire, frameBytes(ws.OpBinary, true, []byte("bird"))...)
	if _, err := c.Write(wire); err != nil {
		t.Fatal(err)
	}
	br := newByteReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != expectedAccept {
		t.Fatalf("response %v %v", resp, err)
	}
	cl := &client{Conn: c, br: br}
	for _, want := range []string{"early", "bird"} {
		if _, got := readMessage(t, cl); string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// Refusals: the open event's status, a request that is not an upgrade
// (426), and the loop's own validation (a bad Sec-WebSocket-Version gets
// 426 from the codec).
func TestMountRefused(t *testing.T) {
	_, hs := startMounted(t, api.Config{}, hooks{
		open: func(e *api.WebSocketOpenRequestEvent) {
			if strings.Contains(e.RequestURI, "deny") {
				e.StatusCode, e.Reason = 401, "who are you"
			}
		},
	}, false)
	addr := hs.Listener.Addr().String()
	resp, body := rawExchange(t, addr, upgradeRequest("/ws?deny", addr))
	if resp.StatusCode != 401 || !strings.Contains(body, "who are you") {
		t.Errorf("denied: %d %q", resp.StatusCode, body)
	}
	resp, _ = rawExchange(t, addr, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 426 {
		t.Errorf("plain GET /ws: %d, want 426", resp.StatusCode)
	}
	resp, _ = rawExchange(t, addr, strings.Replace(upgradeRequest("/ws", addr), "Version: 13", "Version: 8", 1))
	if resp.StatusCode != 426 || resp.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("old version: %d %v", resp.StatusCode, resp.Header)
	}
}

// Mounted connections count against MaxConnections.
func TestMountMaxConnections(t *testing.T) {
	h, hs := startMounted(t, api.Config{MaxConnections: 1}, hooks{}, false)
	addr := hs.Listener.Addr().String()
	dialMounted(t, hs, "/ws")
	resp, _ := rawExchange(t, addr, upgradeRequest("/ws", addr))
	if resp.StatusCode != 503 {
		t.Errorf("beyond MaxConnections: %d, want 503", resp.StatusCode)
	}
	if h.srv.Metrics().Refused == 0 {
		t.Errorf("the 503 was not counted as refused")
	}
}

// Shutdown closes mounted connections with 1001 like its own.
func TestMountShutdown(t *testing.T) {
	h, hs := startMounted(t, api.Config{}, hooks{}, false)
	c := dialMounted(t, hs, "/ws")
	h.idOf(t, c)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	code, _, _ := readClose(t, c)
	if code != 1001 {
		t.Errorf("close code %d, want 1001", code)
	}
	_ = writeFrame(c, ws.NewCloseFrame(closeBody(1001, "")))
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// Behind net/http's TLS the connection is pumped: it works, reports the
// client's address and TLS, and its goroutines end when it closes.
func TestMountTLS(t *testing.T) {
	h, hs := startMounted(t, api.Config{BufferMessage: true}, hooks{data: echo}, true)
	base := runtime.NumGoroutine()
	c := dialMounted(t, hs, "/ws")
	big := strings.Repeat("x", 100_000) // several TLS records each way
	for _, msg := range []string{"secret", big} {
		send(t, c, ws.OpText, true, []byte(msg))
		if _, got := readMessage(t, c); string(got) != msg {
			t.Fatalf("echo of %d bytes: got %d", len(msg), len(got))
		}
	}
	id := h.idOf(t, c)
	info, ok := h.srv.Connection(id)
	if !ok || !info.TLS || info.RemotePort != c.LocalAddr().(*net.TCPAddr).Port {
		t.Errorf("connection info %+v", info)
	}
	if err := h.srv.DisconnectWith(id, 1000, "bye"); err != nil {
		t.Fatal(err)
	}
	if code, reason, _ := readClose(t, c); code != 1000 || reason != "bye" {
		t.Errorf("close %d %q", code, reason)
	}
	_ = writeFrame(c, ws.NewCloseFrame(closeBody(1000, "")))
	h.wait("disc", id, 1, ioWait)
	if !eventually(ioWait, func() bool { return runtime.NumGoroutine() <= base+1 }) {
		t.Errorf("goroutines %d after the pumped connection closed (before: %d)", runtime.NumGoroutine(), base)
	}
}
