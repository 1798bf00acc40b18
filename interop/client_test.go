package interop_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runClient runs an external client with a timeout and checks that it exited 0,
// printed "ok <case>" for every wanted case and "PASS <n> cases", and no FAIL line.
func runClient(t *testing.T, dir string, want []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	text := out.String()
	t.Logf("%s %s (%v):\n%s", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(time.Millisecond), text)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("client timed out after %v", clientTimeout)
	}
	if err != nil {
		t.Fatalf("client failed: %v", err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[strings.TrimSpace(l)] = true
		if strings.HasPrefix(l, "FAIL") {
			t.Errorf("client reported %s", l)
		}
	}
	for _, c := range want {
		if !lines["ok "+c] {
			t.Errorf("client did not report case %q as ok", c)
		}
	}
	if pass := fmt.Sprintf("PASS %d cases", len(want)); !lines[pass] {
		t.Errorf("client output lacks %q", pass)
	}
	return text
}
