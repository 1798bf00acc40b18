package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// lockedBuffer is a bytes.Buffer safe for a logger and a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// At LogLevel 1 a connection's life logs nothing; at 2 its disconnection is
// one record with its values as attributes, not in the message.
func TestLogPerConnectionIsVerbose(t *testing.T) {
	for _, level := range []int{1, 2} {
		var buf lockedBuffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: api.SlogLevel(level)}))
		disc := make(chan struct{}, 1)
		srv := api.New(api.Config{LocalHost: "127.0.0.1", LogLevel: level, Logger: logger}, api.Events{
			OnDisconnected: func(*api.DisconnectedEvent) { disc <- struct{}{} },
		})
		if err := srv.Listen(); err != nil {
			t.Fatal(err)
		}
		conn, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(4002, "done"))))
		<-disc
		conn.Close()
		_ = srv.Shutdown(context.Background())
		out := strings.TrimSpace(buf.String())
		if level == 1 {
			if out != "" {
				t.Errorf("LogLevel 1 logged a connection's life:\n%s", out)
			}
			continue
		}
		var rec map[string]any
		for line := range strings.SplitSeq(out, "\n") {
			var r map[string]any
			if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == "disconnected" {
				rec = r
			}
		}
		if rec == nil {
			t.Fatalf("no disconnected record at LogLevel 2:\n%s", out)
		}
		remote, _ := rec["remote"].(string)
		if rec["code"] != float64(4002) || rec["reason"] != "done" || rec["conn"] == nil ||
			!strings.HasPrefix(remote, "127.0.0.1:") || rec["bytes_in"] == nil {
			t.Errorf("disconnected record %v", rec)
		}
	}
}
