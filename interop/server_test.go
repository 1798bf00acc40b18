package interop_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe for a process's output and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `wsloop serve` process.
type server struct {
	addr   string // 127.0.0.1:port
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error // set when done is closed
	once   sync.Once
	tls    bool // started with -tls-self-signed: wss:// and https://
}

// wsURL is the server's ws:// base URL; httpURL its http:// one.
func (s *server) wsURL() string {
	if s.tls {
		return "wss://" + s.addr
	}
	return "ws://" + s.addr
}

func (s *server) httpURL() string {
	if s.tls {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

// httpClient talks to the server; with -tls-self-signed there is no CA to
// verify against.
func httpClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs wsloop serve (with -compress when compress, and extra flags) on a
// free port, waits for its banner and /healthz, and registers a cleanup that stops it
// with SIGTERM and checks a clean exit.
func startServer(t *testing.T, compress bool, extra ...string) *server {
	t.Helper()
	bin := wsloopBinary(t)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // another process may take the port in between
		s, err := launch(bin, freePort(t), compress, extra)
		if err == nil {
			t.Cleanup(func() { s.stop(t) })
			return s
		}
		lastErr = err
	}
	t.Fatalf("wsloop serve did not start: %v", lastErr)
	return nil
}

func launch(bin string, port int, compress bool, extra []string) (*server, error) {
	s := &server{
		addr:   fmt.Sprintf("127.0.0.1:%d", port),
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		done:   make(chan struct{}),
	}
	args := []string{"serve", "-addr", s.addr}
	s.tls = slices.Contains(extra, "-tls-self-signed")
	if compress {
		args = append(args, "-compress")
	}
	args = append(args, extra...)
	s.cmd = exec.Command(bin, args...)
	pr, pw := io.Pipe()
	s.cmd.Stdout = io.MultiWriter(s.stdout, pw)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		_ = pw.Close()
		close(s.done)
	}()
	banner := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			if !found && strings.HasPrefix(sc.Text(), "wsloop listening on "+s.wsURL()) {
				found = true
				banner <- true
			}
		}
		if !found {
			banner <- false
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case ok := <-banner:
		if !ok {
			<-s.done
			return nil, fmt.Errorf("exited before listening (%v)\nstdout:\n%s\nstderr:\n%s", s.err, s.stdout, s.stderr)
		}
	case <-time.After(startTimeout):
		s.kill()
		return nil, fmt.Errorf("no banner within %v\nstdout:\n%s\nstderr:\n%s", startTimeout, s.stdout, s.stderr)
	}
	if err := s.waitHealthy(); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// waitHealthy polls /healthz until it answers "ok", within startTimeout.
func (s *server) waitHealthy() error {
	c := httpClient(time.Second)
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := c.Get(s.httpURL() + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == "ok" {
				return nil
			}
			err = fmt.Errorf("/healthz: %s %q", resp.Status, b)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy within %v: %v", startTimeout, last)
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop sends SIGTERM and checks, once, that the server shuts down cleanly with exit
// code 0, without panics or data races in its output.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.once.Do(func() { s.stopAndCheck(t) })
}

func (s *server) stopAndCheck(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.kill()
		t.Errorf("wsloop did not exit within %v of SIGTERM\nstdout:\n%s\nstderr:\n%s", stopTimeout, s.stdout, s.stderr)
		return
	}
	out, errOut := s.stdout.String(), s.stderr.String()
	if s.err != nil {
		t.Errorf("wsloop exited with %v after SIGTERM, want exit code 0\nstdout:\n%s\nstderr:\n%s", s.err, out, errOut)
	}
	if !strings.Contains(out, "wsloop: shutting down") {
		t.Errorf("wsloop stdout lacks the shutdown line:\n%s", out)
	}
	for _, bad := range []string{"DATA RACE", "panic", "goroutine "} {
		if strings.Contains(errOut, bad) {
			t.Errorf("wsloop stderr contains %q:\n%s", bad, errOut)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("wsloop stderr:\n%s", errOut)
	}
}

// metrics reads the server's /metrics.json counters.
func (s *server) metrics(t *testing.T) map[string]int64 {
	t.Helper()
	c := httpClient(5 * time.Second)
	resp, err := c.Get(s.httpURL() + "/metrics.json")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	defer resp.Body.Close()
	raw := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("/metrics.json: %v", err)
	}
	m := map[string]int64{} // the numeric counters (not the by-reason maps)
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			m[k] = int64(f)
		}
	}
	return m
}

// checkMetrics asserts that the clients caused no panics, exactly protocolErrors
// protocol errors (the clients' deliberate violations), and exactly upgraded upgrades.
func (s *server) checkMetrics(t *testing.T, upgraded, protocolErrors int64) {
	t.Helper()
	m := s.metrics(t)
	t.Logf("metrics: %v", m)
	if m["Panics"] != 0 || m["ProtocolErrors"] != protocolErrors {
		t.Errorf("server counted Panics=%d ProtocolErrors=%d, want 0 and %d", m["Panics"], m["ProtocolErrors"], protocolErrors)
	}
	if m["Upgraded"] != upgraded {
		t.Errorf("Upgraded=%d, want %d", m["Upgraded"], upgraded)
	}
}
