package api

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/wsloop/wsloop/engine"
)

// TLS settings for Server.Config (names case-insensitive). They map the
// component's SSL*, TLS12*, TLS13* and OpenSSL* names onto TLSConfig:
//
//	UseSSL                        Enabled
//	SSLCertStoreType              how SSLCertStore is read: PEMKEY_FILE (default; CertFile=KeyFile),
//	                              PEMKEY_BLOB (CertPEM=KeyPEM), PFXFILE (PKCS12File), PFXBLOB (PKCS12, base64)
//	SSLCertStore                  the file name or blob
//	SSLCertStorePassword          Password (PKCS#12)
//	SSLCertSubject                CertSubject ("*" = any)
//	SSLAuthenticateClients        true = ClientAuth request, false = none
//	SSLClientAuth                 ClientAuth: none, request or require (wsloop)
//	SSLClientCAFile, OpenSSLCAFile  ClientCAFile
//	SSLClientCADir, OpenSSLCADir    ClientCADir
//	SSLEnabledProtocols           MinVersion/MaxVersion as the component's bitmask: TLS1.3 12288 (0x3000),
//	                              TLS1.2 3072 (0xC00), TLS1.1 768 (0x300), TLS1.0 192 (0xC0); default 15360
//	                              (TLS 1.2 and 1.3). SSL2/SSL3 bits and gaps (e.g. TLS1.0+TLS1.3) are ErrUnsupported.
//	SSLEnabledCipherSuites        CipherSuites: comma-separated IANA names or 0x hex ids, "*" = Go's defaults;
//	                              TLS 1.3 suites are ErrUnsupported (Go does not allow configuring them)
//	TLS13CipherSuites (any TLS13*Cipher* name)  read: Go's fixed TLS 1.3 list; write: ErrUnsupported
//	TLS12SupportedGroups, TLS13SupportedGroups  CurvePreferences (Go has one list for both):
//	                              x25519, secp256r1, secp384r1, secp521r1, x25519mlkem768, ...
//	TLS13KeyShareGroups           write: ErrUnsupported (a client setting; the server follows CurvePreferences)
//	TLS12SignatureAlgorithms, TLS13SignatureAlgorithms  read: the schemes Go offers; write: ErrUnsupported
//	SSLSessionTicketsDisabled     SessionTicketsDisabled (session reuse off)
//	SSLMaxConcurrentHandshakes    MaxConcurrentHandshakes
//	SSLALPNProtocols              NextProtos (comma-separated)
//	SSLEnableRenegotiation        false only (Go servers never renegotiate): true is ErrUnsupported
//	SSLProvider                   read-only: "Go crypto/tls (<Go version>)"
//	OpenSSLCipherList             ErrUnsupported: use SSLEnabledCipherSuites
//
// Per connection, read-only, from any goroutine once the handshake has
// completed: SSLNegotiatedVersion[id] ("TLS 1.3"), SSLNegotiatedCipher[id]
// (IANA suite name; SSLNegotiatedCipherSuite is the same),
// SSLNegotiatedCipherStrength[id] (key bits), SSLNegotiatedServerName[id]
// (SNI), SSLNegotiatedALPN[id], SSLNegotiatedResumed[id],
// SSLNegotiatedPeerSubject[id] (client certificate subject).
type tlsSettingDef struct {
	get func(t *TLSConfig) string
	set func(t *TLSConfig, v string) error // nil = read-only
}

// Component protocol bits.
var protocolBits = []struct {
	mask    int
	version uint16
}{
	{0x00C0, tls.VersionTLS10},
	{0x0300, tls.VersionTLS11},
	{0x0C00, tls.VersionTLS12},
	{0x3000, tls.VersionTLS13},
}

func protocolMask(t *TLSConfig) int {
	lo, hi := t.versions()
	mask := 0
	for _, p := range protocolBits {
		if p.version >= lo && p.version <= hi {
			mask |= p.mask
		}
	}
	return mask
}

func setProtocolMask(t *TLSConfig, v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 32)
	if err != nil || n <= 0 {
		return fmt.Errorf("%w: SSLEnabledProtocols %q is not a positive bitmask", ErrBadValue, v)
	}
	if n&0x3F != 0 {
		return fmt.Errorf("%w: SSLEnabledProtocols %q: SSL 2 and SSL 3 are not implemented by Go", ErrUnsupported, v)
	}
	if n&^0x3FFF != 0 {
		return fmt.Errorf("%w: SSLEnabledProtocols %q has unknown bits", ErrBadValue, v)
	}
	var lo, hi uint16
	gap := false
	for _, p := range protocolBits {
		if int(n)&p.mask == 0 {
			gap = gap || lo != 0
			continue
		}
		if gap {
			return fmt.Errorf("%w: SSLEnabledProtocols %q: Go allows one contiguous range of versions", ErrUnsupported, v)
		}
		if lo == 0 {
			lo = p.version
		}
		hi = p.version
	}
	t.MinVersion, t.MaxVersion = lo, hi
	return nil
}

