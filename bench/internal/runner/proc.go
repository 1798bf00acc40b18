package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// pinned returns a command that runs bin with args on CPU cpu when taskset
// is available (cpu < 0: no pinning).
func pinned(ctx context.Context, cpu int, bin string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if ts, err := exec.LookPath("taskset"); err == nil && cpu >= 0 {
		cmd = exec.CommandContext(ctx, ts, append([]string{"-c", fmt.Sprint(cpu), bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	// Own process group, killed with the runner: no server outlives it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// killGroup signals cmd's process group.
func killGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// ServerProc is a running benchserver.
type ServerProc struct {
	Addr string
	cmd  *exec.Cmd
	done chan error
	tls  bool
}

// PID is the server's process id (taskset execs, so it is the server's).
func (s *ServerProc) PID() int { return s.cmd.Process.Pid }

// Cert is the session's certificate and key (PEM files) for wss servers.
type Cert struct{ CertFile, KeyFile string }

// StartServer starts bin -impl impl -addr addr -mode mode pinned to cpu with
// GOMAXPROCS=1, serving TLS with cert when it is not nil, and waits until
// GET /healthz (https:// with cert) answers 200.
func StartServer(ctx context.Context, bin string, cpu int, impl, addr, mode string, cert *Cert, log io.Writer) (*ServerProc, error) {
	args := []string{"-impl", impl, "-addr", addr, "-mode", mode}
	if cert != nil {
		args = append(args, "-cert", cert.CertFile, "-key", cert.KeyFile)
	}
	cmd := pinned(ctx, cpu, bin, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &ServerProc{Addr: addr, cmd: cmd, done: make(chan error, 1), tls: cert != nil}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitHealthy(ctx, 15*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *ServerProc) waitHealthy(ctx context.Context, limit time.Duration) error {
	cl := http.Client{Timeout: time.Second}
	url := "http://" + s.Addr + "/healthz"
	if s.tls {
		// The session's certificate is self-signed: only reachability and
		// the TLS handshake are checked here.
		cl.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		url = "https://" + s.Addr + "/healthz"
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("server exited before becoming healthy: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := cl.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server not healthy at %s after %v", s.Addr, limit)
}

// Stop sends SIGTERM, then SIGKILL after 3 s, and waits for the exit.
func (s *ServerProc) Stop() {
	_ = killGroup(s.cmd, syscall.SIGTERM)
	select {
	case <-s.done:
		return
	case <-time.After(3 * time.Second):
	}
	_ = killGroup(s.cmd, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
