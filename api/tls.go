package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wsloop/wsloop/tlsbridge"
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

// String returns "none", "request" or "require" (ClientAuthMode(n) for
// other values).
func (m ClientAuthMode) String() string {
	switch m {
	case ClientAuthNone:
		return "none"
	case ClientAuthRequest:
		return "request"
	case ClientAuthRequire:
		return "require"
	}
	return "ClientAuthMode(" + strconv.Itoa(int(m)) + ")"
}

// UnmarshalText takes "none", "request" or "require".
func (m *ClientAuthMode) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "none":
		*m = ClientAuthNone
	case "request":
		*m = ClientAuthRequest
	case "require":
		*m = ClientAuthRequire
	default:
		return fmt.Errorf("%q is not none, request or require", b)
	}
	return nil
}

// CRLCheck says whether client certificates are checked against
// certificate revocation lists (the component's SSLCheckCRL); its text
// forms are off (0), ifpresent (1) and required (2).
type CRLCheck = tlsbridge.CRLCheck

// CRL checks. A CRL is used only when its signature verifies with the
// issuer of the certificate being checked; CRLs are never fetched.
const (
	CRLCheckOff       = tlsbridge.CRLCheckOff       // check no CRL (default)
	CRLCheckIfPresent = tlsbridge.CRLCheckIfPresent // refuse certificates listed in a loaded CRL of their issuer
	CRLCheckRequired  = tlsbridge.CRLCheckRequired  // also refuse certificates whose issuer has no CRL loaded
)

