// Package servers lists the benchmark servers by name: the same echo and
// broadcast server written on wsloop and on each peer library.
package servers

import (
	"context"
	"fmt"

	"github.com/wsloop/wsloop/bench/servers/coder"
	"github.com/wsloop/wsloop/bench/servers/gnetfloor"
	"github.com/wsloop/wsloop/bench/servers/gobwas"
	"github.com/wsloop/wsloop/bench/servers/gorilla"
	"github.com/wsloop/wsloop/bench/servers/gws"
	"github.com/wsloop/wsloop/bench/servers/nbio"
	"github.com/wsloop/wsloop/bench/servers/serverutil"
	"github.com/wsloop/wsloop/bench/servers/wsloop"
)

// RunFunc serves cfg.Mode ("echo" or "broadcast") on cfg.Addr, over TLS
// when cfg has a certificate, until ctx ends.
type RunFunc func(ctx context.Context, cfg serverutil.Config) error

// registry maps an implementation name to its server.
var registry = map[string]RunFunc{
	"wsloop":  wsloop.Run,
	"gorilla": gorilla.Run,
	"gws":     gws.Run,
	"nbio":    nbio.Run,
	"gobwas":  gobwas.Run,
	"coder":   coder.Run,
	"gnet":    gnetfloor.Run,
}

// Names lists every implementation in report order: wsloop first, the
// peers, then gnet, the reference floor (idle scenarios only).
var Names = []string{"wsloop", "gorilla", "gws", "nbio", "gobwas", "coder", "gnet"}

// Lookup returns the server for impl.
func Lookup(impl string) (RunFunc, error) {
	if fn, ok := registry[impl]; ok {
		return fn, nil
	}
	return nil, fmt.Errorf("servers: unknown implementation %q (known: %v)", impl, Names)
}

// noTLS maps the implementations that cannot serve TLS to the reason.
var noTLS = map[string]string{
	"gobwas": gobwas.TLSUnsupported,
	"gnet":   gnetfloor.Scope,
}

// TLSUnsupported returns why impl cannot serve TLS, or "" when it can.
func TLSUnsupported(impl string) string { return noTLS[impl] }

// Unsupported returns why impl cannot run the scenarios of group ("idle",
// "echo", "broadcast", "tls"), over TLS when tls, or "" when it can.
func Unsupported(impl, group string, tls bool) string {
	if tls {
		if why := noTLS[impl]; why != "" {
			return why
		}
	}
	if impl == "gnet" && group != "idle" {
		return gnetfloor.Scope
	}
	return ""
}

// Run looks up impl and runs it.
func Run(ctx context.Context, impl string, cfg serverutil.Config) error {
	fn, err := Lookup(impl)
	if err != nil {
		return err
	}
	return fn(ctx, cfg)
}
