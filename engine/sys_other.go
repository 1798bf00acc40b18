//go:build !unix

package engine

import (
	"errors"
	"net"
	"runtime"

	"github.com/panjf2000/gnet/v2"
)

// ErrPlatform is returned by Start where the engine does not run.
var ErrPlatform = errors.New("wsloop: the engine needs Linux, macOS or a BSD (epoll or kqueue event loops); " +
	runtime.GOOS + " is not supported")

func platformSupported() error { return ErrPlatform }

func (e *Engine) inspectListener(gnet.Engine) {}

func shutdownWrite(gnet.Conn) {}

func (e *Engine) mountPumped(nc net.Conn, _ *mountReq) error {
	_ = nc.Close()
	return ErrPlatform
}

func reservePort(string) (int, func(), error) { return 0, nil, ErrPlatform }
