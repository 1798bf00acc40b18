package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wsloop/wsloop/tlsbridge"
	"software.sslmate.com/src/go-pkcs12"
)

// Certificate is a certificate chain with its private key.
type Certificate = tls.Certificate

// ClientAuthMode says whether TLS clients are asked for a certificate (the
// component's SSLAuthenticateClients).
type ClientAuthMode uint8

// Client authentication modes.
const (
	// ClientAuthNone does not ask for a client certificate (default).
	ClientAuthNone ClientAuthMode = iota
	// ClientAuthRequest asks for one; a client without a certificate is
	// accepted, a client with one must pass verification (or be accepted by
	// OnSSLClientAuthentication). SSLAuthenticateClients=true selects it.
	ClientAuthRequest
	// ClientAuthRequire refuses clients without a certificate that passes
	// verification (or is accepted by OnSSLClientAuthentication).
	ClientAuthRequire
)

// String returns "none", "request" or "require".
func (m ClientAuthMode) String() string {
	switch m {
	case ClientAuthRequest:
		return "request"
	case ClientAuthRequire:
		return "require"
	}
	return "none"
}

// TLSConfig configures wss:// (the component's UseSSL, SSLCert* and SSL*
// settings). Exactly one certificate source is used, in this order:
// Certificate, PKCS12/PKCS12File, CertPEM/KeyPEM, CertFile/KeyFile.
//
// Client certificates are verified by wsloop (not by crypto/tls) against
// ClientCAs, ClientCAFile and the PEM files in ClientCADir, with the
// client-auth extended key usage; the result is the Status of
// OnSSLClientAuthentication, whose Accept decides. Without that handler a
// certificate that fails verification is refused, and with no CA
// configured every client certificate fails verification.
type TLSConfig struct {
	// Enabled is the component's UseSSL.
	Enabled bool

	// Certificate is used when set (chain and key ready).
	Certificate *Certificate
	// PKCS12 is a PKCS#12 (PFX) blob, PKCS12File a PKCS#12 file; Password
	// decrypts either. The chain in the file is sent with the leaf.
	PKCS12     []byte
	PKCS12File string
	Password   string
	// CertPEM and KeyPEM are PEM blobs (the chain, leaf first, and the key;
	// both may be the same blob holding all).
	CertPEM, KeyPEM []byte
	// CertFile and KeyFile are PEM files (KeyFile may equal CertFile).
	CertFile, KeyFile string
	// CertSubject, when not "" or "*", must match the leaf certificate's
	// subject (its common name or its whole distinguished name), the
	// component's SSLCertSubject.
	CertSubject string

	// ClientAuth asks clients for certificates.
	ClientAuth ClientAuthMode
	// ClientCAs, ClientCAFile (PEM, several certificates allowed) and
	// ClientCADir (every *.pem, *.crt and *.cer file in it) are the roots
	// client certificates are verified against; all given are combined.
	ClientCAs    *x509.CertPool
	ClientCAFile string
	ClientCADir  string

	// MinVersion and MaxVersion bound the protocol versions
	// (tls.VersionTLS10 … tls.VersionTLS13; 0 = TLS 1.2 and TLS 1.3). The
	// SSLEnabledProtocols setting writes both.
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.0–1.2 suites allowed, in preference order
	// (nil = Go's defaults). TLS 1.3 suites cannot be configured in Go:
	// listing one is an ErrUnsupported error.
	CipherSuites []uint16
	// CurvePreferences are the key-exchange groups (nil = Go's defaults).
	CurvePreferences []tls.CurveID
	// NextProtos are the ALPN protocols offered, in preference order.
	NextProtos []string
	// SessionTicketsDisabled turns off session resumption with tickets.
	SessionTicketsDisabled bool
	// MaxConcurrentHandshakes caps the TLS handshakes running at once
	// (each on a short-lived goroutine); more wait in a queue without a
	// goroutine. 0 = 64.
	MaxConcurrentHandshakes int

	certStoreType string // SSLCertStoreType, for Server.Config
}

// Protocol versions allowed by default.
const (
	defaultMinVersion = tls.VersionTLS12
	defaultMaxVersion = tls.VersionTLS13
)

func (t *TLSConfig) versions() (lo, hi uint16) {
	lo, hi = t.MinVersion, t.MaxVersion
	if lo == 0 {
		lo = defaultMinVersion
	}
	if hi == 0 {
		hi = defaultMaxVersion
	}
	return lo, hi
}

