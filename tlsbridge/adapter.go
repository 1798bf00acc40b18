package tlsbridge

import (
	"net"
	"time"
)

// wouldBlock is the adapter's "no more ciphertext for now" error. crypto/tls
// checks read errors with a plain type assertion to net.Error and, when
// Temporary() is true, returns the error without poisoning the connection
// and keeps any partial record in its own buffer. It must stay unwrapped.
type wouldBlock struct{}

func (wouldBlock) Error() string   { return "wsloop: tls: would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

var errWouldBlock net.Error = wouldBlock{}

// adapter is the in-memory net.Conn under the connection's tls.Conn. It is
// the Conn itself under another method set, so it costs no memory.
//
// While the handshake goroutine runs (c.hs != nil), Read blocks for the
// ciphertext that Feed hands over and Write passes flights to
// Transport.WriteAsync. Afterwards (c.hs == nil, loop only) Read consumes
// c.in and reports wouldBlock when it is empty, and Write appends to c.out;
// neither ever fails.
type adapter Conn

func (a *adapter) Read(p []byte) (int, error) {
	if hs := a.hs; hs != nil {
		return hs.read(p)
	}
	if len(a.in) == 0 {
		return 0, errWouldBlock
	}
	n := copy(p, a.in)
	a.in = a.in[n:]
	return n, nil
}

func (a *adapter) Write(p []byte) (int, error) {
	if hs := a.hs; hs != nil {
		return hs.write(p)
	}
	a.out = append(a.out, p...)
	return len(p), nil
}

// Close is not used by the bridge (Release ends a handshake instead).
func (a *adapter) Close() error { return nil }

func (a *adapter) LocalAddr() net.Addr {
	if a.local == nil {
		return noAddr{}
	}
	return a.local
}

func (a *adapter) RemoteAddr() net.Addr {
	if a.remote == nil {
		return noAddr{}
	}
	return a.remote
}

// Deadlines are the engine's business; crypto/tls sets write deadlines
// around close_notify, which cannot block here anyway.
func (a *adapter) SetDeadline(time.Time) error      { return nil }
func (a *adapter) SetReadDeadline(time.Time) error  { return nil }
func (a *adapter) SetWriteDeadline(time.Time) error { return nil }

// noAddr stands in for an unknown address.
type noAddr struct{}

func (noAddr) Network() string { return "tcp" }
func (noAddr) String() string  { return "unknown" }

// TransportOf returns the Transport of the connection that nc belongs to,
// when nc is the net.Conn that crypto/tls hands to its callbacks
// (tls.ClientHelloInfo.Conn in GetCertificate and GetConfigForClient). It
// lets those callbacks, which run on the handshake goroutine, find out which
// connection is handshaking. ok is false for any other net.Conn.
func TransportOf(nc net.Conn) (t Transport, ok bool) {
	a, ok := nc.(*adapter)
	if !ok || a == nil {
		return nil, false
	}
	return a.t, true
}
