package api_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// tcpFrom opens a TCP connection from a chosen 127.x source address.
func tcpFrom(t *testing.T, addr, local string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectRefused checks that the server answers a fresh connection from
// local with status before any request, then closes it.
func expectRefused(t *testing.T, h *harness, local string, status int) {
	t.Helper()
	c := tcpFrom(t, h.addr(), local)
	resp, _ := readResponse(t, c)
	if resp.StatusCode != status {
		t.Fatalf("from %s: status %d, want %d", local, resp.StatusCode, status)
	}
	expectEOF(t, c, 2*time.Second)
}

func TestMaxConnectionsPerIP(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxConnectionsPerIP: 2, BufferMessage: true}, hooks{data: echo})
	a := h.dial(t, "/", dialOpts{local: "127.0.0.2"})
	b := h.dial(t, "/", dialOpts{local: "127.0.0.2"})
	// 127.0.0.2 is at its limit: a third connection gets 503 at once.
	expectRefused(t, h, "127.0.0.2", 503)
	// Other sources still connect, up to their own limit.
	c := h.dial(t, "/", dialOpts{local: "127.0.0.3"})
	h.dial(t, "/", dialOpts{local: "127.0.0.3"})
	expectRefused(t, h, "127.0.0.3", 503)
	send(t, c, ws.OpText, true, []byte("c"))
	if _, m := readMessage(t, c); string(m) != "c" {
		t.Fatalf("echo %q", m)
	}
	// Once one of 127.0.0.2's connections leaves, it may open another.
	send(t, b, ws.OpClose, true, closeBody(1000, ""))
	readClose(t, b)
	expectEOF(t, b, 2*time.Second)
	if !eventually(ioWait, func() bool { return h.srv.ConnectionCount() == 3 }) {
		t.Fatalf("ConnectionCount %d, want 3", h.srv.ConnectionCount())
	}
	h.dial(t, "/", dialOpts{local: "127.0.0.2"})
	send(t, a, ws.OpText, true, []byte("a"))
	if _, m := readMessage(t, a); string(m) != "a" {
		t.Fatalf("echo %q", m)
	}
	if m := h.srv.Metrics(); m.RefusedPerIP != 2 || m.Refused != 2 {
		t.Errorf("RefusedPerIP %d Refused %d, want 2 and 2", m.RefusedPerIP, m.Refused)
	}
}

// upgradeFrom sends an upgrade request from local and returns the status.
// A refused connection is answered before the request is read, so writing
// the request may fail: the status is read all the same.
func upgradeFrom(t *testing.T, addr, local string) int {
	t.Helper()
	c := tcpFrom(t, addr, local)
	defer c.Close()
	_, _ = io.WriteString(c, upgradeRequest("/", "x"))
	resp, _ := readResponse(t, c)
	return resp.StatusCode
}

func TestHandshakeRatePerIP(t *testing.T) {
	t.Parallel()
	// A burst of 3, then one new connection per second.
	h := start(t, api.Config{HandshakeRatePerIP: 1, HandshakeBurstPerIP: 3}, hooks{})
	begin := time.Now()
	accepted, refused := 0, 0
	for range 20 {
		switch st := upgradeFrom(t, h.addr(), "127.0.0.4"); st {
		case 101:
			accepted++
		case 429:
			refused++
		default:
			t.Fatalf("status %d", st)
		}
	}
	// 20 attempts get at most the burst plus one per second elapsed.
	if most := 3 + int(time.Since(begin).Seconds()) + 1; accepted > most || refused == 0 {
		t.Fatalf("accepted %d, refused %d in %v; want at most %d accepted", accepted, refused, time.Since(begin), most)
	}
	// Another source has its own bucket, while 127.0.0.4's is empty.
	if st := upgradeFrom(t, h.addr(), "127.0.0.5"); st != 101 {
		t.Fatalf("from 127.0.0.5: status %d, want 101", st)
	}
	// 127.0.0.4's bucket refills at one token per second.
	if !eventually(5*time.Second, func() bool { return upgradeFrom(t, h.addr(), "127.0.0.4") == 101 }) {
		t.Fatal("127.0.0.4 still refused after its bucket refilled")
	}
	if m := h.srv.Metrics(); m.RefusedPerIP < uint64(refused) {
		t.Errorf("RefusedPerIP %d, want at least %d", m.RefusedPerIP, refused)
	}
}
