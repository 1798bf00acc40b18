package promwsloop_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/api/promwsloop"
)

// The collector's output passes client_golang's linter (naming and help
// conventions) and follows the server: an open WebSocket, a message in
// and out, a refusal by reason, and a plain HTTP request that is not a
// connection.
func TestCollector(t *testing.T) {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true,
		HTTPHandler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") }),
	}, api.Events{
		OnDataIn: func(e *api.DataInEvent) { _ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data) },
	})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	c := promwsloop.NewCollector(srv, prometheus.Labels{"server": "test"})

	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	resp, err := http.Get("http://" + srv.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	conn, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewTextFrame([]byte("ping"))))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := ws.ReadFrame(conn); err != nil {
		t.Fatal(err)
	}
	// A request with a bad version is refused with 426 (ws_version).
	raw, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(raw, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(raw)
	raw.Close()
	if !strings.HasPrefix(string(b), "HTTP/1.1 426") {
		t.Fatalf("bad version answered %q", b)
	}

	want := `
# HELP wsloop_connections_open Open WebSocket connections.
# TYPE wsloop_connections_open gauge
wsloop_connections_open{server="test"} 1
# HELP wsloop_messages_received_total WebSocket messages received.
# TYPE wsloop_messages_received_total counter
wsloop_messages_received_total{server="test"} 1
# HELP wsloop_sent_payload_bytes_total Payload bytes of messages sent.
# TYPE wsloop_sent_payload_bytes_total counter
wsloop_sent_payload_bytes_total{server="test"} 4
# HELP wsloop_http_requests_total Plain HTTP requests answered by the HTTP handler on the WebSocket port.
# TYPE wsloop_http_requests_total counter
wsloop_http_requests_total{server="test"} 1
`
	names := []string{"wsloop_connections_open", "wsloop_messages_received_total", "wsloop_sent_payload_bytes_total", "wsloop_http_requests_total"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := refusedBy(t, c, "ws_version"); n != 1 {
		t.Errorf("refused ws_version = %v, want 1", n)
	}
}

// refusedBy returns the value of wsloop_handshakes_refused_total for one
// reason.
func refusedBy(t *testing.T, c prometheus.Collector, reason string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "wsloop_handshakes_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no refused series for %q", reason)
	return 0
}
