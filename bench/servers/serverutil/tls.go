package serverutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Config is what one benchmark server serves.
type Config struct {
	Addr string // listen address, e.g. 127.0.0.1:9001 (port 0: any)
	Mode string // ModeEcho or ModeBroadcast
	// CertFile and KeyFile are PEM files; when both are set the server
	// serves wss:// (and https:// for /healthz) with TLS 1.3 only and no
	// HTTP/2, so every implementation does the same handshake work.
	CertFile, KeyFile string
}

// TLS reports whether c asks for wss://.
func (c Config) TLS() bool { return c.CertFile != "" && c.KeyFile != "" }

// ErrNoTLS is returned by a server that cannot serve TLS.
var ErrNoTLS = errors.New("serverutil: this server does not serve TLS")

// TLSConfig returns the crypto/tls server configuration every net/http
// based server uses: the certificate pair, TLS 1.3 only, no ALPN.
func (c Config) TLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}, nil
}

// WriteSelfSigned writes an ECDSA P-256 self-signed certificate for
// 127.0.0.1, ::1 and localhost (valid for a day) and its key as PEM files
// cert.pem and key.pem in dir, and returns their paths.
func WriteSelfSigned(dir string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "wsloop bench"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}