// suiteByName finds a suite Go implements by IANA name or hex id.
func parseSuite(name string) (uint16, error) {
	if strings.HasPrefix(name, "0x") || strings.HasPrefix(name, "0X") {
		n, err := strconv.ParseUint(name[2:], 16, 16)
		if err != nil {
			return 0, fmt.Errorf("%w: cipher suite %q", ErrBadValue, name)
		}
		return uint16(n), nil
	}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if strings.EqualFold(s.Name, name) {
				return s.ID, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: unknown cipher suite %q", ErrBadValue, name)
}

func setSuites(t *TLSConfig, v string) error {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		t.CipherSuites = nil
		return nil
	}
	var ids []uint16
	for _, name := range splitList(v) {
		id, err := parseSuite(name)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := checkSuites(ids); err != nil {
		return err
	}
	t.CipherSuites = ids
	return nil
}

func getSuites(t *TLSConfig) string {
	if len(t.CipherSuites) == 0 {
		return "*"
	}
	return strings.Join(suiteNames(t.CipherSuites), ",")
}

// tls13Suites are the TLS 1.3 suites Go negotiates (not configurable).
var tls13Suites = "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"

var curveNames = map[string]tls.CurveID{
	"x25519":             tls.X25519,
	"secp256r1":          tls.CurveP256,
	"p-256":              tls.CurveP256,
	"secp384r1":          tls.CurveP384,
	"p-384":              tls.CurveP384,
	"secp521r1":          tls.CurveP521,
	"p-521":              tls.CurveP521,
	"x25519mlkem768":     tls.X25519MLKEM768,
	"secp256r1mlkem768":  tls.SecP256r1MLKEM768,
	"secp384r1mlkem1024": tls.SecP384r1MLKEM1024,
}

func setCurves(t *TLSConfig, v string) error {
	var ids []tls.CurveID
	for _, name := range splitList(v) {
		id, ok := curveNames[strings.ToLower(name)]
		if !ok {
			return fmt.Errorf("%w: unknown group %q", ErrBadValue, name)
		}
		ids = append(ids, id)
	}
	t.CurvePreferences = ids
	return nil
}

func getCurves(t *TLSConfig) string {
	if len(t.CurvePreferences) == 0 {
		return "*"
	}
	out := make([]string, len(t.CurvePreferences))
	for i, id := range t.CurvePreferences {
		out[i] = id.String()
	}
	return strings.Join(out, ",")
}

// goSignatureSchemes are the schemes Go's server accepts and offers.
var goSignatureSchemes = strings.Join(schemeNames([]tls.SignatureScheme{
	tls.ECDSAWithP256AndSHA256, tls.Ed25519, tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512,
	tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512,
	tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512,
}), ",")

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func unsupported(name, why string) func(*TLSConfig, string) error {
	return func(*TLSConfig, string) error { return fmt.Errorf("%w: %s: %s", ErrUnsupported, name, why) }
}

func tlsBool(f func(t *TLSConfig) *bool) tlsSettingDef {
	return tlsSettingDef{
		get: func(t *TLSConfig) string { return strconv.FormatBool(*f(t)) },
		set: func(t *TLSConfig, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: %q is not a boolean", ErrBadValue, v)
			}
			*f(t) = b
			return nil
		},
	}
}

func tlsString(f func(t *TLSConfig) *string) tlsSettingDef {
	return tlsSettingDef{
		get: func(t *TLSConfig) string { return *f(t) },
		set: func(t *TLSConfig, v string) error { *f(t) = v; return nil },
	}
}

const (
	storePEMFile = "PEMKEY_FILE"
	storePEMBlob = "PEMKEY_BLOB"
	storePFXFile = "PFXFILE"
	storePFXBlob = "PFXBLOB"
)

func storeType(t *TLSConfig) string {
	if t.certStoreType == "" {
		return storePEMFile
	}
	return t.certStoreType
}

