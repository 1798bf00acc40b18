package api

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/wsloop/wsloop/engine"
	"github.com/wsloop/wsloop/tlsbridge"
)

// The SSL events. OnSSLConnectionRequest, OnSSLClientAuthentication and
// the "handshake started" OnSSLStatus run inside crypto/tls callbacks, on
// the connection's handshake goroutine, not on its event loop. A panic in
// one is not recovered here: it unwinds through crypto/tls to the
// handshake goroutine's recover in package tlsbridge, which fails that
// connection's handshake; the engine counts it in Metrics.Panics and
// reports it once through OnError (a TLS error whose cause is an
// *engine.PanicError). They may run
// at the same time as events of other connections (and of the same server
// on other goroutines), their event structs are allocated per call, and
// they must still return quickly, because each one holds one of the
// MaxConcurrentHandshakes slots. The "handshake completed" OnSSLStatus runs
// on the event loop, before OnWebSocketOpenRequest.

// tlsHooks are the crypto/tls callbacks of one server.
type tlsHooks struct {
	s        *Server
	cert     *tls.Certificate // the configured certificate
	verifier *tlsbridge.ClientVerifier
}

// install sets the callbacks the configured events need on cfg.
func (h *tlsHooks) install(cfg *tls.Config) {
	ev := &h.s.events
	if cfg.ClientAuth != tls.NoClientCert {
		// The verification is wsloop's (crypto/tls only requests the
		// certificate) so that OnSSLClientAuthentication can accept a
		// certificate that fails it.
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return h.verify(0, cs) }
	}
	if ev.OnSSLConnectionRequest != nil {
		// GetCertificate is consulted only when Certificates is empty.
		cfg.Certificates = nil
		cfg.GetCertificate = h.getCertificate
	}
	clientEvent := cfg.ClientAuth != tls.NoClientCert && ev.OnSSLClientAuthentication != nil
	if ev.OnSSLStatus != nil || clientEvent {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			id := connIDOf(hello.Conn)
			h.status(id, helloStatus(hello))
			if !clientEvent {
				return nil, nil
			}
			// A per-connection config binds the connection ID to
			// VerifyConnection (crypto/tls does not pass the connection
			// there). It stays with the connection: ~0.5 KB each, only
			// when OnSSLClientAuthentication is set.
			c := cfg.Clone()
			c.GetConfigForClient = nil
			c.VerifyConnection = func(cs tls.ConnectionState) error { return h.verify(id, cs) }
			return c, nil
		}
	}
}

func connIDOf(nc net.Conn) ConnID {
	if c := engine.TLSConnOf(nc); c != nil {
		return ConnID(c.ID())
	}
	return 0
}

// getCertificate fires OnSSLConnectionRequest.
func (h *tlsHooks) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	ev := &SSLConnectionRequestEvent{
		ConnectionID:        connIDOf(hello.Conn),
		ServerName:          hello.ServerName,
		SupportedCiphers:    suiteNames(hello.CipherSuites),
		SignatureAlgorithms: schemeNames(hello.SignatureSchemes),
		SupportedVersions:   versionNames(hello.SupportedVersions),
	}
	h.s.events.OnSSLConnectionRequest(ev)
	if ev.Certificate != nil {
		return ev.Certificate, nil
	}
	return h.cert, nil
}

// verify checks a client certificate and fires OnSSLClientAuthentication
// when id is known.
func (h *tlsHooks) verify(id ConnID, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // Request without a certificate; Require is enforced by crypto/tls
	}
	leaf := cs.PeerCertificates[0]
	verr := h.verifier.Verify(cs.PeerCertificates)
	fn := h.s.events.OnSSLClientAuthentication
	if fn == nil || id == 0 {
		if verr != nil {
			return fmt.Errorf("wsloop: client certificate %q refused: %w", leaf.Subject.String(), verr)
		}
		return nil
	}
	ev := &SSLClientAuthenticationEvent{
		ConnectionID: id,
		Certificate:  leaf,
		Chain:        cs.PeerCertificates,
		CertEncoded:  leaf.Raw,
		Subject:      leaf.Subject.String(),
		Issuer:       leaf.Issuer.String(),
		Status:       "ok",
		Accept:       verr == nil,
	}
	if verr != nil {
		ev.Status = verr.Error()
	}
	fn(ev)
	if !ev.Accept {
		return fmt.Errorf("wsloop: client certificate %q refused by OnSSLClientAuthentication (verification: %s)", ev.Subject, ev.Status)
	}
	return nil
}

// status fires OnSSLStatus from the handshake goroutine.
func (h *tlsHooks) status(id ConnID, msg string) {
	if fn := h.s.events.OnSSLStatus; fn != nil {
		fn(&SSLStatusEvent{ConnectionID: id, Message: msg})
	}
}

func helloStatus(hello *tls.ClientHelloInfo) string {
	var b strings.Builder
	b.WriteString("TLS handshake started: ClientHello")
	if hello.ServerName != "" {
		fmt.Fprintf(&b, " for %q", hello.ServerName)
	}
	if len(hello.SupportedVersions) > 0 {
		b.WriteString(", versions ")
		b.WriteString(strings.Join(versionNames(hello.SupportedVersions), " "))
	}
	if len(hello.SupportedProtos) > 0 {
		b.WriteString(", ALPN ")
		b.WriteString(strings.Join(hello.SupportedProtos, " "))
	}
	return b.String()
}

// TLSHandshake implements engine.TLSHandler: the "handshake completed"
// (or failed) OnSSLStatus, on the event loop.
func (a *dispatcher) TLSHandshake(c *engine.Conn, err error) {
	fn := a.s.events.OnSSLStatus
	if fn == nil {
		return
	}
	ev := &SSLStatusEvent{ConnectionID: ConnID(c.ID())}
	switch n := c.TLSNegotiated(); {
	case err != nil:
		ev.Message = "TLS handshake failed: " + err.Error()
	case n != nil:
		ev.Message = fmt.Sprintf("TLS handshake completed: %s, %s", n.VersionName(), n.CipherSuiteName())
		if n.ServerName != "" {
			ev.Message += fmt.Sprintf(", server name %q", n.ServerName)
		}
		if n.ALPN != "" {
			ev.Message += fmt.Sprintf(", ALPN %q", n.ALPN)
		}
		if n.DidResume {
			ev.Message += ", resumed"
		}
		if len(n.PeerCertificates) > 0 {
			ev.Message += ", client " + n.PeerCertificates[0].Subject.String()
		}
	default:
		return
	}
	fn(ev)
}

func suiteNames(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tls.CipherSuiteName(id)
	}
	return out
}

func schemeNames(ids []tls.SignatureScheme) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func versionNames(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tls.VersionName(id)
	}
	return out
}
