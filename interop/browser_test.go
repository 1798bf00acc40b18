package interop_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var browserCases = []string{"launch", "open-two-pages", "chat", "echo", "compression", "metrics", "screenshot", "page-errors"}

// chromiumPath is Debian's chromium, or $CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// TestChromiumDemo opens the demo page in headless Chromium (through playwright-core):
// a chat message from one page reaches the other, the echo round trip completes,
// permessage-deflate is negotiated exactly when the server offers it, and a screenshot
// of the page is a real PNG. Set WSLOOP_INTEROP_SHOTS=dir to keep the screenshots.
func TestChromiumDemo(t *testing.T) {
	requireInterop(t)
	node := requireNode(t, "playwright-core")
	requireFile(t, chromiumPath(), "Debian chromium")
	for _, m := range modes {
		t.Run("compress="+m.name, func(t *testing.T) {
			s := startServer(t, m.compress)
			dir := t.TempDir()
			runClient(t, nodeDir, browserCases, node, "browser_demo.js", s.httpURL(), m.name, dir)
			shot := filepath.Join(dir, "demo-"+m.name+".png")
			b, err := os.ReadFile(shot)
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			if r := img.Bounds(); r.Dx() < 100 || r.Dy() < 100 {
				t.Errorf("screenshot is %dx%d", r.Dx(), r.Dy())
			}
			if keep := os.Getenv("WSLOOP_INTEROP_SHOTS"); keep != "" {
				_ = os.WriteFile(filepath.Join(keep, "demo-"+m.name+".png"), b, 0o644)
			}
			// Two pages' chat sockets and one echo socket.
			s.checkMetrics(t, 3, 0)
		})
	}
}