func setStore(t *TLSConfig, v string) error {
	t.Certificate, t.PKCS12, t.PKCS12File, t.CertPEM, t.KeyPEM, t.CertFile, t.KeyFile = nil, nil, "", nil, nil, "", ""
	switch storeType(t) {
	case storePEMFile:
		t.CertFile, t.KeyFile = v, v
	case storePEMBlob:
		t.CertPEM, t.KeyPEM = []byte(v), []byte(v)
	case storePFXFile:
		t.PKCS12File = v
	case storePFXBlob:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return fmt.Errorf("%w: SSLCertStore: PFXBLOB must be base64: %v", ErrBadValue, err)
		}
		t.PKCS12 = b
	}
	return nil
}

func getStore(t *TLSConfig) string {
	switch {
	case t.PKCS12File != "":
		return t.PKCS12File
	case len(t.PKCS12) > 0:
		return base64.StdEncoding.EncodeToString(t.PKCS12)
	case len(t.CertPEM) > 0:
		return string(t.CertPEM)
	}
	return t.CertFile
}

var tlsSettings = map[string]tlsSettingDef{
	"usessl": tlsBool(func(t *TLSConfig) *bool { return &t.Enabled }),
	"sslcertstoretype": {
		get: storeType,
		set: func(t *TLSConfig, v string) error {
			switch u := strings.ToUpper(strings.TrimSpace(v)); u {
			case storePEMFile, "6":
				t.certStoreType = storePEMFile
			case storePEMBlob, "7":
				t.certStoreType = storePEMBlob
			case storePFXFile, "2":
				t.certStoreType = storePFXFile
			case storePFXBlob, "3":
				t.certStoreType = storePFXBlob
			default:
				return fmt.Errorf("%w: SSLCertStoreType %q (PEMKEY_FILE, PEMKEY_BLOB, PFXFILE or PFXBLOB; OS certificate stores are not supported)", ErrUnsupported, v)
			}
			return nil
		},
	},
	"sslcertstore":         {get: getStore, set: setStore},
	"sslcertstorepassword": tlsString(func(t *TLSConfig) *string { return &t.Password }),
	"sslcertsubject":       tlsString(func(t *TLSConfig) *string { return &t.CertSubject }),
	"sslauthenticateclients": {
		get: func(t *TLSConfig) string { return strconv.FormatBool(t.ClientAuth != ClientAuthNone) },
		set: func(t *TLSConfig, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: %q is not a boolean", ErrBadValue, v)
			}
			t.ClientAuth = ClientAuthNone
			if b {
				t.ClientAuth = ClientAuthRequest
			}
			return nil
		},
	},
	"sslclientauth": {
		get: func(t *TLSConfig) string { return t.ClientAuth.String() },
		set: func(t *TLSConfig, v string) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "none":
				t.ClientAuth = ClientAuthNone
			case "request":
				t.ClientAuth = ClientAuthRequest
			case "require":
				t.ClientAuth = ClientAuthRequire
			default:
				return fmt.Errorf("%w: SSLClientAuth %q (none, request or require)", ErrBadValue, v)
			}
			return nil
		},
	},
	"sslclientcafile":        tlsString(func(t *TLSConfig) *string { return &t.ClientCAFile }),
	"opensslcafile":          tlsString(func(t *TLSConfig) *string { return &t.ClientCAFile }),
	"sslclientcadir":         tlsString(func(t *TLSConfig) *string { return &t.ClientCADir }),
	"opensslcadir":           tlsString(func(t *TLSConfig) *string { return &t.ClientCADir }),
	"sslenabledprotocols":    {get: func(t *TLSConfig) string { return strconv.Itoa(protocolMask(t)) }, set: setProtocolMask},
	"sslenabledciphersuites": {get: getSuites, set: setSuites},
	"tls12supportedgroups":   {get: getCurves, set: setCurves},
	"tls13supportedgroups":   {get: getCurves, set: setCurves},
	"tls13keysharegroups": {get: getCurves, set: unsupported("TLS13KeyShareGroups",
		"key shares are chosen by the client; the server follows TLS13SupportedGroups")},
	"tls12signaturealgorithms": {get: func(*TLSConfig) string { return goSignatureSchemes },
		set: unsupported("TLS12SignatureAlgorithms", "Go's crypto/tls does not allow configuring signature algorithms")},
	"tls13signaturealgorithms": {get: func(*TLSConfig) string { return goSignatureSchemes },
		set: unsupported("TLS13SignatureAlgorithms", "Go's crypto/tls does not allow configuring signature algorithms")},
	"sslsessionticketsdisabled": tlsBool(func(t *TLSConfig) *bool { return &t.SessionTicketsDisabled }),
	"sslmaxconcurrenthandshakes": {
		get: func(t *TLSConfig) string { return strconv.Itoa(t.MaxConcurrentHandshakes) },
		set: func(t *TLSConfig, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1<<16 {
				return fmt.Errorf("%w: SSLMaxConcurrentHandshakes %q is not in [0, 65536]", ErrBadValue, v)
			}
			t.MaxConcurrentHandshakes = n
			return nil
		},
	},
	"sslalpnprotocols": {
		get: func(t *TLSConfig) string { return strings.Join(t.NextProtos, ",") },
		set: func(t *TLSConfig, v string) error { t.NextProtos = splitList(v); return nil },
	},
	"sslenablerenegotiation": {
		get: func(*TLSConfig) string { return "false" },
		set: func(_ *TLSConfig, v string) error {
			if b, err := strconv.ParseBool(v); err != nil || b {
				return fmt.Errorf("%w: SSLEnableRenegotiation: Go's TLS server never renegotiates", ErrUnsupported)
			}
			return nil
		},
	},
	"sslprovider": {get: func(*TLSConfig) string { return "Go crypto/tls (" + runtime.Version() + ")" }},
	"opensslcipherlist": {get: func(*TLSConfig) string { return "" },
		set: unsupported("OpenSSLCipherList", "wsloop uses Go's crypto/tls; use SSLEnabledCipherSuites")},
}

