package engine

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/wsloop/wsloop/codec"
)

// The Origin check guards against cross-site WebSocket hijacking: a web page
// on another site opening a WebSocket that carries the user's cookies.
// Browsers always send Origin on a WebSocket upgrade, so:
//
//   - a request without Origin (a non-browser client) is allowed;
//   - a request whose Origin host equals its Host header (same origin, case
//     insensitive, port included) is allowed;
//   - otherwise its Origin must match one of Options.Origins, patterns in
//     path.Match syntax matched against the Origin's host ("*.example.com",
//     "localhost:*"), or against the whole Origin when the pattern has a
//     scheme ("https://app.example.com"); "*" allows every origin;
//   - anything else is refused with 403, which OnWebSocketOpenRequest may
//     still overturn (see OpenResponse).

// errForbiddenOrigin is the HTTP answer to a cross-origin upgrade.
var errForbiddenOrigin = &codec.HandshakeError{Status: 403, Reason: "origin not allowed"}

// checkOriginPatterns reports the first malformed pattern of Options.Origins.
func checkOriginPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("engine: bad Origins pattern %q: %w", p, err)
		}
	}
	return nil
}

// originHost returns the host[:port] part of an Origin value
// (scheme://host[:port]); "null" and other opaque origins give nil.
func originHost(origin []byte) []byte {
	i := bytes.Index(origin, []byte("://"))
	if i < 0 {
		return nil
	}
	h := origin[i+3:]
	if j := bytes.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	return h
}

// checkOrigin returns nil when the request's Origin is allowed, or an error
// wrapping errForbiddenOrigin that names the origin and the host. It
// allocates only for a cross-origin request.
func (e *Engine) checkOrigin(req *codec.Request) error {
	if len(req.Origin) == 0 {
		return nil
	}
	host := originHost(req.Origin)
	if len(host) > 0 && bytes.EqualFold(host, req.Host) {
		return nil
	}
	if len(e.opts.Origins) > 0 {
		full := strings.ToLower(string(req.Origin))
		h := strings.ToLower(string(host))
		for _, p := range e.opts.Origins {
			target := h
			if strings.Contains(p, "://") {
				target = full
			}
			if ok, _ := path.Match(strings.ToLower(p), target); ok {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: Origin %q is neither the Host %q nor listed in Origins", errForbiddenOrigin, req.Origin, req.Host)
}
