// Package servers lists the benchmark servers by name: the same echo and
// broadcast server written on wsloop and on each peer library.
package servers

import (
	"context"
	"fmt"

	"github.com/wsloop/wsloop/bench/servers/coder"
	"github.com/wsloop/wsloop/bench/servers/gobwas"
	"github.com/wsloop/wsloop/bench/servers/gorilla"
	"github.com/wsloop/wsloop/bench/servers/gws"
	"github.com/wsloop/wsloop/bench/servers/nbio"
	"github.com/wsloop/wsloop/bench/servers/wsloop"
)

// RunFunc serves mode ("echo" or "broadcast") on addr until ctx ends.
type RunFunc func(ctx context.Context, addr string, mode string) error

// registry maps an implementation name to its server.
var registry = map[string]RunFunc{
	"wsloop":  wsloop.Run,
	"gorilla": gorilla.Run,
	"gws":     gws.Run,
	"nbio":    nbio.Run,
	"gobwas":  gobwas.Run,
	"coder":   coder.Run,
}

// Names lists every implementation in report order (wsloop first).
var Names = []string{"wsloop", "gorilla", "gws", "nbio", "gobwas", "coder"}

// Lookup returns the server for impl.
func Lookup(impl string) (RunFunc, error) {
	if fn, ok := registry[impl]; ok {
		return fn, nil
	}
	return nil, fmt.Errorf("servers: unknown implementation %q (known: %v)", impl, Names)
}

// Run looks up impl and runs it.
func Run(ctx context.Context, impl, addr, mode string) error {
	fn, err := Lookup(impl)
	if err != nil {
		return err
	}
	return fn(ctx, addr, mode)
}
