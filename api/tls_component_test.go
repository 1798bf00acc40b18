package api_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// configure applies Server.Config lines to a new server's settings.
func configure(t *testing.T, cfg api.Config, lines ...string) api.Config {
	t.Helper()
	for _, l := range lines {
		name, value, _ := strings.Cut(l, "=")
		if err := cfg.Set(name, value); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
	return cfg
}

// exchange dials and echoes one message; the error says whether the
// server took the connection (TLS 1.3 client auth fails after the
// client's handshake, so a message is needed to see it).
func exchange(url string, cli *tls.Config) (*tls.ConnectionState, error) {
	c, err := dialWSS(url, cli)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err = wsutil.WriteClientBinary(c, []byte("hi")); err == nil {
		_, _, err = wsutil.ReadServerData(c)
	}
	var st *tls.ConnectionState
	if tc, ok := c.Conn.(*tls.Conn); ok {
		s := tc.ConnectionState()
		st = &s
	}
	return st, err
}

// crlOf writes a PEM CRL of ca revoking serials and returns its file.
func crlOf(t *testing.T, ca *tlsCA, serials ...*big.Int) string {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "ca.crl")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// SSLCACerts is the CA list client certificates are verified against, and
// SSLCheckCRL checks them against the loaded CRLs of their issuer.
func TestTLSClientCAsAndCRL(t *testing.T) {
	a, b := testCAs(t)
	good, other, revoked := a.leaf(t, "good client", false), b.leaf(t, "other client", false), a.leaf(t, "revoked client", false)
	srvCert := a.leaf(t, "server.example", true)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.cert.Raw}))
	revokedCRL := crlOf(t, a, revoked.Leaf.SerialNumber)
	for _, tt := range []struct {
		name  string
		lines []string
		cert  tls.Certificate
		ok    bool
	}{
		{"CA list accepts its client", nil, good, true},
		{"CA list refuses another CA's client", nil, other, false},
		{"CRL off: revoked passes", nil, revoked, true},
		{"CRL ifpresent: revoked refused", []string{"SSLCheckCRL=1", "SSLClientCRLFile=" + revokedCRL}, revoked, false},
		{"CRL ifpresent: listed CRL, good passes", []string{"SSLCheckCRL=ifpresent", "SSLClientCRLFile=" + revokedCRL}, good, true},
		{"CRL required without a CRL of the issuer", []string{"SSLCheckCRL=2", "SSLClientCRLFile=" + crlOf(t, b)}, good, false},
		{"CRL required with the issuer's CRL", []string{"SSLCheckCRL=required", "SSLClientCRLFile=" + revokedCRL}, good, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configure(t, api.Config{TLS: &api.TLSConfig{Enabled: true, Certificate: &srvCert}},
				append([]string{"SSLClientAuth=require", "SSLCACerts=" + caPEM}, tt.lines...)...)
			h := startTLS(t, cfg, api.Events{})
			_, err := exchange(h.url(), &tls.Config{RootCAs: a.pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{tt.cert}})
			if (err == nil) != tt.ok {
				t.Fatalf("connection error %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && !tlsEventually(5*time.Second, func() bool { return len(h.errorList()) > 0 }) {
				t.Fatal("no OnError for the refused client")
			}
		})
	}
}

// SSLIncludeCertChain=false sends the leaf alone.
func TestTLSIncludeCertChain(t *testing.T) {
	for _, include := range []string{"true", "false"} {
		t.Run(include, func(t *testing.T) {
			srvCfg, cliCfg := serverTLS(t)
			h := startTLS(t, configure(t, api.Config{TLS: srvCfg}, "SSLIncludeCertChain="+include), api.Events{})
			st, err := exchange(h.url(), cliCfg)
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if include == "false" {
				want = 1
			}
			if len(st.PeerCertificates) != want {
				t.Fatalf("%d certificates sent, want %d", len(st.PeerCertificates), want)
			}
		})
	}
}

// ReuseSSLSession turns session resumption (tickets) on and off.
func TestTLSReuseSession(t *testing.T) {
	for _, reuse := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[reuse], func(t *testing.T) {
			srvCfg, cliCfg := serverTLS(t)
			cfg := configure(t, api.Config{TLS: srvCfg}, "ReuseSSLSession="+map[bool]string{true: "true", false: "false"}[reuse])
			h := startTLS(t, cfg, api.Events{})
			cliCfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			if _, err := exchange(h.url(), cliCfg); err != nil {
				t.Fatal(err)
			}
			st, err := exchange(h.url(), cliCfg)
			if err != nil {
				t.Fatal(err)
			}
			if st.DidResume != reuse {
				t.Fatalf("resumed %v with ReuseSSLSession=%v", st.DidResume, reuse)
			}
		})
	}
}

// SSLCipherStrength drops weaker TLS 1.2 suites; above 128 bits it needs
// TLS 1.3 off, since Go always offers an AES-128 suite there.
func TestTLSCipherStrength(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	h := startTLS(t, configure(t, api.Config{TLS: srvCfg}, "SSLEnabledProtocols=3072", "SSLCipherStrength=256"), api.Events{})
	for suite, ok := range map[uint16]bool{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: false,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: true,
	} {
		cli := cliCfg.Clone()
		cli.MaxVersion, cli.CipherSuites = tls.VersionTLS12, []uint16{suite}
		if _, err := exchange(h.url(), cli); (err == nil) != ok {
			t.Errorf("%s: %v, want ok=%v", tls.CipherSuiteName(suite), err, ok)
		}
	}
	srv := api.New(configure(t, api.Config{LocalHost: "127.0.0.1", TLS: srvCfg}, "SSLCipherStrength=256"), api.Events{})
	if err := srv.Listen(); !errors.Is(err, api.ErrUnsupported) {
		t.Errorf("SSLCipherStrength=256 with TLS 1.3: %v, want ErrUnsupported", err)
	}
}

// LogSSLPackets reports TLS packets through OnLog at debug level.
func TestTLSLogPackets(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	srvCfg, cliCfg := serverTLS(t)
	cfg := configure(t, api.Config{TLS: srvCfg}, "LogSSLPackets=true", "LogLevel=3")
	h := startTLS(t, cfg, api.Events{OnLog: func(e *api.LogEvent) {
		if strings.HasPrefix(e.Message, "TLS packet") && e.LogLevel == 3 {
			mu.Lock()
			lines = append(lines, e.Message)
			mu.Unlock()
		}
	}})
	if _, err := exchange(h.url(), cliCfg); err != nil {
		t.Fatal(err)
	}
	has := func(prefix string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	}
	if !tlsEventually(5*time.Second, func() bool { return has("TLS packet in (") && has("TLS packet out (") }) {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("packet log lines %q", lines)
	}
}