// TLSConfig configures wss:// (the component's UseSSL, SSLCert* and SSL*
// settings). Exactly one certificate source is used, in this order:
// Certificate, PKCS12/PKCS12File, CertPEM/KeyPEM, CertFile/KeyFile.
//
// Client certificates are verified by wsloop (not by crypto/tls) against
// ClientCAs, ClientCAPEM, ClientCAFile and the PEM files in ClientCADir,
// with the client-auth extended key usage, and against the CRLs in
// ClientCRLFile when CheckCRL is on; the result is the Status of
// OnSSLClientAuthentication, whose Accept decides. Without that handler a
// certificate that fails verification is refused, and with no CA
// configured every client certificate fails verification.
type TLSConfig struct {
	// Enabled is the component's UseSSL.
	Enabled bool `ws:"UseSSL" default:"false" doc:"serve wss://"`

	// Certificate is used when set (chain and key ready).
	Certificate *Certificate `ws:"-" doc:"certificate chain and key, ready"`
	// PKCS12 is a PKCS#12 (PFX) blob, PKCS12File a PKCS#12 file; Password
	// decrypts either. The chain in the file is sent with the leaf.
	PKCS12     []byte `ws:"-" doc:"PKCS#12 blob (SSLCertStoreType=PFXBLOB, SSLCertStore)"`
	PKCS12File string `ws:"-" doc:"PKCS#12 file (SSLCertStoreType=PFXFILE, SSLCertStore)"`
	Password   string `ws:"SSLCertStorePassword" default:"" doc:"password of the PKCS#12 store"`
	// CertPEM and KeyPEM are PEM blobs (the chain, leaf first, and the key;
	// both may be the same blob holding all).
	CertPEM []byte `ws:"-" doc:"PEM chain, leaf first (SSLCertStoreType=PEMKEY_BLOB, SSLCertStore)"`
	KeyPEM  []byte `ws:"-" doc:"PEM key (may equal CertPEM)"`
	// CertFile and KeyFile are PEM files (KeyFile may equal CertFile).
	CertFile string `ws:"-" doc:"PEM chain file (SSLCertStoreType=PEMKEY_FILE, SSLCertStore)"`
	KeyFile  string `ws:"-" doc:"PEM key file (may equal CertFile)"`
	// CertSubject, when not "" or "*", must match the leaf certificate's
	// subject (its common name or its whole distinguished name), the
	// component's SSLCertSubject.
	CertSubject string `ws:"SSLCertSubject" default:"" doc:"required subject (common name or DN) of the certificate (\"\" or * = any)"`
	// OmitCertChain sends the leaf certificate alone, without the
	// intermediates of its chain (the negation of SSLIncludeCertChain).
	OmitCertChain bool `ws:"!SSLIncludeCertChain" default:"false" doc:"send the leaf alone, without its intermediates"`

	// ClientAuth asks clients for certificates.
	ClientAuth ClientAuthMode `ws:"SSLClientAuth,SSLAuthenticateClients=request" default:"none" doc:"ask clients for certificates: none, request or require"`
	// ClientCAs, ClientCAPEM (PEM blob), ClientCAFile (PEM, several
	// certificates allowed) and ClientCADir (every *.pem, *.crt and *.cer
	// file in it) are the roots client certificates are verified against;
	// all given are combined.
	ClientCAs    *x509.CertPool `ws:"-" doc:"roots for client certificates"`
	ClientCAPEM  []byte         `ws:"SSLCACerts" default:"" doc:"PEM CA certificates for client authentication"`
	ClientCAFile string         `ws:"SSLClientCAFile,OpenSSLCAFile" default:"" doc:"PEM file of CA certificates for client authentication"`
	ClientCADir  string         `ws:"SSLClientCADir,OpenSSLCADir" default:"" doc:"directory of PEM CA certificates for client authentication"`
	// CheckCRL checks client certificates against the revocation lists in
	// ClientCRLs and ClientCRLFile (CRLs are never fetched from the
	// network).
	CheckCRL CRLCheck `ws:"SSLCheckCRL" default:"off" doc:"check client certificates against loaded CRLs: off (0), ifpresent (1), required (2)"`
	// ClientCRLs and ClientCRLFile (PEM or DER, several in PEM) are the CRLs
	// CheckCRL uses; each is accepted only with a valid signature of the
	// issuer of the certificate it is checked against.
	ClientCRLs    []*x509.RevocationList `ws:"-" doc:"parsed CRLs for SSLCheckCRL"`
	ClientCRLFile string                 `ws:"SSLClientCRLFile" default:"" doc:"file of CRLs (PEM or DER) for SSLCheckCRL"`

	// MinVersion and MaxVersion bound the protocol versions
	// (tls.VersionTLS10 … tls.VersionTLS13; 0 = TLS 1.2 and TLS 1.3). The
	// SSLEnabledProtocols setting writes both.
	MinVersion uint16 `ws:"-" doc:"lowest protocol version (SSLEnabledProtocols)"`
	MaxVersion uint16 `ws:"-" doc:"highest protocol version (SSLEnabledProtocols)"`
	// CipherSuites are the TLS 1.0–1.2 suites allowed, in preference order
	// (nil = Go's defaults). TLS 1.3 suites cannot be configured in Go:
	// listing one is an ErrUnsupported error.
	CipherSuites []uint16 `ws:"SSLEnabledCipherSuites" default:"*" doc:"TLS 1.0-1.2 suites: IANA names or 0x ids, comma-separated (* = Go's defaults)"`
	// MinCipherStrength drops the TLS 1.0–1.2 suites whose bulk cipher has
	// fewer key bits (0 = keep all). Go always offers
	// TLS_AES_128_GCM_SHA256 in TLS 1.3, so values above 128 need
	// SSLEnabledProtocols without TLS 1.3.
	MinCipherStrength int `ws:"SSLCipherStrength" default:"0" range:"0,256" doc:"minimum key bits of the bulk cipher (0 = any)"`
	// CurvePreferences are the key-exchange groups (nil = Go's defaults).
	CurvePreferences []tls.CurveID `ws:"TLS12SupportedGroups,TLS13SupportedGroups" default:"*" doc:"key-exchange groups: x25519, secp256r1, ... (Go has one list for both versions)"`
	// NextProtos are the ALPN protocols offered, in preference order.
	NextProtos []string `ws:"SSLALPNProtocols" default:"" doc:"ALPN protocols, comma-separated"`
	// SessionTicketsDisabled turns off session resumption with tickets.
	SessionTicketsDisabled bool `ws:"SSLSessionTicketsDisabled,!ReuseSSLSession" default:"false" doc:"session resumption with tickets off"`
	// MaxConcurrentHandshakes caps the TLS handshakes running at once
	// (each on a short-lived goroutine); more wait in a queue without a
	// goroutine.
	MaxConcurrentHandshakes int `ws:"SSLMaxConcurrentHandshakes" default:"64" range:"0,65536" doc:"TLS handshakes running at once; more wait in a queue without a goroutine"`
	// LogPackets reports every TLS packet read or written through OnLog
	// and Logger at level 3 (debug): direction, length and the first
	// bytes in hex.
	LogPackets bool `ws:"LogSSLPackets" default:"false" doc:"log TLS packets (direction, length, first bytes) at debug level"`

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

// strongSuites applies MinCipherStrength to the configured (or Go's
// default) TLS 1.0–1.2 suites.
func (t *TLSConfig) strongSuites(maxVersion uint16) ([]uint16, error) {
	n := t.MinCipherStrength
	if n <= 0 {
		return t.CipherSuites, nil
	}
	if n > 128 && maxVersion >= tls.VersionTLS13 {
		return nil, fmt.Errorf("%w: SSLCipherStrength %d: Go always offers TLS_AES_128_GCM_SHA256 in TLS 1.3; leave TLS 1.3 out of SSLEnabledProtocols", ErrUnsupported, n)
	}
	ids := t.CipherSuites
	if len(ids) == 0 {
		for _, s := range tls.CipherSuites() {
			ids = append(ids, s.ID)
		}
	}
	var out []uint16
	for _, id := range ids {
		if !isTLS13Suite(id) && cipherStrength(tls.CipherSuiteName(id)) >= n {
			out = append(out, id)
		}
	}
	if len(out) == 0 && maxVersion < tls.VersionTLS13 {
		return nil, fmt.Errorf("%w: SSLCipherStrength %d leaves no cipher suite", ErrBadValue, n)
	}
	return out, nil
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
	cert, err := tlsbridge.LoadCertificate(tlsbridge.CertSource{
		Certificate: t.Certificate, PKCS12: t.PKCS12, PKCS12File: t.PKCS12File, Password: t.Password,
		CertPEM: t.CertPEM, KeyPEM: t.KeyPEM, CertFile: t.CertFile, KeyFile: t.KeyFile,
		Subject: t.CertSubject, LeafOnly: t.OmitCertChain,
	})
	if err != nil {
		return nil, certError(err)
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
	suites, err := t.strongSuites(hi)
	if err != nil {
		return nil, err
	}
	verifier, err := tlsbridge.ClientTrust{
		Roots: t.ClientCAs, RootsPEM: t.ClientCAPEM, RootsFile: t.ClientCAFile, RootsDir: t.ClientCADir,
		CRLCheck: t.CheckCRL, CRLs: t.ClientCRLs, CRLFile: t.ClientCRLFile,
	}.Verifier()
	if err != nil {
		return nil, certError(err)
	}
	cfg := &tls.Config{
		MinVersion:             lo,
		MaxVersion:             hi,
		CipherSuites:           suites,
		CurvePreferences:       t.CurvePreferences,
		NextProtos:             t.NextProtos,
		SessionTicketsDisabled: t.SessionTicketsDisabled,
		Certificates:           []tls.Certificate{cert},
	}
	h := &tlsHooks{s: s, cert: &cfg.Certificates[0], verifier: verifier}
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
		LogPackets:              t.LogPackets,
	}, nil
}

// certError makes the certificate configuration errors of tlsbridge match
// ErrBadValue as well.
func certError(err error) error {
	if errors.Is(err, tlsbridge.ErrCertConfig) {
		return &wrapped{err: err, is: ErrBadValue}
	}
	return err
}

// errNoTLS is returned by the SSLNegotiated settings on plain connections.
var errNoTLS = errors.New("connection is not using TLS")
