package interop_test

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestMounted drives the endpoints that `wsloop serve -mount` serves from a
// net/http server (upgrades handed to wsloop's event loops by
// api.Server.Handler) with the Python websockets, Node.js ws and
// gorilla/websocket clients:
// plain, and behind net/http's own TLS (the pumped path; Python only, as
// the other clients verify the self-signed certificate).
func TestMounted(t *testing.T) {
	requireInterop(t)
	requireFile(t, debianPython, "Debian python3")
	requireFile(t, "/usr/lib/python3/dist-packages/websockets/__init__.py", "python3-websockets")
	node := requireNode(t, "ws")
	script, err := filepath.Abs("python/ws_client.py")
	if err != nil {
		t.Fatal(err)
	}
	goDir, err := filepath.Abs("goclient")
	if err != nil {
		t.Fatal(err)
	}
	goClient := buildOnce(t, "goclient", goDir, ".", false)
	for _, secure := range []bool{false, true} {
		name := "ws"
		if secure {
			name = "wss"
		}
		t.Run(name, func(t *testing.T) {
			maddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			extra := []string{"-mount", maddr}
			if secure {
				extra = append(extra, "-tls-self-signed")
			}
			s := startServer(t, true, extra...)
			m := &server{addr: maddr, tls: s.tls}
			runClient(t, ".", pythonCases, debianPython, script, m.wsURL(), "on")
			if secure { // the Node and Go clients verify certificates: Python only
				m.checkMetrics(t, 13, 1)
				return
			}
			runClient(t, nodeDir, nodeCases, node, "ws_client.js", m.wsURL(), "on")
			runClient(t, ".", goCases, goClient, "-url", m.wsURL(), "-compress", "on")
			// The clients' connections (13, 113 and 11) came through
			// net/http; wsloop's own listener shares the counters.
			m.checkMetrics(t, 13+113+11, 2)
		})
	}
}

// TestChromiumMounted opens the demo page that the net/http mount serves in
// headless Chromium: its chat and echo sockets are mounted connections.
func TestChromiumMounted(t *testing.T) {
	requireInterop(t)
	node := requireNode(t, "playwright-core")
	requireFile(t, chromiumPath(), "Debian chromium")
	maddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, true, "-mount", maddr)
	m := &server{addr: maddr, tls: s.tls}
	runClient(t, nodeDir, browserCases, node, "browser_demo.js", m.httpURL(), "on", t.TempDir())
	m.checkMetrics(t, 3, 0) // two pages' chat sockets and one echo socket
}
