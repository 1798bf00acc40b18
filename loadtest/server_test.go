package loadtest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// testServer is a small WebSocket server for the tests: goroutine per
// connection, gobwas/ws framing. Modes:
//
//	echo       echo every message
//	corrupt    echo with one payload byte flipped
//	broadcast  relay every message to every connection
//	close1011  read one message, then close with 1011
//	reject     refuse the upgrade with 403
type testServer struct {
	mode string
	hs   *httptest.Server
	url  string

	mu      sync.Mutex
	conns   map[*lockedConn]struct{}
	remotes map[string]int
}

// lockedConn serializes writes to one connection.
type lockedConn struct {
	net.Conn
	r  io.Reader
	mu sync.Mutex
}

func (c *lockedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *lockedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.Write(p)
}

func startServer(t testing.TB, mode string, useTLS bool) *testServer {
	t.Helper()
	s := &testServer{mode: mode, conns: map[*lockedConn]struct{}{}, remotes: map[string]int{}}
	h := http.HandlerFunc(s.serve)
	if useTLS {
		s.hs = httptest.NewTLSServer(h)
		s.url = "wss://" + strings.TrimPrefix(s.hs.URL, "https://") + "/ws"
	} else {
		s.hs = httptest.NewServer(h)
		s.url = "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/ws"
	}
	t.Cleanup(s.close)
	return s
}

func (s *testServer) close() {
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.hs.CloseClientConnections()
	s.hs.Close()
}

func (s *testServer) remoteIPs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.remotes {
		out[k] = v
	}
	return out
}

func (s *testServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.mode == "reject" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	nc, brw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &lockedConn{Conn: nc, r: brw.Reader}
	host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.remotes[host]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	for {
		msg, op, err := wsutil.ReadClientData(c)
		if err != nil {
			return
		}
		switch s.mode {
		case "echo":
			err = wsutil.WriteServerMessage(c, op, msg)
		case "corrupt":
			if len(msg) > 0 {
				msg[len(msg)/2] ^= 0x01
			}
			err = wsutil.WriteServerMessage(c, op, msg)
		case "broadcast":
			s.mu.Lock()
			all := make([]*lockedConn, 0, len(s.conns))
			for o := range s.conns {
				all = append(all, o)
			}
			s.mu.Unlock()
			for _, o := range all {
				_ = wsutil.WriteServerMessage(o, op, msg)
			}
		case "close1011":
			_ = ws.WriteFrame(c, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusInternalServerError, "boom")))
			// Wait for the client's close reply, then end.
			for {
				if _, _, err := wsutil.ReadClientData(c); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// readResultFile reads a Result written by -json.
func readResultFile(t testing.TB, path string) *Result {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}
