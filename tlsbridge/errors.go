package tlsbridge

import "errors"

// Errors returned by Feed, Encrypt and NewBridge. Errors from crypto/tls
// (handshake failures, alerts, bad records) are returned as they are, or
// wrapped with %w; io.EOF from Feed means the peer sent close_notify.
var (
	// ErrNotTLS means the first bytes of a connection are not a TLS
	// handshake record carrying a ClientHello.
	ErrNotTLS = errors.New("wsloop: tls: not a TLS ClientHello")
	// ErrPendingLimit means more than Config.MaxPendingBytes of ciphertext
	// waited for the handshake.
	ErrPendingLimit = errors.New("wsloop: tls: too much data before the handshake completed")
	// ErrHandshakeNotDone is returned by Encrypt before the handshake has
	// completed on the loop.
	ErrHandshakeNotDone = errors.New("wsloop: tls: handshake not complete")
	// ErrClosed is returned after Release or after a previous fatal error.
	ErrClosed = errors.New("wsloop: tls: connection closed")
	// ErrNoScratch is returned by Feed when scratch has no capacity.
	ErrNoScratch = errors.New("wsloop: tls: scratch buffer has zero capacity")
	// ErrNoTLSConfig is returned by NewBridge when Config.TLS is nil.
	ErrNoTLSConfig = errors.New("wsloop: tls: Config.TLS is required")
	// ErrNoCertificate is returned by NewBridge when the TLS config can
	// provide no certificate (no Certificates, GetCertificate or
	// GetConfigForClient).
	ErrNoCertificate = errors.New("wsloop: tls: TLS config has no certificate")
)