// loadCertificate reads the configured certificate source.
func (t *TLSConfig) loadCertificate() (tls.Certificate, error) {
	var cert tls.Certificate
	var err error
	switch {
	case t.Certificate != nil:
		cert = *t.Certificate
	case len(t.PKCS12) > 0:
		cert, err = fromPKCS12(t.PKCS12, t.Password)
	case t.PKCS12File != "":
		var data []byte
		if data, err = os.ReadFile(t.PKCS12File); err == nil {
			cert, err = fromPKCS12(data, t.Password)
		}
	case len(t.CertPEM) > 0:
		key := t.KeyPEM
		if len(key) == 0 {
			key = t.CertPEM
		}
		cert, err = tls.X509KeyPair(t.CertPEM, key)
	case t.CertFile != "":
		key := t.KeyFile
		if key == "" {
			key = t.CertFile
		}
		cert, err = tls.LoadX509KeyPair(t.CertFile, key)
	default:
		return cert, fmt.Errorf("%w: TLS enabled without a certificate", ErrBadValue)
	}
	if err != nil {
		return cert, fmt.Errorf("wsloop: loading the TLS certificate: %w", err)
	}
	if len(cert.Certificate) == 0 {
		return cert, fmt.Errorf("%w: TLS certificate has no chain", ErrBadValue)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return cert, fmt.Errorf("wsloop: parsing the TLS certificate: %w", err)
		}
	}
	if s := t.CertSubject; s != "" && s != "*" && cert.Leaf.Subject.CommonName != s && cert.Leaf.Subject.String() != s {
		return cert, fmt.Errorf("%w: certificate subject %q does not match SSLCertSubject %q", ErrBadValue, cert.Leaf.Subject.String(), s)
	}
	return cert, nil
}

// fromPKCS12 decodes a PFX with its chain.
func fromPKCS12(data []byte, password string) (tls.Certificate, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert := tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

// clientPool combines the configured client CAs; nil if none.
func (t *TLSConfig) clientPool() (*x509.CertPool, error) {
	if t.ClientCAs == nil && t.ClientCAFile == "" && t.ClientCADir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if t.ClientCAs != nil {
		pool = t.ClientCAs.Clone()
	}
	var files []string
	if t.ClientCAFile != "" {
		files = append(files, t.ClientCAFile)
	}
	if t.ClientCADir != "" {
		entries, err := os.ReadDir(t.ClientCADir)
		if err != nil {
			return nil, fmt.Errorf("wsloop: reading ClientCADir: %w", err)
		}
		for _, e := range entries {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".pem", ".crt", ".cer":
				if !e.IsDir() {
					files = append(files, filepath.Join(t.ClientCADir, e.Name()))
				}
			}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("wsloop: reading client CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%w: no PEM certificate in client CA file %s", ErrBadValue, f)
		}
	}
	return pool, nil
}

// checkSuites refuses TLS 1.3 and unknown suites.
func checkSuites(ids []uint16) error {
	for _, id := range ids {
		if isTLS13Suite(id) {
			return fmt.Errorf("%w: TLS 1.3 cipher suite %s: Go's crypto/tls does not allow configuring TLS 1.3 suites", ErrUnsupported, tls.CipherSuiteName(id))
		}
		if suiteByID(id) == nil {
			return fmt.Errorf("%w: unknown cipher suite 0x%04x", ErrBadValue, id)
		}
	}
	return nil
}

func isTLS13Suite(id uint16) bool { return id >= 0x1301 && id <= 0x1305 }

// suiteByID finds a suite Go implements (secure or insecure).
func suiteByID(id uint16) *tls.CipherSuite {
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if s.ID == id {
				return s
			}
		}
	}
	return nil
}

// build turns the settings into the bridge's configuration. It wires the
// SSL events of s (see tls_events.go).
func (t *TLSConfig) build(s *Server) (*tlsbridge.Config, error) {
	if t == nil || !t.Enabled {
		return nil, nil
	}
	cert, err := t.loadCertificate()
	if err != nil {
		return nil, err
	}
	lo, hi := t.versions()
	if lo < tls.VersionTLS10 || hi > tls.VersionTLS13 || lo > hi {
		return nil, fmt.Errorf("%w: TLS versions %s..%s", ErrBadValue, tls.VersionName(lo), tls.VersionName(hi))
	}
	if err := checkSuites(t.CipherSuites); err != nil {
		return nil, err
	}
	if t.MaxConcurrentHandshakes < 0 {
		return nil, fmt.Errorf("%w: MaxConcurrentHandshakes %d", ErrBadValue, t.MaxConcurrentHandshakes)
	}
	pool, err := t.clientPool()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:             lo,
		MaxVersion:             hi,
		CipherSuites:           t.CipherSuites,
		CurvePreferences:       t.CurvePreferences,
		NextProtos:             t.NextProtos,
		SessionTicketsDisabled: t.SessionTicketsDisabled,
		Certificates:           []tls.Certificate{cert},
	}
	h := &tlsHooks{s: s, cert: &cfg.Certificates[0], pool: pool}
	switch t.ClientAuth {
	case ClientAuthNone:
	case ClientAuthRequest:
		cfg.ClientAuth = tls.RequestClientCert
	case ClientAuthRequire:
		cfg.ClientAuth = tls.RequireAnyClientCert
	default:
		return nil, fmt.Errorf("%w: ClientAuth %d", ErrBadValue, t.ClientAuth)
	}
	h.install(cfg)
	return &tlsbridge.Config{
		TLS:                     cfg,
		MaxConcurrentHandshakes: t.MaxConcurrentHandshakes,
	}, nil
}

// errNoTLS is returned by the SSLNegotiated settings on plain connections.
var errNoTLS = errors.New("connection is not using TLS")
