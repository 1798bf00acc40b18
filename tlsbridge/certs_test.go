package tlsbridge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate and a client certificate.
type testPKI struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
}

var (
	pkiOnce       sync.Once
	pkiA, pkiB    *testPKI
	pkiOnceErrVal error
)

// pkis returns two independent CAs (generated once per test binary).
func pkis(tb testing.TB) (a, b *testPKI) {
	tb.Helper()
	pkiOnce.Do(func() {
		pkiA, pkiOnceErrVal = newPKI("wsloop test CA A")
		if pkiOnceErrVal == nil {
			pkiB, pkiOnceErrVal = newPKI("wsloop test CA B")
		}
	})
	if pkiOnceErrVal != nil {
		tb.Fatal(pkiOnceErrVal)
	}
	return pkiA, pkiB
}

func newPKI(name string) (*testPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p := &testPKI{caCert: caCert, caKey: caKey, pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	if p.server, err = p.leaf(2, "example.test", x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if p.client, err = p.leaf(3, "test client", x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *testPKI) leaf(serial int64, cn string, usage x509.ExtKeyUsage) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{"example.test", "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// serverTLS returns a server config using CA A's server certificate.
func serverTLS(tb testing.TB) *tls.Config {
	a, _ := pkis(tb)
	return &tls.Config{Certificates: []tls.Certificate{a.server}, NextProtos: []string{"http/1.1"}}
}

// clientTLS returns a client config trusting CA A.
func clientTLS(tb testing.TB) *tls.Config {
	a, _ := pkis(tb)
	return &tls.Config{RootCAs: a.pool, ServerName: "example.test"}
}
