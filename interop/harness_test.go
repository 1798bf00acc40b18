package interop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	installHint   = "run `bash .ci/install-deps.sh` to install the interop clients (or set WSLOOP_INTEROP=off to skip the interop tests explicitly)"
	startTimeout  = 15 * time.Second
	stopTimeout   = 15 * time.Second
	buildTimeout  = 8 * time.Minute
	clientTimeout = 3 * time.Minute
)

// modes are the two server configurations every client runs against.
var modes = []struct {
	name     string
	compress bool
}{{"off", false}, {"on", true}}

// requireInterop skips only when interop tests were switched off explicitly.
func requireInterop(t *testing.T) {
	t.Helper()
	if os.Getenv("WSLOOP_INTEROP") == "off" {
		t.Skip("WSLOOP_INTEROP=off: interop tests with real third-party clients are disabled")
	}
}

// requireFile fails the test when an external tool is missing.
func requireFile(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s missing (%s): %s", what, path, installHint)
	}
}

// moduleRoot is the core module's directory (the parent of interop/).
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("core go.mod not found above interop/: %v", err)
	}
	return root
}

// goTool is the go command that runs these tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Fatalf("go command not on PATH")
	return ""
}

var (
	buildMu   sync.Mutex
	builtBins = map[string]string{} // name -> binary path, built once per test binary run
	buildErrs = map[string]string{} // name -> why its build failed, reported once per test
	binDir    string
)

// TestMain removes the binaries built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildOnce runs `go build -o <tmp>/<name> pkg` in dir once per test run.
func buildOnce(t *testing.T, name, dir, pkg string, race bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtBins[name]; ok {
		return p
	}
	if msg, ok := buildErrs[name]; ok {
		t.Fatalf("%s (build failed earlier in this run)", msg)
	}
	if binDir == "" {
		d, err := os.MkdirTemp("", "wsloop-interop-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	out := filepath.Join(binDir, name)
	args := []string{"build", "-buildvcs=false", "-o", out}
	if race {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), args...)
	cmd.Dir = dir
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		buildErrs[name] = fmt.Sprintf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, b)
		t.Fatal(buildErrs[name])
	}
	t.Logf("built %s in %v (race=%v)", name, time.Since(start).Round(time.Millisecond), race)
	builtBins[name] = out
	return out
}

// wsloopBinary builds cmd/wsloop, with the race detector when the tests have it,
// or returns $WSLOOP_INTEROP_BIN when that names a prebuilt binary to test.
func wsloopBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WSLOOP_INTEROP_BIN"); p != "" {
		requireFile(t, p, "the binary named by WSLOOP_INTEROP_BIN")
		return p
	}
	return buildOnce(t, "wsloop", moduleRoot(t), "./cmd/wsloop", raceBuild)
}
