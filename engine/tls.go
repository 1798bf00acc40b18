package engine

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/wsloop/wsloop/tlsbridge"
)

// TLSHandler is implemented by a Handler that wants to hear about TLS
// handshakes. TLSHandshake runs on the connection's event loop once per TLS
// connection whose handshake ended: with err nil when it completed (before
// any plaintext of the connection is processed; c.TLSNegotiated() is set),
// or with the *TLSError that fails the connection (Handler.Error follows).
type TLSHandler interface {
	TLSHandshake(c *Conn, err error)
}

// TLSError is a TLS failure on a connection, reported through
// Handler.Error. Err is the cause: a crypto/tls error, or one of
// tlsbridge's sentinel errors (ErrNotTLS for plaintext sent to a TLS port,
// ErrPendingLimit, ...).
type TLSError struct {
	Handshake bool     // the handshake had not completed
	Remote    net.Addr // the peer
	Err       error
}

// Error describes the failure for logs and ErrorEvent.Description.
func (e *TLSError) Error() string {
	what := "TLS record layer error"
	switch {
	case errors.Is(e.Err, tlsbridge.ErrNotTLS):
		what = "TLS handshake failed: the client did not send a TLS ClientHello (plain HTTP or WebSocket to a TLS port?)"
	case e.Handshake:
		what = "TLS handshake failed"
	}
	if e.Remote != nil {
		what += " with " + e.Remote.String()
	}
	return fmt.Sprintf("wsloop: %s: %v", what, e.Err)
}

// Unwrap returns the cause.
func (e *TLSError) Unwrap() error { return e.Err }

// respNotTLS answers a plaintext HTTP request sent to a TLS port, as
// net/http does, before the connection is closed.
var respNotTLS = []byte("HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
	"Client sent an HTTP request to a TLS server: use https:// or wss://.\n")

// TLSConnOf returns the connection whose TLS handshake passes nc to a
// crypto/tls callback (tls.ClientHelloInfo.Conn in GetCertificate or
// GetConfigForClient), or nil. Those callbacks run on the handshake
// goroutine: only the connection's ID and other fields documented as safe
// from any goroutine may be used.
func TLSConnOf(nc net.Conn) *Conn {
	t, ok := tlsbridge.TransportOf(nc)
	if !ok {
		return nil
	}
	tt, ok := t.(tlsTransport)
	if !ok {
		return nil
	}
	return tt.c
}

// TLSNegotiated returns the TLS parameters negotiated by the connection, or
// nil on plain connections and before the handshake completed. Safe from
// any goroutine.
func (c *Conn) TLSNegotiated() *tlsbridge.Negotiated {
	if c.tls == nil {
		return nil
	}
	return c.tls.Negotiated()
}

// tlsTransport is how a connection's TLS handshake goroutine reaches the
// socket: through the connection's single ordered outbound path.
type tlsTransport struct{ c *Conn }

// WriteAsync queues handshake ciphertext from the handshake goroutine.
func (t tlsTransport) WriteAsync(p []byte) error {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return ErrNotConnected
	}
	c.appendRawCipherLocked(p)
	return nil
}

// Wake asks the loop to feed the connection again (the handshake ended).
func (t tlsTransport) Wake() error {
	c := t.c
	c.loop.post(func(l *loop) {
		if c.state == stateClosed {
			return
		}
		l.onInput(c, nil)
		if c.gate&holdTLSEarly != 0 && c.tls.HandshakeDone() && c.state != stateClosed {
			// Early data left in gnet's buffer: have OnTraffic take it now.
			l.releaseInput(c, holdTLSEarly)
		}
	})
	return nil
}

// onCiphertext feeds TLS records to the bridge and their plaintext to the
// WebSocket layer. Loop only.
func (l *loop) onCiphertext(c *Conn, buf []byte) (consumed int) {
	if l.eng.logPackets {
		l.logPacket(c, "in", buf)
	}
	if l.plain == nil {
		l.plain = make([]byte, 0, 32<<10) // Feed decrypts into scratch[:cap]
	}
	done := c.tls.HandshakeDone()
	if done {
		out, err := c.tls.Feed(buf, l.plain[:0], l.tlsOut[:0], func(plain []byte) error {
			l.onTLSPlain(c, plain)
			return nil
		})
		l.afterFeed(c, buf, out, err, false)
		return len(buf)
	}
	// A TLS 1.3 client may send its request (and more) right after its
	// Finished, before the handshake goroutine has ended: what does not fit
	// the bridge's pre-handshake buffer stays in gnet's buffer, bounded like
	// a paused read, until the handshake's wake-up.
	if room := c.tls.PendingRoom(); len(buf) > room {
		if len(buf)-room > l.eng.opts.MaxPausedBytes {
			l.afterFeed(c, buf, nil, tlsbridge.ErrPendingLimit, true)
			return len(buf)
		}
		buf = buf[:room]
		c.holdInput(holdTLSEarly)
	}
	// Handshake phase: this Feed may complete it, and then deliver the
	// plaintext that arrived meanwhile; TLSHandshake must run first.
	tc := &tlsCompletion{l: l, c: c}
	out, err := c.tls.Feed(buf, l.plain[:0], l.tlsOut[:0], tc.deliver)
	if !tc.reported && c.tls.HandshakeDone() {
		tc.report()
	}
	l.afterFeed(c, buf, out, err, !tc.reported)
	return len(buf)
}

