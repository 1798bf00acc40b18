package tlsbridge

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crlFile writes a CRL of p revoking serials (PEM, or DER with der) and
// returns its path.
func crlFile(t *testing.T, p *testPKI, der bool, serials ...int64) string {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	b, err := x509.CreateRevocationList(rand.Reader, tmpl, p.caCert, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if !der {
		b = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: b})
	}
	f := filepath.Join(t.TempDir(), "ca.crl")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestClientVerifier(t *testing.T) {
	a, b := pkis(t)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.caCert.Raw})
	chain := []*x509.Certificate{a.client.Leaf}
	for _, tt := range []struct {
		name  string
		trust ClientTrust
		chain []*x509.Certificate
		want  string // substring of the error, "" = verified
	}{
		{"no roots", ClientTrust{}, chain, "no client CA configured"},
		{"roots from PEM", ClientTrust{RootsPEM: caPEM}, chain, ""},
		{"roots from a pool", ClientTrust{Roots: a.pool}, chain, ""},
		{"other CA", ClientTrust{Roots: b.pool}, chain, "unknown authority"},
		{"server certificate", ClientTrust{Roots: a.pool}, []*x509.Certificate{a.server.Leaf}, "incompatible key usage"},
		{"CRL off ignores revocation", ClientTrust{Roots: a.pool, CRLFile: crlFile(t, a, false, 3)}, chain, ""},
		{"revoked (PEM CRL)", ClientTrust{Roots: a.pool, CRLCheck: CRLCheckIfPresent, CRLFile: crlFile(t, a, false, 3)}, chain, "is revoked"},
		{"revoked (DER CRL)", ClientTrust{Roots: a.pool, CRLCheck: CRLCheckRequired, CRLFile: crlFile(t, a, true, 3)}, chain, "is revoked"},
		{"not listed", ClientTrust{Roots: a.pool, CRLCheck: CRLCheckRequired, CRLFile: crlFile(t, a, false, 99)}, chain, ""},
		{"required, other issuer's CRL", ClientTrust{Roots: a.pool, CRLCheck: CRLCheckRequired, CRLFile: crlFile(t, b, false)}, chain, "no CRL of"},
		{"ifpresent, other issuer's CRL", ClientTrust{Roots: a.pool, CRLCheck: CRLCheckIfPresent, CRLFile: crlFile(t, b, false, 3)}, chain, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.trust.Verifier()
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(tt.chain)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Verify: %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := (ClientTrust{RootsPEM: []byte("junk")}).Verifier(); !errors.Is(err, ErrCertConfig) {
		t.Errorf("junk roots: %v, want ErrCertConfig", err)
	}
	if _, err := (ClientTrust{CRLCheck: CRLCheckIfPresent, CRLFile: filepath.Join(t.TempDir(), "none")}).Verifier(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing CRL file: %v", err)
	}
}

func TestLoadCertificate(t *testing.T) {
	a, _ := pkis(t)
	withCA := a.server
	withCA.Certificate = append([][]byte{withCA.Certificate[0]}, a.caCert.Raw)
	for _, tt := range []struct {
		name  string
		src   CertSource
		certs int
		want  string
	}{
		{"none", CertSource{}, 0, "without a certificate"},
		{"ready", CertSource{Certificate: &withCA}, 2, ""},
		{"leaf only", CertSource{Certificate: &withCA, LeafOnly: true}, 1, ""},
		{"subject matches", CertSource{Certificate: &withCA, Subject: "example.test"}, 2, ""},
		{"subject differs", CertSource{Certificate: &withCA, Subject: "other"}, 0, "does not match"},
		{"missing file", CertSource{CertFile: filepath.Join(t.TempDir(), "none.pem")}, 0, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := LoadCertificate(tt.src)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%v, want %q", err, tt.want)
				}
				return
			}
			if err != nil || len(cert.Certificate) != tt.certs || cert.Leaf == nil {
				t.Fatalf("%d certificates, leaf %v, %v", len(cert.Certificate), cert.Leaf != nil, err)
			}
		})
	}
}
