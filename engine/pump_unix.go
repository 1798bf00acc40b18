//go:build unix

package engine

import (
	"crypto/tls"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// pumpBuf is the size of each pump goroutine's copy buffer. crypto/tls
// keeps a whole decrypted record itself and hands it out in pieces, so a
// small buffer costs only more Read calls, not correctness.
const pumpBuf = 4 << 10

// mountPumped joins a connection whose bytes the kernel does not carry
// as-is (a *tls.Conn: its keys and record state live in crypto/tls) to an
// event loop through a socket pair: the loop owns one end like any socket,
// and two goroutines copy between the other end and nc. This costs, per
// connection, two goroutines with a 4 KiB buffer each, crypto/tls's own
// buffers and two more descriptors (measured: README, "Mount in
// net/http").
func (e *Engine) mountPumped(nc net.Conn, m *mountReq) error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		_ = nc.Close()
		return err
	}
	// Both are closed in fileConn right after being duplicated with
	// close-on-exec; this covers the moment in between.
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	loopSide, err1 := fileConn(fds[0])
	pumpSide, err2 := fileConn(fds[1])
	if err1 != nil || err2 != nil {
		for _, c := range []net.Conn{loopSide, pumpSide, nc} {
			if c != nil {
				_ = c.Close()
			}
		}
		if err1 != nil {
			return err1
		}
		return err2
	}
	m.remote, m.local = nc.RemoteAddr(), nc.LocalAddr()
	_, m.tls = nc.(*tls.Conn)
	if err := e.register(loopSide, m); err != nil {
		_ = pumpSide.Close()
		_ = nc.Close()
		return err
	}
	ps := pumpSide.(*net.UnixConn)
	go pumpIn(nc, ps)
	go pumpOut(ps, nc)
	return nil
}

// fileConn wraps a descriptor in a net.Conn and closes the descriptor
// (net.FileConn works on a duplicate).
func fileConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "wsloop-mount")
	defer f.Close()
	return net.FileConn(f)
}

// pumpIn copies the client's bytes to the loop's end until the client
// stops (then the loop reads EOF) or the loop's end is gone.
func pumpIn(nc net.Conn, ps *net.UnixConn) {
	buf := make([]byte, pumpBuf)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			if _, werr := ps.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = ps.CloseWrite()
}

// pumpOut copies the loop's output to the client until the loop closes or
// shuts down its end, then closes the client connection (for TLS a
// close_notify, then the TCP close), which also ends pumpIn.
func pumpOut(ps *net.UnixConn, nc net.Conn) {
	buf := make([]byte, pumpBuf)
	_, _ = io.CopyBuffer(writerOnly{nc}, readerOnly{ps}, buf)
	_ = nc.Close()
	_ = ps.Close()
}

// readerOnly and writerOnly hide ReadFrom/WriteTo so that io.CopyBuffer
// uses the given buffer instead of allocating its own.
type readerOnly struct{ io.Reader }
type writerOnly struct{ io.Writer }
