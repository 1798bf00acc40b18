package tlsbridge

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CRLCheck says whether client certificates are checked against
// certificate revocation lists (the component's SSLCheckCRL).
type CRLCheck uint8

// CRL checks. A CRL is used only when its signature verifies with the
// issuer of the certificate being checked; CRLs are never fetched.
const (
	// CRLCheckOff checks no CRL (default).
	CRLCheckOff CRLCheck = iota
	// CRLCheckIfPresent refuses a certificate listed in a loaded CRL of its
	// issuer; certificates whose issuer has no CRL loaded pass.
	CRLCheckIfPresent
	// CRLCheckRequired also refuses certificates whose issuer has no CRL
	// loaded.
	CRLCheckRequired
)

var crlCheckNames = [...]string{"off", "ifpresent", "required"}

// String returns "off", "ifpresent" or "required".
func (m CRLCheck) String() string {
	if int(m) < len(crlCheckNames) {
		return crlCheckNames[m]
	}
	return "CRLCheck(" + strconv.Itoa(int(m)) + ")"
}

// UnmarshalText takes a name of String or the component's number (0, 1, 2).
func (m *CRLCheck) UnmarshalText(b []byte) error {
	s := strings.ToLower(string(b))
	for i, name := range crlCheckNames {
		if s == name || s == strconv.Itoa(i) {
			*m = CRLCheck(i)
			return nil
		}
	}
	return fmt.Errorf("%q is not off (0), ifpresent (1) or required (2)", b)
}

// ClientTrust says how client certificates are verified: the roots
// (Roots, RootsPEM, RootsFile and every *.pem, *.crt and *.cer file in
// RootsDir, all combined) and, with CRLCheck on, the revocation lists (CRLs
// and the PEM or DER CRLs in CRLFile).
type ClientTrust struct {
	Roots     *x509.CertPool
	RootsPEM  []byte
	RootsFile string
	RootsDir  string
	CRLCheck  CRLCheck
	CRLs      []*x509.RevocationList
	CRLFile   string
}

// ClientVerifier verifies client certificate chains for client
// authentication. It is safe for concurrent use.
type ClientVerifier struct {
	roots *x509.CertPool // nil = none configured
	check CRLCheck
	crls  []*x509.RevocationList
}

// Verifier loads the roots and CRLs t names.
func (t ClientTrust) Verifier() (*ClientVerifier, error) {
	roots, err := t.loadRoots()
	if err != nil {
		return nil, err
	}
	v := &ClientVerifier{roots: roots, check: t.CRLCheck}
	if t.CRLCheck != CRLCheckOff {
		if v.crls, err = t.loadCRLs(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// ErrNoClientCA is the verification result when no client CA is configured.
var ErrNoClientCA = errors.New("no client CA configured (ClientCAs, ClientCAPEM, ClientCAFile, ClientCADir)")

// Verify verifies a client chain (leaf first) against the roots with the
// client-auth extended key usage, then, with CRLCheck on, each certificate
// of the verified chain against the CRLs of its issuer.
func (v *ClientVerifier) Verify(chain []*x509.Certificate) error {
	if v.roots == nil {
		return ErrNoClientCA
	}
	opts := x509.VerifyOptions{Roots: v.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if len(chain) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range chain[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	chains, err := chain[0].Verify(opts)
	if err != nil || v.check == CRLCheckOff {
		return err
	}
	verified := chains[0]
	for i := 0; i+1 < len(verified); i++ {
		if err := v.checkRevoked(verified[i], verified[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkRevoked looks cert up in the CRLs signed by issuer.
func (v *ClientVerifier) checkRevoked(cert, issuer *x509.Certificate) error {
	found := false
	for _, crl := range v.crls {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		found = true
		for _, rc := range crl.RevokedCertificateEntries {
			if rc.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return fmt.Errorf("certificate %q (serial %s) is revoked by the CRL of %q", cert.Subject.String(), cert.SerialNumber, issuer.Subject.String())
			}
		}
	}
	if !found && v.check == CRLCheckRequired {
		return fmt.Errorf("no CRL of %q is loaded (SSLCheckCRL required)", issuer.Subject.String())
	}
	return nil
}
