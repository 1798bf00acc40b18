//go:build unix

package engine

import (
	"fmt"
	"net"

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

// reservePort binds (without listening) a socket with SO_REUSEPORT and
// without SO_REUSEADDR to a free port of host, for loops that each bind
// their own SO_REUSEPORT listener to one port: while the reservation is
// held, no socket without SO_REUSEPORT can take the port (SO_REUSEADDR
// alone shares a port only among sockets that all set it), and since it
// does not listen it is never handed a connection. release closes it once
// the loops listen.
func reservePort(host string) (port int, release func(), err error) {
	// Resolve as gnet will (a name such as "localhost" included).
	ta, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, nil, fmt.Errorf("wsloop: %w", err)
	}
	ip := ta.IP
	if ip == nil {
		ip = net.IPv4zero
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{})
	if ip4 := ip.To4(); ip4 != nil {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte(ip4)}
	} else {
		sa.(*unix.SockaddrInet6).Addr = [16]byte(ip.To16())
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, nil, err
	}
	unix.CloseOnExec(fd)
	fail := func(err error) (int, func(), error) { _ = unix.Close(fd); return 0, nil, err }
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail(err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail(err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		port = a.Port
	case *unix.SockaddrInet6:
		port = a.Port
	}
	return port, func() { _ = unix.Close(fd) }, nil
}
