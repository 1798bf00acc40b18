package interop_test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

var nodeCases = []string{
	"text", "binary", "empty", "large-1MiB-binary", "large-1MiB-text", "fragmented",
	"ping-pong", "close-4000", "close-1000", "compression", "chat-broadcast", "invalid-utf8-1007",
	"concurrent-100", "bad-path-404",
}

// nodeDir is interop/node, holding the Node.js clients and their node_modules.
const nodeDir = "node"

// requireNode fails unless node and the npm packages of interop/node are installed.
func requireNode(t *testing.T, pkgs ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not on PATH: %s", installHint)
	}
	for _, p := range pkgs {
		requireFile(t, filepath.Join(nodeDir, "node_modules", p, "package.json"), "npm package "+p+" (npm ci in interop/node)")
	}
	return node
}

// TestNodeWS drives wsloop with the Node.js ws library, with compression off and on.
func TestNodeWS(t *testing.T) {
	requireInterop(t)
	node := requireNode(t, "ws")
	for _, m := range modes {
		t.Run("compress="+m.name, func(t *testing.T) {
			s := startServer(t, m.compress)
			runClient(t, nodeDir, nodeCases, node, "ws_client.js", s.wsURL(), m.name)
			// One connection per case, two for chat, 100 for concurrent-100, none for
			// the 404; the invalid UTF-8 frame is the one protocol error.
			s.checkMetrics(t, 113, 1)
		})
	}
}