// tlsCompletion reports the end of a handshake before the first plaintext.
type tlsCompletion struct {
	l        *loop
	c        *Conn
	reported bool
}

func (t *tlsCompletion) deliver(plain []byte) error {
	if !t.reported {
		t.report()
	}
	t.l.onTLSPlain(t.c, plain)
	return nil
}

func (t *tlsCompletion) report() {
	t.reported = true
	l, c := t.l, t.c
	if n := c.tls.Negotiated(); n != nil && 2 <= l.logLevel() {
		l.log(c, 2, "TLS handshake completed", slog.String("version", n.VersionName()),
			slog.String("cipher", n.CipherSuiteName()), slog.String("server_name", n.ServerName),
			slog.String("alpn", n.ALPN), slog.Bool("resumed", n.DidResume))
	}
	l.callTLSHandshake(c, nil)
}

// afterFeed queues the bridge's output and handles a fatal error: alerts
// are written, then the connection is closed.
func (l *loop) afterFeed(c *Conn, in, out []byte, err error, handshake bool) {
	if cap(out) <= 1<<20 && cap(out) > cap(l.tlsOut) {
		l.tlsOut = out[:0] // keep the grown scratch
	}
	if len(out) > 0 {
		c.mu.Lock()
		c.appendRawCipherLocked(out)
		c.mu.Unlock()
	}
	if err == nil || c.state == stateClosed {
		return
	}
	if errors.Is(err, io.EOF) { // the peer sent close_notify
		l.log(c, 2, "TLS close_notify received")
	} else {
		terr := &TLSError{Handshake: handshake, Remote: c.gc.RemoteAddr(), Err: err}
		if handshake {
			l.eng.metrics.HandshakeErrors.Add(1)
			l.eng.metrics.refuse(RefusedTLS)
			l.callTLSHandshake(c, terr)
		}
		if 2 <= l.logLevel() {
			l.log(c, 2, "TLS error", slog.Bool("handshake", handshake), slog.String("reason", err.Error()))
		}
		l.userError(c, terr)
		if errors.Is(err, tlsbridge.ErrNotTLS) && len(in) > 0 && in[0] >= 'A' && in[0] <= 'Z' {
			c.mu.Lock()
			c.appendRawCipherLocked(respNotTLS) // plaintext: the peer speaks HTTP
			c.mu.Unlock()
		}
	}
	l.drainAndClose(c)
}

// sendCloseNotify writes a close_notify alert before the TCP connection of
// a TLS connection closes (nothing if the handshake did not complete or the
// TLS layer failed). Loop only.
func (l *loop) sendCloseNotify(c *Conn) {
	out := c.tls.CloseNotify(l.tlsOut[:0])
	if len(out) > 0 {
		if l.eng.logPackets {
			l.logPacket(c, "out", out)
		}
		_, _ = c.gc.Write(out)
	}
}

// appendRawCipherLocked queues TLS records, written before any plaintext
// that is still to be encrypted. c.mu is held.
func (c *Conn) appendRawCipherLocked(p []byte) {
	if c.cipher == nil {
		c.cipher = getBuf()
	}
	c.cipher.B = append(c.cipher.B, p...)
	c.markReadyLocked()
}

// logPacket reports a TLS packet read or written, at debug level, when
// Options.TLS.LogPackets is on (the component's LogSSLPackets): its
// direction, its length and its first 32 bytes in hex. Callers check
// Engine.logPackets first, so that the hot paths pay one test. Loop only.
func (l *loop) logPacket(c *Conn, dir string, p []byte) {
	if len(p) > 0 && l.logLevel() >= 3 {
		n, more := len(p), ""
		if n > 32 {
			p, more = p[:32], "..."
		}
		l.log(c, 3, fmt.Sprintf("TLS packet %s (%d bytes): %x%s", dir, n, p, more))
	}
}
