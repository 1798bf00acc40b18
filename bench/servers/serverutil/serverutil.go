// Package serverutil holds the small pieces every benchmark server shares:
// mode validation, the /healthz handler, the readiness hook and a net/http
// runner that stops with its context.
package serverutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Benchmark server modes.
const (
	ModeEcho      = "echo"      // echo every message back with the same type
	ModeBroadcast = "broadcast" // send every message to every open connection
)

// ErrBadMode is returned for a mode other than ModeEcho or ModeBroadcast.
var ErrBadMode = errors.New("serverutil: mode must be echo or broadcast")

// CheckMode returns ErrBadMode unless mode is a known mode.
func CheckMode(mode string) error {
	if mode != ModeEcho && mode != ModeBroadcast {
		return fmt.Errorf("%w (got %q)", ErrBadMode, mode)
	}
	return nil
}

// Healthz answers 200 "ok"; every server mounts it at /healthz.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok\n"))
}

type readyKey struct{}

// WithReady returns a context that carries fn; a server calls it once with
// its bound address when it accepts connections (useful with port 0).
func WithReady(ctx context.Context, fn func(net.Addr)) context.Context {
	return context.WithValue(ctx, readyKey{}, fn)
}

// NotifyReady calls the function stored by WithReady, if any.
func NotifyReady(ctx context.Context, addr net.Addr) {
	if fn, ok := ctx.Value(readyKey{}).(func(net.Addr)); ok && fn != nil {
		fn(addr)
	}
}

// ShutdownGrace bounds how long a server waits for itself to stop.
const ShutdownGrace = 3 * time.Second

// ServeHTTP listens on addr, serves h until ctx ends, then shuts down. The
// returned error is nil after a shutdown caused by ctx.
func ServeHTTP(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	NotifyReady(ctx, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx) // hijacked connections are closed by each server
	_ = srv.Close()
	<-errc
	return nil
}
