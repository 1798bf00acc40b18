package interop_test

import (
	"path/filepath"
	"testing"
)

var goCases = []string{"text", "binary", "large-1MiB-binary", "fragmented", "ping-pong", "close-4000", "close-1000", "compression", "chat-broadcast"}

// TestGorillaClient builds the nested module interop/goclient (gorilla/websocket,
// kept out of the core go.mod) and runs it with compression off and on.
func TestGorillaClient(t *testing.T) {
	requireInterop(t)
	dir, err := filepath.Abs("goclient")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildOnce(t, "goclient", dir, ".", false)
	for _, m := range modes {
		t.Run("compress="+m.name, func(t *testing.T) {
			s := startServer(t, m.compress)
			runClient(t, ".", goCases, bin, "-url", s.wsURL(), "-compress", m.name)
			s.checkMetrics(t, 11, 0) // one connection per case, three for chat
		})
	}
}