// tlsSettingName reports whether a Config name belongs to the TLS family
// (SSL*, TLS12*, TLS13*, OpenSSL*, UseSSL).
func tlsSettingName(key string) bool {
	for _, p := range []string{"ssl", "tls12", "tls13", "openssl", "usessl"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// tlsSetting reads or writes a TLS setting. Writes are copy-on-write (the
// caller's TLSConfig is not modified) and refused after Listen.
func (s *Server) tlsSetting(key, value string, isSet bool) (string, error) {
	def, ok := tlsSettings[key]
	if !ok && strings.HasPrefix(key, "tls13") && strings.Contains(key, "cipher") {
		def = tlsSettingDef{get: func(*TLSConfig) string { return tls13Suites },
			set: unsupported(key, "Go's crypto/tls does not allow configuring TLS 1.3 cipher suites")}
		ok = true
	}
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownSetting, key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cfg.TLS
	if cur == nil {
		cur = &TLSConfig{}
	}
	if !isSet {
		return def.get(cur), nil
	}
	if def.set == nil {
		return "", fmt.Errorf("%w: %s is read-only", ErrReadOnly, key)
	}
	if s.eng != nil && s.eng.Running() {
		return "", fmt.Errorf("%w: %s cannot change after Listen", ErrReadOnly, key)
	}
	next := *cur
	if err := def.set(&next, value); err != nil {
		return "", err
	}
	s.cfg.TLS = &next
	return def.get(&next), nil
}

// negotiated answers the read-only SSLNegotiated*[id] settings from the
// snapshot taken on the connection's loop when its handshake completed.
func (s *Server) negotiated(c *engine.Conn, name string) (string, error) {
	if !strings.HasPrefix(name, "sslnegotiated") {
		return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
	}
	if !c.IsTLS() {
		return "", fmt.Errorf("%w: %s: %v", ErrNotConnected, name, errNoTLS)
	}
	n := c.TLSNegotiated()
	if n == nil {
		return "", fmt.Errorf("%w: %s: TLS handshake not completed", ErrNotConnected, name)
	}
	switch name {
	case "sslnegotiatedversion":
		return n.VersionName(), nil
	case "sslnegotiatedcipher", "sslnegotiatedciphersuite":
		return n.CipherSuiteName(), nil
	case "sslnegotiatedcipherstrength":
		return strconv.Itoa(cipherStrength(n.CipherSuiteName())), nil
	case "sslnegotiatedservername":
		return n.ServerName, nil
	case "sslnegotiatedalpn":
		return n.ALPN, nil
	case "sslnegotiatedresumed":
		return strconv.FormatBool(n.DidResume), nil
	case "sslnegotiatedpeersubject":
		if len(n.PeerCertificates) == 0 {
			return "", nil
		}
		return n.PeerCertificates[0].Subject.String(), nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
}

// cipherStrength is the symmetric key size of a suite, from its name.
func cipherStrength(name string) int {
	switch {
	case strings.Contains(name, "AES_256"), strings.Contains(name, "CHACHA20"):
		return 256
	case strings.Contains(name, "AES_128"):
		return 128
	case strings.Contains(name, "3DES"):
		return 112
	case strings.Contains(name, "RC4_128"):
		return 128
	}
	return 0
}
