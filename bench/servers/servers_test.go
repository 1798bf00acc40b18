package servers_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/wsloop/wsloop/bench/servers"
	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// start runs impl in-process on 127.0.0.1:0 and returns its address; the
// server stops when the test ends.
func start(t *testing.T, impl, mode string) string {
	t.Helper()
	return startCfg(t, impl, serverutil.Config{Addr: "127.0.0.1:0", Mode: mode})
}

// nbioRace is why nbio is not run under the race detector: its listener
// goroutine accepts a connection and registers it with a poller goroutine
// through epoll, a hand-off the race detector cannot see, so it reports a
// race inside nbio (nbhttp.Engine.listen, which nbio marks go:norace,
// against ServerProcessor.OnComplete reading the address), with or without
// TLS. make test runs these tests without -race, nbio included.
const nbioRace = "nbio's accept hands connections to its pollers through epoll, which the race detector cannot see; run without -race"

// startCfg is start with a whole Config (cfg.Addr is ignored).
func startCfg(t *testing.T, impl string, cfg serverutil.Config) string {
	t.Helper()
	if raceDetector && impl == "nbio" {
		t.Skip(nbioRace)
	}
	cfg.Addr = "127.0.0.1:0"
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	ctx = serverutil.WithReady(ctx, func(a net.Addr) { ready <- a })
	done := make(chan error, 1)
	go func() { done <- servers.Run(ctx, impl, cfg) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop within 10s", impl)
		}
	})
	select {
	case a := <-ready:
		return a.String()
	case err := <-done:
		t.Fatalf("%s: Run returned early: %v", impl, err)
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not listening after 5s", impl)
	}
	return ""
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, _, err := ws.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func readData(t *testing.T, c net.Conn) ([]byte, ws.OpCode) {
	t.Helper()
	msg, op, err := wsutil.ReadServerData(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return msg, op
}

// peers lists the implementations that run every plain scenario (the gnet
// reference runs only the idle ones; it has its own test).
func peers() []string {
	var out []string
	for _, n := range servers.Names {
		if servers.Unsupported(n, "echo", false) != "" || servers.Unsupported(n, "broadcast", false) != "" {
			continue
		}
		if _, err := servers.Lookup(n); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func TestHealthz(t *testing.T) {
	for _, impl := range peers() {
		t.Run(impl, func(t *testing.T) {
			addr := start(t, impl, serverutil.ModeEcho)
			cl := http.Client{Timeout: 5 * time.Second}
			resp, err := cl.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
	}
}

func TestEcho(t *testing.T) {
	msgs := []struct {
		name string
		op   ws.OpCode
		data []byte
	}{
		{name: "text", op: ws.OpText, data: []byte("hello, wsloop")},
		{name: "binary", op: ws.OpBinary, data: []byte{0, 1, 2, 0xff, 0xfe}},
		{name: "binary-16k", op: ws.OpBinary, data: bytes.Repeat([]byte{0xa5}, 16<<10)},
		{name: "text-70k", op: ws.OpText, data: bytes.Repeat([]byte("x"), 70<<10)},
	}
	for _, impl := range peers() {
		t.Run(impl, func(t *testing.T) {
			c := dial(t, start(t, impl, serverutil.ModeEcho))
			for _, m := range msgs {
				if err := wsutil.WriteClientMessage(c, m.op, m.data); err != nil {
					t.Fatalf("%s: write: %v", m.name, err)
				}
				got, op := readData(t, c)
				if op != m.op {
					t.Errorf("%s: opcode %v, want %v", m.name, op, m.op)
				}
				if !bytes.Equal(got, m.data) {
					t.Errorf("%s: payload differs (%d bytes, want %d)", m.name, len(got), len(m.data))
				}
			}
		})
	}
}

func TestEchoPipelined(t *testing.T) {
	const n = 32
	for _, impl := range peers() {
		t.Run(impl, func(t *testing.T) {
			c := dial(t, start(t, impl, serverutil.ModeEcho))
			for i := 0; i < n; i++ {
				if err := wsutil.WriteClientText(c, fmt.Appendf(nil, "m%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < n; i++ {
				got, _ := readData(t, c)
				if want := fmt.Sprintf("m%d", i); string(got) != want {
					t.Fatalf("message %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestBroadcast(t *testing.T) {
	const clients = 4
	for _, impl := range peers() {
		t.Run(impl, func(t *testing.T) {
			addr := start(t, impl, serverutil.ModeBroadcast)
			conns := make([]net.Conn, clients)
			for i := range conns {
				conns[i] = dial(t, addr)
			}
			// Registration can trail the 101; wait until a probe from the last
			// client reaches the first one, then drain the probes.
			waitRegistered(t, conns)
			for i, sender := range conns {
				want := fmt.Sprintf("from %d", i)
				if err := wsutil.WriteClientBinary(sender, []byte(want)); err != nil {
					t.Fatal(err)
				}
				for j, rc := range conns {
					got, op := readData(t, rc)
					if op != ws.OpBinary || string(got) != want {
						t.Fatalf("client %d got %q (%v), want %q binary", j, got, op, want)
					}
				}
			}
		})
	}
}

// waitRegistered sends one probe per client and checks every client receives
// all of them, so every connection is known to the server's broadcast set.
func waitRegistered(t *testing.T, conns []net.Conn) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	for i, c := range conns {
		if err := wsutil.WriteClientText(c, []byte(fmt.Sprintf("probe %d", i))); err != nil {
			t.Fatal(err)
		}
		for j, rc := range conns {
			got, op := readData(t, rc)
			if op != ws.OpText || string(got) != fmt.Sprintf("probe %d", i) {
				t.Fatalf("client %d: probe %d got %q", j, i, got)
			}
		}
	}
}

func TestUnsupported(t *testing.T) {
	for _, tc := range []struct {
		impl, group string
		tls, ok     bool
	}{
		{"wsloop", "echo", true, true},
		{"gobwas", "echo", false, true},
		{"gobwas", "tls", true, false},
		{"gnet", "idle", false, true},
		{"gnet", "echo", false, false},
		{"gnet", "broadcast", false, false},
		{"gnet", "tls", true, false},
	} {
		if got := servers.Unsupported(tc.impl, tc.group, tc.tls) == ""; got != tc.ok {
			t.Errorf("Unsupported(%s, %s, %v) runs=%v, want %v", tc.impl, tc.group, tc.tls, got, tc.ok)
		}
	}
}
