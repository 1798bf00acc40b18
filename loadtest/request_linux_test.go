package loadtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// authServer upgrades only requests that carry what an application would
// check: a bearer token, a session cookie and an Origin; it chooses the
// subprotocol chat.v2 when offered and echoes messages.
type authServer struct {
	url    string
	hs     *httptest.Server
	denied atomic.Int64
	protos atomic.Value // last Sec-WebSocket-Protocol offer seen
}

func startAuthServer(t *testing.T, tlsCfg *tls.Config) *authServer {
	t.Helper()
	s := &authServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("sid")
		if r.Header.Get("Authorization") != "Bearer t0k" || err != nil || c.Value != "abc" ||
			r.Header.Get("Origin") != "https://app.example" || r.Header.Get("X-Trace") != "1" {
			s.denied.Add(1)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		s.protos.Store(r.Header.Get("Sec-WebSocket-Protocol"))
		up := ws.HTTPUpgrader{Protocol: func(p string) bool { return p == "chat.v2" }}
		nc, brw, _, err := up.Upgrade(r, w)
		if err != nil {
			return
		}
		defer nc.Close()
		conn := &lockedConn{Conn: nc, r: brw.Reader}
		for {
			msg, op, err := wsutil.ReadClientData(conn)
			if err != nil {
				return
			}
			if wsutil.WriteServerMessage(conn, op, msg) != nil {
				return
			}
		}
	})
	if tlsCfg != nil {
		s.hs = httptest.NewUnstartedServer(h)
		s.hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test
		s.hs.TLS = tlsCfg
		s.hs.StartTLS()
		s.url = "wss://" + strings.TrimPrefix(s.hs.URL, "https://") + "/ws"
	} else {
		s.hs = httptest.NewServer(h)
		s.url = "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/ws"
	}
	t.Cleanup(func() { s.hs.CloseClientConnections(); s.hs.Close() })
	return s
}

// writeCookies writes a cookies.txt with the session cookie.
func writeCookies(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "cookies.txt")
	txt := "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n\ntheme=dark\n"
	if err := os.WriteFile(path, []byte(txt), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRequestOptionsReachTheServer(t *testing.T) {
	s := startAuthServer(t, nil)
	cookies := writeCookies(t)
	args := func(extra ...string) []string {
		return append([]string{"-conns", "3", "-messages", "5", "-duration", "5s", "-progress", "-1s", "-loops", "1",
			"-header", "Authorization: Bearer t0k", "-header", "X-Trace: 1", "-cookies", cookies,
			"-origin", "https://app.example"}, append(extra, s.url)...)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), args("-subprotocol", "chat.v1, chat.v2"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	if s.denied.Load() != 0 || s.protos.Load() != "chat.v1, chat.v2" {
		t.Errorf("denied %d, offer seen %q", s.denied.Load(), s.protos.Load())
	}

	// A subprotocol the server does not speak: it chooses none, which
	// is an error of each connection.
	res := runAgainst(t, s.url, func(o *Options) {
		o.Request = Request{Header: http.Header{"Authorization": {"Bearer t0k"}, "X-Trace": {"1"}}, Origin: "https://app.example",
			Cookies: []*http.Cookie{{Name: "sid", Value: "abc"}}, Subprotocols: []string{"mqtt"}}
	})
	if res.Errors[ErrKindSubprotocol] != 3 || res.Connections.Opened != 0 {
		t.Errorf("errors %v opened %d, want 3 subprotocol errors", res.Errors, res.Connections.Opened)
	}
	// Without the token the server refuses every upgrade.
	res = runAgainst(t, s.url, func(o *Options) {})
	if res.Errors["handshake_status_401"] != 3 {
		t.Errorf("errors %v, want 3 handshake_status_401", res.Errors)
	}
}

// runAgainst runs three echo connections against url with edit applied.
func runAgainst(t *testing.T, url string, edit func(*Options)) *Result {
	t.Helper()
	o := quick(url, &Echo{Messages: 2})
	o.Conns, o.Duration = 3, time.Second
	edit(&o)
	return mustRun(t, o)
}

func TestRequestRefusesBadOptions(t *testing.T) {
	for name, q := range map[string]Request{
		"reserved": {Header: http.Header{"Sec-Websocket-Key": {"x"}}},
		"newline":  {Header: http.Header{"X-A": {"a\r\nb"}}},
		"protocol": {Subprotocols: []string{"a b"}},
		"cookie":   {Cookies: []*http.Cookie{{Name: "bad name", Value: "v"}}},
		"originnl": {Origin: "x\ny"},
		"host":     {Header: http.Header{"host": {"evil"}}},
	} {
		o := Options{URLs: []string{"ws://127.0.0.1:1/"}, Request: q}
		if _, err := Run(context.Background(), o, nil); err == nil || !strings.Contains(err.Error(), "invalid options") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if _, err := ReadCookieFile(writeBad(t)); err == nil {
		t.Error("a cookie file without name=value lines was accepted")
	}
}

func writeBad(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "bad.txt")
	_ = os.WriteFile(path, []byte("just words\n"), 0o600)
	return path
}

// A wss server that requires a client certificate signed by its CA accepts
// the run given -cert, -key and -cacert, and refuses it without them.
func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, nil, nil, "test CA", true)
	srv, srvKey := newCert(t, ca, caKey, "127.0.0.1", false)
	cli, cliKey := newCert(t, ca, caKey, "load client", false)
	files := map[string][]byte{"ca.pem": pemOf("CERTIFICATE", ca.Raw), "cli.pem": pemOf("CERTIFICATE", cli.Raw), "cli.key": keyPEM(t, cliKey)}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	s := startAuthServer(t, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Raw}, PrivateKey: srvKey}}})
	cookies := writeCookies(t)
	base := []string{"-conns", "2", "-messages", "3", "-duration", "5s", "-progress", "-1s", "-header", "Authorization: Bearer t0k",
		"-header", "X-Trace: 1", "-cookies", cookies, "-origin", "https://app.example", "-cacert", filepath.Join(dir, "ca.pem")}
	var out, errOut bytes.Buffer
	withCert := append(append([]string{}, base...), "-cert", filepath.Join(dir, "cli.pem"), "-key", filepath.Join(dir, "cli.key"), s.url)
	if code := Main(context.Background(), withCert, &out, &errOut); code != 0 {
		t.Fatalf("with certificate: exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	out.Reset()
	if code := Main(context.Background(), append(base, s.url), &out, &errOut); code != exitErrors || !strings.Contains(out.String(), "tls") {
		t.Errorf("without certificate: exit %d, want %d with tls errors:\n%s", code, exitErrors, out.String())
	}
}

// newCert makes a P-256 certificate signed by parent (self-signed if nil).
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if cn == "127.0.0.1" {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func keyPEM(t *testing.T, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("EC PRIVATE KEY", der)
}
