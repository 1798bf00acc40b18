// Package serverutil holds the small pieces every benchmark server shares:
// the server Config (address, mode, TLS certificate), mode validation, the
// /healthz handler, the readiness hook and a net/http runner that stops
// with its context.
package serverutil

import (
	"context"
	"crypto/tls"
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

// ServeHTTP listens on cfg.Addr, serves h until ctx ends, then shuts down.
// With cfg.TLS() it serves HTTPS with cfg.TLSConfig() and HTTP/2 turned off
// (an empty TLSNextProto), as net/http documents. The returned error is nil
// after a shutdown caused by ctx.
func ServeHTTP(ctx context.Context, cfg Config, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if cfg.TLS() {
		tc, err := cfg.TLSConfig()
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	NotifyReady(ctx, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS() {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
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
