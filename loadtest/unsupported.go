//go:build !linux

package loadtest

import (
	"context"
	"errors"
	"io"
	"syscall"
	"time"
)

// errUnsupported is returned by Run on systems without epoll.
var errUnsupported = errors.New("loadtest: needs Linux (epoll event loops and /proc)")

// Progress prints live progress while Run works (Linux only).
type Progress struct{}

// NewProgress returns a Progress writing to w.
func NewProgress(io.Writer, time.Duration) *Progress { return &Progress{} }

// load holds the phases of a Scenario, which run only on Linux.
type load interface{}

// Run executes one load test; it needs Linux.
func Run(context.Context, Options, *Progress) (*Result, error) { return nil, errUnsupported }

func bindNoPort(string, string, syscall.RawConn) error { return nil }

// The run states of the composite scenarios exist only on Linux.
type (
	hostileRun struct{}
	soakRun    struct{}
	pubsubRun  struct{}
)

func runProcs(context.Context, int, []string, []string, *cliFlags, Options, io.Writer) (*Result, error) {
	return nil, errUnsupported
}
