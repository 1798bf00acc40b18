package tlsbridge

import (
	"crypto/tls"
	"crypto/x509"
)

// Negotiated is a snapshot of a connection's TLS parameters, taken on the
// event loop when the handshake completes. It is immutable and may be read
// from any goroutine.
type Negotiated struct {
	Version     uint16 // tls.VersionTLS12, tls.VersionTLS13, ...
	CipherSuite uint16 // tls.TLS_AES_128_GCM_SHA256, ...
	ServerName  string // SNI sent by the client ("" if none)
	ALPN        string // negotiated application protocol ("" if none)
	DidResume   bool   // the session was resumed (ticket)
	// PeerCertificates is the client's chain, leaf first (nil without
	// client authentication). The certificates are shared with crypto/tls:
	// do not modify them.
	PeerCertificates []*x509.Certificate
}

// VersionName returns the protocol version as "TLS 1.3", "TLS 1.2", ...
func (n *Negotiated) VersionName() string { return tls.VersionName(n.Version) }

// CipherSuiteName returns the IANA name of the cipher suite.
func (n *Negotiated) CipherSuiteName() string { return tls.CipherSuiteName(n.CipherSuite) }

// Negotiated returns the snapshot of the negotiated parameters, or nil
// before the handshake has completed on the loop (and on failed
// handshakes). Unlike the other methods it is safe from any goroutine.
func (c *Conn) Negotiated() *Negotiated { return c.neg.Load() }

// snapshot records the negotiated parameters of tc. Loop only, right after
// the handshake goroutine has finished with tc.
func (c *Conn) snapshot(tc *tls.Conn) {
	st := tc.ConnectionState()
	c.neg.Store(&Negotiated{
		Version:          st.Version,
		CipherSuite:      st.CipherSuite,
		ServerName:       st.ServerName,
		ALPN:             st.NegotiatedProtocol,
		DidResume:        st.DidResume,
		PeerCertificates: st.PeerCertificates,
	})
}
