package interop_test

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShutdownClosesClients holds Python websockets connections on /echo and /chat
// open while the server gets SIGTERM: each must receive close code 1001 and the
// server must exit 0.
func TestShutdownClosesClients(t *testing.T) {
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
			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, debianPython, script, s.wsURL(), "hold")
			cmd.WaitDelay = 5 * time.Second
			pr, pw := io.Pipe()
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, pw), &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			connected := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(pr)
				found := false
				for sc.Scan() {
					if !found && sc.Text() == "connected" {
						found = true
						connected <- true
					}
				}
				if !found {
					connected <- false
				}
			}()
			waitErr := make(chan error, 1)
			go func() { waitErr <- cmd.Wait(); _ = pw.Close() }()
			select {
			case ok := <-connected:
				if !ok {
					t.Fatalf("client ended before connecting: %v\n%s", <-waitErr, out.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("client did not connect within 30s:\n%s", out.String())
			}
			s.stop(t) // SIGTERM with both connections open; checks exit code 0
			err := <-waitErr
			t.Logf("client output:\n%s", out.String())
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			if !strings.Contains(out.String(), "ok shutdown-1001") {
				t.Errorf("client did not see close 1001 on both connections")
			}
		})
	}
}
