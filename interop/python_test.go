package interop_test

import (
	"path/filepath"
	"testing"
)

// debianPython is Debian's interpreter: a pyenv python3 on PATH would not see python3-websockets.
const debianPython = "/usr/bin/python3"

var pythonCases = []string{
	"text", "binary", "empty", "large-1MiB-binary", "large-1MiB-text", "fragmented",
	"ping-pong", "close-4000", "close-1000", "compression", "chat-broadcast", "bad-path-404",
	"invalid-utf8-1007",
}

// TestPythonWebsockets drives wsloop with the Python websockets library, with the
// server's compression off and on, and against -max-message for the 1009 close.
func TestPythonWebsockets(t *testing.T) {
	requireInterop(t)
	requireFile(t, debianPython, "Debian python3")
	requireFile(t, "/usr/lib/python3/dist-packages/websockets/__init__.py", "python3-websockets")
	script, err := filepath.Abs("python/ws_client.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		t.Run("compress="+m.name, func(t *testing.T) {
			s := startServer(t, m.compress)
			runClient(t, ".", pythonCases, debianPython, script, s.wsURL(), m.name)
			// One connection per case, two for chat, none for the 404; the invalid
			// UTF-8 frame is the one protocol error.
			s.checkMetrics(t, 13, 1)
		})
	}
	t.Run("wss", func(t *testing.T) {
		s := startServer(t, true, "-tls-self-signed")
		runClient(t, ".", pythonCases, debianPython, script, s.wsURL(), "on")
		s.checkMetrics(t, 13, 1)
	})
	t.Run("max-message", func(t *testing.T) {
		s := startServer(t, true, "-max-message", "65536")
		runClient(t, ".", []string{"oversize-1009"}, debianPython, script, s.wsURL(), "limits")
		s.checkMetrics(t, 1, 1)
	})
}
