package interop_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestChromiumClusterDemo runs two wsloop nodes (the first with an
// embedded NATS server, the second joining it) and drives their demo pages
// in two headless Chromium tabs: each page names its node, a chat message
// typed in either tab appears in the other, and both pages chart both
// nodes. Set WSLOOP_INTEROP_SHOTS=dir to keep the screenshot.
func TestChromiumClusterDemo(t *testing.T) {
	requireInterop(t)
	node := requireNode(t, "playwright-core")
	requireFile(t, chromiumPath(), "Debian chromium")
	natsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	n1 := startServer(t, false, "-node", "node1", "-nats-embed", natsAddr)
	n2 := startServer(t, false, "-node", "node2", "-nats", "nats://"+natsAddr)
	dir := t.TempDir()
	runClient(t, nodeDir, []string{"launch", "open-two-nodes", "chat-across-nodes", "charts", "screenshot", "page-errors"},
		node, "browser_cluster.js", n1.httpURL(), n2.httpURL(), dir)
	if keep := os.Getenv("WSLOOP_INTEROP_SHOTS"); keep != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "cluster.png")); err == nil {
			_ = os.WriteFile(filepath.Join(keep, "cluster.png"), b, 0o644)
		}
	}
}
