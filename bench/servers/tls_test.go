package servers_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/wsloop/wsloop/bench/servers"
	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// tlsFixture writes a self-signed pair and returns the server Config and a
// client configuration that trusts exactly that certificate.
func tlsFixture(t *testing.T) (serverutil.Config, *tls.Config) {
	t.Helper()
	certFile, keyFile, err := serverutil.WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("self-signed certificate does not parse")
	}
	cfg := serverutil.Config{Mode: serverutil.ModeEcho, CertFile: certFile, KeyFile: keyFile}
	return cfg, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", NextProtos: []string{"h2", "http/1.1"}}
}

// TestTLSUpgrade checks that every TLS-capable server answers https
// /healthz and a wss:// upgrade with TLS 1.3, verified against the
// generated certificate, without HTTP/2, and echoes over it; the others
// refuse TLS with ErrNoTLS and say why.
func TestTLSUpgrade(t *testing.T) {
	cfg, clientTLS := tlsFixture(t)
	for _, impl := range peers() {
		t.Run(impl, func(t *testing.T) {
			if why := servers.TLSUnsupported(impl); why != "" {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				c := cfg
				c.Addr = "127.0.0.1:0"
				if err := servers.Run(ctx, impl, c); !errors.Is(err, serverutil.ErrNoTLS) {
					t.Fatalf("Run with TLS = %v, want ErrNoTLS (%s)", err, why)
				}
				return
			}
			addr := startCfg(t, impl, cfg)
			hc := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: clientTLS.Clone(), ForceAttemptHTTP2: true}}
			resp, err := hc.Get("https://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 {
				t.Fatalf("https /healthz: %s %s, want 200 over HTTP/1.1", resp.Proto, resp.Status)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			d := ws.Dialer{TLSConfig: &tls.Config{RootCAs: clientTLS.RootCAs, ServerName: "127.0.0.1"}}
			c, _, _, err := d.Dial(ctx, "wss://"+addr+"/")
			if err != nil {
				t.Fatalf("wss dial: %v", err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			tc, ok := c.(*tls.Conn)
			if !ok {
				t.Fatalf("dial returned %T, want *tls.Conn", c)
			}
			if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
				t.Fatalf("TLS version %#x, want TLS 1.3", v)
			}
			if err := wsutil.WriteClientText(c, []byte("over tls")); err != nil {
				t.Fatal(err)
			}
			got, op := readData(t, c)
			if op != ws.OpText || string(got) != "over tls" {
				t.Fatalf("echo %q (%v)", got, op)
			}
		})
	}
}

// TestTLS12Refused checks the servers accept TLS 1.3 only, so every
// implementation does the same handshake.
func TestTLS12Refused(t *testing.T) {
	cfg, clientTLS := tlsFixture(t)
	for _, impl := range peers() {
		if servers.TLSUnsupported(impl) != "" {
			continue
		}
		t.Run(impl, func(t *testing.T) {
			addr := startCfg(t, impl, cfg)
			c12 := clientTLS.Clone()
			c12.MaxVersion = tls.VersionTLS12
			conn, err := tls.Dial("tcp", addr, c12)
			if err == nil {
				err = conn.Handshake()
				_ = conn.Close()
			}
			if err == nil {
				t.Fatal("a TLS 1.2 handshake succeeded")
			}
		})
	}
}
