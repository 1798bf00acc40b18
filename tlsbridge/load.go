package tlsbridge

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrCertConfig is wrapped by the errors of LoadCertificate and
// ClientTrust.Verifier that come from the configuration itself (no
// certificate, a subject mismatch, a file without PEM blocks), as opposed to
// I/O errors.
var ErrCertConfig = errors.New("tlsbridge: bad certificate configuration")

// CertSource says where the server's certificate comes from. The first
// source set is used, in this order: Certificate, PKCS12/PKCS12File,
// CertPEM/KeyPEM, CertFile/KeyFile.
type CertSource struct {
	Certificate       *tls.Certificate // chain and key, ready
	PKCS12            []byte           // PKCS#12 (PFX) blob
	PKCS12File        string           // PKCS#12 file
	Password          string           // decrypts PKCS12 or PKCS12File
	CertPEM, KeyPEM   []byte           // PEM chain (leaf first) and key; KeyPEM may be empty when CertPEM holds both
	CertFile, KeyFile string           // PEM files; KeyFile may be empty when CertFile holds both
	// Subject, when not "" or "*", must match the leaf's common name or
	// its whole distinguished name.
	Subject string
	// LeafOnly sends the leaf alone, without the intermediates of its chain.
	LeafOnly bool
}

// LoadCertificate reads the certificate src names, with its parsed leaf.
func LoadCertificate(src CertSource) (tls.Certificate, error) {
	var cert tls.Certificate
	var err error
	switch {
	case src.Certificate != nil:
		cert = *src.Certificate
	case len(src.PKCS12) > 0:
		cert, err = fromPKCS12(src.PKCS12, src.Password)
	case src.PKCS12File != "":
		var data []byte
		if data, err = os.ReadFile(src.PKCS12File); err == nil {
			cert, err = fromPKCS12(data, src.Password)
		}
	case len(src.CertPEM) > 0:
		key := src.KeyPEM
		if len(key) == 0 {
			key = src.CertPEM
		}
		cert, err = tls.X509KeyPair(src.CertPEM, key)
	case src.CertFile != "":
		key := src.KeyFile
		if key == "" {
			key = src.CertFile
		}
		cert, err = tls.LoadX509KeyPair(src.CertFile, key)
	default:
		return cert, fmt.Errorf("%w: TLS enabled without a certificate", ErrCertConfig)
	}
	if err != nil {
		return cert, fmt.Errorf("wsloop: loading the TLS certificate: %w", err)
	}
	if len(cert.Certificate) == 0 {
		return cert, fmt.Errorf("%w: TLS certificate has no chain", ErrCertConfig)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return cert, fmt.Errorf("wsloop: parsing the TLS certificate: %w", err)
		}
	}
	if s := src.Subject; s != "" && s != "*" && cert.Leaf.Subject.CommonName != s && cert.Leaf.Subject.String() != s {
		return cert, fmt.Errorf("%w: certificate subject %q does not match SSLCertSubject %q", ErrCertConfig, cert.Leaf.Subject.String(), s)
	}
	if src.LeafOnly {
		cert.Certificate = cert.Certificate[:1]
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

// loadRoots combines the configured client CAs; nil if none.
func (t ClientTrust) loadRoots() (*x509.CertPool, error) {
	if t.Roots == nil && len(t.RootsPEM) == 0 && t.RootsFile == "" && t.RootsDir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if t.Roots != nil {
		pool = t.Roots.Clone()
	}
	if len(t.RootsPEM) > 0 && !pool.AppendCertsFromPEM(t.RootsPEM) {
		return nil, fmt.Errorf("%w: no PEM certificate in SSLCACerts", ErrCertConfig)
	}
	var files []string
	if t.RootsFile != "" {
		files = append(files, t.RootsFile)
	}
	if t.RootsDir != "" {
		entries, err := os.ReadDir(t.RootsDir)
		if err != nil {
			return nil, fmt.Errorf("wsloop: reading ClientCADir: %w", err)
		}
		for _, e := range entries {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".pem", ".crt", ".cer":
				if !e.IsDir() {
					files = append(files, filepath.Join(t.RootsDir, e.Name()))
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
			return nil, fmt.Errorf("%w: no PEM certificate in client CA file %s", ErrCertConfig, f)
		}
	}
	return pool, nil
}

// loadCRLs combines CRLs and the CRLs in CRLFile (PEM blocks "X509 CRL",
// or one DER CRL).
func (t ClientTrust) loadCRLs() ([]*x509.RevocationList, error) {
	crls := slices.Clone(t.CRLs)
	if t.CRLFile == "" {
		return crls, nil
	}
	data, err := os.ReadFile(t.CRLFile)
	if err != nil {
		return nil, fmt.Errorf("wsloop: reading ClientCRLFile: %w", err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return nil, fmt.Errorf("%w: ClientCRLFile %s: %v", ErrCertConfig, t.CRLFile, err)
		}
		return append(crls, crl), nil
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: ClientCRLFile %s: %v", ErrCertConfig, t.CRLFile, err)
		}
		crls = append(crls, crl)
	}
	if len(crls) == len(t.CRLs) {
		return nil, fmt.Errorf("%w: no X509 CRL in ClientCRLFile %s", ErrCertConfig, t.CRLFile)
	}
	return crls, nil
}
