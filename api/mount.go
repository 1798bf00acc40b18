package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

// Upgrade hands a WebSocket upgrade request received by a net/http server
// (any mux, router or middleware chain) to the server's event loops. Call it
// from an http.Handler; the server must be listening (Listen), but the
// request may come from any listener: for a server that only mounts,
// listen on 127.0.0.1 port 0 and call StopListening, which refuses wsloop's
// own listener but not mounted connections.
//
// Requests that are not a WebSocket upgrade get 426, HTTP/2 requests 505,
// and requests beyond MaxConnections or during Shutdown 503, all through w.
// Otherwise Upgrade hijacks the connection and the event loop answers it
// exactly as a request read from wsloop's own listener: the same
// validation, limits and OnWebSocketOpenRequest event (whose Request field
// is r), then the 101 or the refusal. Bytes net/http had already read past
// the request are decoded first. The connection counts against
// MaxConnections, is closed by Shutdown and has a ConnID like any other.
//
// A plain TCP connection moves onto an event loop (its descriptor is
// duplicated and the net.Conn closed): once Upgrade returns no goroutine
// remains for it. Behind net/http's own TLS the crypto/tls state cannot
// move: such a connection is joined to a loop by a socket pair and two
// goroutines that copy between it and the loop for its whole life (see
// README "Mount in net/http" for the measured cost); wsloop's own TLS
// listener (Config.TLS) has no such cost.
//
// Upgrade returns nil once the connection is on a loop (whether the loop
// then accepts or refuses the upgrade), or the error that prevented it;
// after a hijack the caller must not use w or the connection again.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request) error {
	e := s.engine()
	if e == nil || !e.Running() {
		http.Error(w, "WebSocket server not running", http.StatusServiceUnavailable)
		return ErrServerClosed
	}
	if r.ProtoMajor != 1 {
		http.Error(w, "WebSocket needs HTTP/1.1", http.StatusHTTPVersionNotSupported)
		return errUpgradeProto
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		http.Error(w, "WebSocket upgrade required", http.StatusUpgradeRequired)
		return errNotUpgrade
	}
	if max := s.cfg.MaxConnections; max > 0 && e.ConnectionCount() >= max {
		e.Metrics().Refused.Add(1)
		e.Metrics().RefusedBy[engine.RefusedMaxConnections].Add(1)
		http.Error(w, "server at connection limit", http.StatusServiceUnavailable)
		return ErrRefused
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "connection cannot be hijacked", http.StatusInternalServerError)
		return errNoHijack
	}
	nc, rw, err := hj.Hijack()
	if err != nil {
		return err
	}
	var buffered []byte
	if n := rw.Reader.Buffered(); n > 0 {
		buffered, _ = rw.Reader.Peek(n)
	}
	return e.Mount(nc, requestHead(r), buffered, r)
}

// Handler returns an http.Handler that upgrades every request with
// Upgrade, for mounting on a mux path.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Upgrade(w, r); err != nil && s.logLevel.Load() >= 2 {
			a := dispatcher{s: s}
			a.Log(nil, 2, "mount refused", slog.String("remote", r.RemoteAddr), slog.String("reason", err.Error()))
		}
	})
}

var (
	errUpgradeProto = errors.New("wsloop: WebSocket upgrade over HTTP/2 is not supported")
	errNotUpgrade   = errors.New("wsloop: not a WebSocket upgrade request")
	errNoHijack     = errors.New("wsloop: the ResponseWriter does not support Hijack")
)

// requestHead rebuilds the request head from r, so that the event loop
// parses and validates it with the same code as a request it read itself
// (net/http moved Host out of r.Header).
func requestHead(r *http.Request) []byte {
	b := make([]byte, 0, 512)
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.RequestURI...)
	b = append(b, " HTTP/"...)
	b = strconv.AppendInt(b, int64(r.ProtoMajor), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(r.ProtoMinor), 10)
	b = append(b, "\r\n"...)
	if r.Host != "" {
		b = codec.AppendHeaderLine(b, "Host", r.Host)
	}
	for name, values := range r.Header {
		for _, v := range values {
			b = codec.AppendHeaderLine(b, name, v)
		}
	}
	return append(b, "\r\n"...)
}

// headerHasToken reports whether a comma-separated header holds token
// (case-insensitive).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for item := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(item), token) {
				return true
			}
		}
	}
	return false
}
