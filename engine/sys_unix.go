//go:build unix

package engine

import (
	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// platformSupported reports whether the engine runs here: gnet's event
// loops use epoll or kqueue.
func platformSupported() error { return nil }

// inspectListener learns the bound port (for port 0) and applies the
// listen backlog, on a duplicate of gnet's listening socket.
func (e *Engine) inspectListener(eng gnet.Engine) {
	fd, err := eng.Dup()
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if sa, err := unix.Getsockname(fd); err == nil {
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			e.port = a.Port
		case *unix.SockaddrInet6:
			e.port = a.Port
		}
	}
	if e.opts.Backlog > 0 {
		// listen(2) on a listening socket updates its backlog.
		_ = unix.Listen(fd, e.opts.Backlog)
	}
}

// shutdownWrite sends a FIN on the connection's socket, keeping it open
// for reading (a lingering close).
func shutdownWrite(gc gnet.Conn) {
	if s, ok := gc.(interface{ Fd() int }); ok {
		_ = unix.Shutdown(s.Fd(), unix.SHUT_WR)
	}
}
