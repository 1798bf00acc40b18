package api

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
)

// The TLS settings that are not one field each: the certificate store, the
// protocol bitmask, and the component's names that Go's crypto/tls cannot
// honour (refused with the reason).
func extraSettings() []*setting {
	refuse := func(name, why, doc string, get func(*TLSConfig) string) *setting {
		st := tlsSetting(name, "", doc, get, nil)
		st.Refused = why
		return st
	}
	noSigs := "Go's crypto/tls does not allow configuring signature algorithms"
	return []*setting{
		tlsSetting("SSLCertStoreType", storePEMFile,
			"how SSLCertStore is read: PEMKEY_FILE (CertFile=KeyFile), PEMKEY_BLOB (CertPEM=KeyPEM), PFXFILE (PKCS12File), PFXBLOB (PKCS12, base64)",
			storeType, setStoreType),
		tlsSetting("SSLCertStore", "", "the certificate file name or blob, as SSLCertStoreType says", getStore, setStore),
		tlsSetting("SSLEnabledProtocols", "15360",
			"MinVersion/MaxVersion as the component's bitmask: TLS1.3 12288, TLS1.2 3072, TLS1.1 768, TLS1.0 192 (one contiguous range)",
			func(t *TLSConfig) string { return strconv.Itoa(protocolMask(t)) }, setProtocolMask),
		refuse("TLS13CipherSuites", "Go's crypto/tls does not allow configuring TLS 1.3 cipher suites",
			"read: Go's fixed TLS 1.3 suites", func(*TLSConfig) string { return tls13Suites }),
		refuse("TLS12SignatureAlgorithms", noSigs, "read: the schemes Go offers", func(*TLSConfig) string { return goSignatureSchemes }),
		refuse("TLS13SignatureAlgorithms", noSigs, "read: the schemes Go offers", func(*TLSConfig) string { return goSignatureSchemes }),
		refuse("TLS13KeyShareGroups", "key shares are chosen by the client; the server follows TLS13SupportedGroups",
			"read: TLS13SupportedGroups", func(t *TLSConfig) string { return curvesCodec.format(reflect.ValueOf(t.CurvePreferences)) }),
		tlsSetting("SSLEnableRenegotiation", "false", "false only: Go's TLS server never renegotiates",
			func(*TLSConfig) string { return "false" },
			func(_ *TLSConfig, v string) error {
				if b, err := strconv.ParseBool(v); err != nil || b {
					return fmt.Errorf("%w: SSLEnableRenegotiation: Go's TLS server never renegotiates", ErrUnsupported)
				}
				return nil
			}),
		tlsSetting("SSLProvider", "", "Go crypto/tls and the Go version",
			func(*TLSConfig) string { return "Go crypto/tls (" + runtime.Version() + ")" }, nil),
		refuse("OpenSSLCipherList", "wsloop uses Go's crypto/tls; use SSLEnabledCipherSuites", "", nil),
		refuse("OpenSSLPrngSeedData", "Go's crypto/rand seeds itself", "", nil),
		refuse("SSLServerCACerts", "it verifies a server's certificate, and wsloop is the server; client certificates are verified against SSLCACerts", "", nil),
		refuse("SSLSecurityFlags", "its flags relax Windows SChannel checks of a server certificate; a client certificate's verification result goes to OnSSLClientAuthentication, whose Accept decides", "", nil),
	}
}

// tlsSetting declares a setting computed from the whole TLSConfig.
func tlsSetting(name, def, doc string, get func(*TLSConfig) string, set func(*TLSConfig, string) error) *setting {
	st := &setting{SettingInfo: SettingInfo{Name: name, Default: def, Doc: doc, tls: true}}
	st.get = func(c *Config) string {
		if get == nil {
			return ""
		}
		if c.TLS == nil {
			return get(&TLSConfig{})
		}
		return get(c.TLS)
	}
	if set != nil {
		st.set = func(c *Config, v string) error {
			if c.TLS == nil {
				c.TLS = &TLSConfig{}
			}
			return set(c.TLS, v)
		}
	}
	return st
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
	n, err := strconv.ParseInt(v, 0, 32)
	switch {
	case err != nil || n <= 0:
		return fmt.Errorf("%w: SSLEnabledProtocols %q is not a positive bitmask", ErrBadValue, v)
	case n&0x3F != 0:
		return fmt.Errorf("%w: SSLEnabledProtocols %q: SSL 2 and SSL 3 are not implemented by Go", ErrUnsupported, v)
	case n&^0x3FFF != 0:
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

// suitesCodec reads cipher suites as IANA names or 0x hex ids; "*" or ""
// is Go's defaults.
var suitesCodec = textCodec{
	parse: func(v reflect.Value, s string) error {
		if s == "" || s == "*" {
			v.SetZero()
			return nil
		}
		var ids []uint16
		for _, name := range splitList(s) {
			id, err := parseSuite(name)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := checkSuites(ids); err != nil {
			return err
		}
		v.Set(reflect.ValueOf(ids))
		return nil
	},
	format: func(v reflect.Value) string {
		if v.Len() == 0 {
			return "*"
		}
		return strings.Join(suiteNames(v.Interface().([]uint16)), ",")
	},
}

// parseSuite finds a suite Go implements by IANA name or hex id.
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

// tls13Suites are the TLS 1.3 suites Go negotiates (not configurable).
const tls13Suites = "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"

type curveID = tls.CurveID

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

// curvesCodec reads key-exchange groups by their IANA names; "*" or "" is
// Go's defaults.
var curvesCodec = textCodec{
	parse: func(v reflect.Value, s string) error {
		if s == "" || s == "*" {
			v.SetZero()
			return nil
		}
		var ids []tls.CurveID
		for _, name := range splitList(s) {
			id, ok := curveNames[strings.ToLower(name)]
			if !ok {
				return fmt.Errorf("%w: unknown group %q", ErrBadValue, name)
			}
			ids = append(ids, id)
		}
		v.Set(reflect.ValueOf(ids))
		return nil
	},
	format: func(v reflect.Value) string {
		ids := v.Interface().([]tls.CurveID)
		if len(ids) == 0 {
			return "*"
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = id.String()
		}
		return strings.Join(out, ",")
	},
}

// goSignatureSchemes are the schemes Go's server accepts and offers.
var goSignatureSchemes = strings.Join(schemeNames([]tls.SignatureScheme{
	tls.ECDSAWithP256AndSHA256, tls.Ed25519, tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512,
	tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512,
	tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512,
}), ",")

// Certificate store types of SSLCertStoreType.
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

// setStoreType takes a store type by name or by the component's number.
func setStoreType(t *TLSConfig, v string) error {
	switch u := strings.ToUpper(v); u {
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
