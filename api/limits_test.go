package api_test

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxConnections: 2, BufferMessage: true}, hooks{data: echo})
	a := h.dial(t, "/", dialOpts{})
	b := h.dial(t, "/", dialOpts{})
	// The third gets 503 before it even sends its request.
	c, err := net.Dial("tcp", h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, _ := readResponse(t, c)
	if resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	expectEOF(t, c, 2*time.Second)
	// The first two still work; once one leaves, a new one is accepted.
	send(t, a, ws.OpText, true, []byte("a"))
	if _, m := readMessage(t, a); string(m) != "a" {
		t.Fatalf("echo %q", m)
	}
	send(t, b, ws.OpClose, true, closeBody(1000, ""))
	readClose(t, b)
	expectEOF(t, b, 2*time.Second)
	if !eventually(ioWait, func() bool { return h.srv.ConnectionCount() == 1 }) {
		t.Fatalf("ConnectionCount %d", h.srv.ConnectionCount())
	}
	h.dial(t, "/", dialOpts{})
	if m := h.srv.Metrics(); m.Refused != 1 {
		t.Errorf("Refused metric %d", m.Refused)
	}
}

func TestAllowedClients(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{AllowedClients: "127.0.0.1, 10.0.0.0/8"}, hooks{})
	h.dial(t, "/", dialOpts{local: "127.0.0.1"})
	if _, err := h.tryDial("/", dialOpts{local: "127.0.0.2"}); err == nil {
		t.Fatalf("dial from 127.0.0.2 succeeded")
	}
	h2 := start(t, api.Config{AllowedClients: "127.0.0.0/30"}, hooks{})
	h2.dial(t, "/", dialOpts{local: "127.0.0.2"})
	if _, err := h2.tryDial("/", dialOpts{local: "127.0.0.9"}); err == nil {
		t.Fatalf("dial from 127.0.0.9 succeeded")
	}
	if m := h2.srv.Metrics(); m.Refused != 1 || m.Upgraded != 1 {
		t.Errorf("metrics %+v", m)
	}
	bad := api.New(api.Config{LocalHost: "127.0.0.1", AllowedClients: "not-an-ip"}, api.Events{})
	if err := bad.Listen(); !errors.Is(err, api.ErrBadValue) {
		t.Errorf("Listen with a bad AllowedClients: %v", err)
	}
}

func TestConnectionRequestRefused(t *testing.T) {
	t.Parallel()
	var seen guarded[[]string]
	h := start(t, api.Config{}, hooks{connReq: func(e *api.ConnectionRequestEvent) {
		seen.set(append(seen.get(), e.Address+":"+strconv.Itoa(e.Port)))
		e.Accept = len(seen.get()) != 2 // refuse the second connection
	}})
	c1 := h.dial(t, "/", dialOpts{})
	raw, err := net.Dial("tcp", h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	expectEOF(t, raw, 2*time.Second) // closed before any byte is read
	h.dial(t, "/", dialOpts{})
	got := seen.get()
	if len(got) != 3 || got[0] != c1.LocalAddr().String() || got[1] != raw.LocalAddr().String() {
		t.Errorf("ConnectionRequest events %v", got)
	}
	if n := len(h.records("connected", 0)); n != 2 {
		t.Errorf("%d Connected, want 2", n)
	}
}

func TestStopStartListening(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	a := h.dial(t, "/", dialOpts{})
	if !h.srv.Listening() {
		t.Fatal("not Listening after Listen")
	}
	h.srv.StopListening()
	if h.srv.Listening() {
		t.Fatal("Listening after StopListening")
	}
	if _, err := h.tryDial("/", dialOpts{}); err == nil {
		t.Fatal("dial succeeded while not listening")
	}
	send(t, a, ws.OpText, true, []byte("still here"))
	if _, m := readMessage(t, a); string(m) != "still here" {
		t.Fatalf("echo %q", m)
	}
	h.srv.StartListening()
	if !h.srv.Listening() {
		t.Fatal("not Listening after StartListening")
	}
	h.dial(t, "/", dialOpts{})
	if err := h.srv.Listen(); !errors.Is(err, api.ErrAlreadyListening) {
		t.Errorf("second Listen: %v", err)
	}
}

// IdleTimeout closes a silent connection with 1001; one that talks stays.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{IdleTimeout: 400 * time.Millisecond}, hooks{})
	quiet := h.dial(t, "/", dialOpts{})
	chatty := h.dial(t, "/", dialOpts{})
	began := time.Now()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_ = writeFrame(chatty, ws.NewPongFrame(nil))
			}
		}
	}()
	code, reason, _ := readClose(t, quiet)
	el := time.Since(began)
	close(stop)
	if code != 1001 || reason == "" {
		t.Errorf("close %d %q, want 1001", code, reason)
	}
	if el < 350*time.Millisecond || el > 2*time.Second {
		t.Errorf("closed after %v, want about 400ms", el)
	}
	expectEOF(t, quiet, 2*time.Second)
	if info, ok := h.srv.Connection(h.idOf(t, chatty)); !ok || !info.Connected {
		t.Errorf("the talking connection was closed")
	}
	if m := h.srv.Metrics(); m.IdleTimeouts != 1 {
		t.Errorf("IdleTimeouts %d", m.IdleTimeouts)
	}
}

// Deadlines keep their length while another connection is congested (the
// engine polls congested connections more often than deadlines fire).
func TestIdleTimeoutWhileCongested(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{IdleTimeout: 600 * time.Millisecond, EventLoops: 1}), hooks{})
	stuck := h.dial(t, "/", dialOpts{})
	_ = stuck.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	sid := h.idOf(t, stuck)
	// Keep the stuck connection alive by input, and its output congested.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_ = writeFrame(stuck, ws.NewPongFrame(nil))
				_ = h.srv.Send(sid, make([]byte, 8<<10))
			}
		}
	}()
	if _, err := fill(h, sid, make([]byte, 8<<10), 100000); !errors.Is(err, api.ErrWouldBlock) {
		t.Fatalf("fill: %v", err)
	}
	quiet := h.dial(t, "/", dialOpts{})
	began := time.Now()
	code, _, _ := readClose(t, quiet)
	if el := time.Since(began); code != 1001 || el < 500*time.Millisecond {
		t.Errorf("close %d after %v, want 1001 after about 600ms", code, el)
	}
}

// PingInterval pings a silent client; a client that answers stays, one
// that does not is closed after two intervals.
func TestPingInterval(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{PingInterval: 200 * time.Millisecond}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	for i := range 3 {
		began := time.Now()
		f := readFrame(t, c)
		if f.Header.OpCode != ws.OpPing {
			t.Fatalf("frame %v, want ping", f.Header.OpCode)
		}
		if el := time.Since(began); i > 0 && (el < 100*time.Millisecond || el > 2*time.Second) {
			t.Errorf("ping %d after %v", i, el)
		}
		send(t, c, ws.OpPong, true, f.Payload)
	}
	if pongs := h.wait("data", id, 3, ioWait); pongs[0].format != api.DataPong || pongs[2].format != api.DataPong {
		t.Errorf("pong events %+v", pongs)
	}
	// Stop answering: ping, then close after about two intervals.
	if f := readFrame(t, c); f.Header.OpCode != ws.OpPing {
		t.Fatalf("frame %v, want ping", f.Header.OpCode)
	}
	code, _, _ := readClose(t, c)
	if code != 1001 {
		t.Errorf("close %d, want 1001", code)
	}
}
