package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
	"software.sslmate.com/src/go-pkcs12"
)

// tlsHarness is a wss:// echo server with recorded events.
type tlsHarness struct {
	srv       *api.Server
	connected chan api.ConnID
	mu        sync.Mutex
	errors    []string
	status    []string
}

func (h *tlsHarness) errorList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.errors...)
}

// startTLS runs an echo server (BufferMessage) with cfg.TLS; ev may add SSL
// handlers and an OnDataIn that runs before the echo. It is shut down when the test ends.
func startTLS(t testing.TB, cfg api.Config, ev api.Events) *tlsHarness {
	t.Helper()
	h := &tlsHarness{connected: make(chan api.ConnID, 1024)}
	cfg.LocalHost, cfg.LocalPort, cfg.BufferMessage = "127.0.0.1", 0, true
	if cfg.EventLoops == 0 {
		cfg.EventLoops = 2
	}
	ev.OnConnected = func(e *api.ConnectedEvent) {
		select {
		case h.connected <- e.ConnectionID:
		default:
		}
	}
	userData := ev.OnDataIn
	ev.OnDataIn = func(e *api.DataInEvent) {
		if userData != nil {
			userData(e)
		}
		if e.DataFormat != api.DataPong {
			if err := h.srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data); err != nil {
				t.Errorf("echo: %v", err)
			}
		}
	}
	ev.OnError = func(e *api.ErrorEvent) {
		h.mu.Lock()
		h.errors = append(h.errors, e.Description)
		h.mu.Unlock()
	}
	userStatus := ev.OnSSLStatus
	ev.OnSSLStatus = func(e *api.SSLStatusEvent) {
		h.mu.Lock()
		h.status = append(h.status, e.Message)
		h.mu.Unlock()
		if userStatus != nil {
			userStatus(e)
		}
	}
	h.srv = api.New(cfg, ev)
	if err := h.srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(ctx)
	})
	return h
}

func (h *tlsHarness) url() string { return "wss://" + h.srv.Addr() + "/" }

// wssConn is a client WebSocket over TLS.
type wssConn struct {
	net.Conn
	r io.Reader
}

func (c *wssConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dialWSS connects with gobwas/ws over crypto/tls.
func dialWSS(url string, cfg *tls.Config) (*wssConn, error) {
	d := ws.Dialer{TLSConfig: cfg, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &wssConn{Conn: nc, r: nc}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	return c, nil
}

func mustDialWSS(t testing.TB, url string, cfg *tls.Config) *wssConn {
	t.Helper()
	c, err := dialWSS(url, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends msg and checks the echo.
func roundTrip(t testing.TB, c *wssConn, msg []byte) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := wsutil.WriteClientBinary(c, msg); err != nil {
		t.Fatalf("write %d B: %v", len(msg), err)
	}
	got, op, err := wsutil.ReadServerData(c)
	if err != nil {
		t.Fatalf("read echo of %d B: %v", len(msg), err)
	}
	if op != ws.OpBinary || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d B: got %d B op %v", len(msg), len(got), op)
	}
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// serverTLS returns a TLSConfig with a certificate from CA A and the
// matching client configuration.
func serverTLS(t testing.TB) (*api.TLSConfig, *tls.Config) {
	a, _ := testCAs(t)
	cert := a.leaf(t, "server.example", true)
	return &api.TLSConfig{Enabled: true, Certificate: &cert},
		&tls.Config{RootCAs: a.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func TestTLSEcho(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{})
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := cliCfg.Clone()
		cfg.MaxVersion = version
		c := mustDialWSS(t, h.url(), cfg)
		for _, size := range []int{1, 16384, 16385, 4 << 20} {
			roundTrip(t, c, randBytes(t, size))
		}
		if state := c.Conn.(*tls.Conn).ConnectionState(); state.Version != version {
			t.Fatalf("negotiated %s, want %s", tls.VersionName(state.Version), tls.VersionName(version))
		}
	}
	if errs := h.errorList(); len(errs) > 0 {
		t.Fatalf("server errors: %v", errs)
	}
}

func TestTLSCertificateSources(t *testing.T) {
	a, _ := testCAs(t)
	cert := a.leaf(t, "server.example", true)
	certPEM, keyPEM := pemOf(t, cert)
	dir := t.TempDir()
	certFile, keyFile, both := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "both.pem")
	p12, err := pkcs12.Modern.Encode(cert.PrivateKey, cert.Leaf, []*x509.Certificate{a.cert}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	p12File := filepath.Join(dir, "server.p12")
	for name, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM, both: append(append([]byte{}, certPEM...), keyPEM...), p12File: p12} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cli := &tls.Config{RootCAs: a.pool, ServerName: "127.0.0.1"}
	for _, tt := range []struct {
		name     string
		cfg      api.TLSConfig
		settings []string // Server.Config lines applied instead of / after cfg
		wantErr  bool
	}{
		{name: "pem files", cfg: api.TLSConfig{CertFile: certFile, KeyFile: keyFile}},
		{name: "pem blobs", cfg: api.TLSConfig{CertPEM: certPEM, KeyPEM: keyPEM}},
		{name: "pkcs12 file", cfg: api.TLSConfig{PKCS12File: p12File, Password: "s3cret"}},
		{name: "pkcs12 blob", cfg: api.TLSConfig{PKCS12: p12, Password: "s3cret"}},
		{name: "pkcs12 wrong password", cfg: api.TLSConfig{PKCS12File: p12File, Password: "nope"}, wantErr: true},
		{name: "subject mismatch", cfg: api.TLSConfig{CertFile: both, CertSubject: "other.example"}, wantErr: true},
		{name: "settings PEMKEY_FILE", settings: []string{"UseSSL=true", "SSLCertStoreType=PEMKEY_FILE", "SSLCertStore=" + both, "SSLCertSubject=server.example"}},
		{name: "settings PFXFILE", settings: []string{"UseSSL=true", "SSLCertStoreType=PFXFILE", "SSLCertStore=" + p12File, "SSLCertStorePassword=s3cret"}},
		{name: "no certificate", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Enabled = true
			srv := api.New(api.Config{LocalHost: "127.0.0.1", EventLoops: 1, BufferMessage: true, TLS: &cfg}, api.Events{})
			for _, line := range tt.settings {
				if _, err := srv.Config(line); err != nil {
					t.Fatalf("Config(%q): %v", line, err)
				}
			}
			err := srv.Listen()
			if tt.wantErr {
				if err == nil {
					_ = srv.Shutdown(context.Background())
					t.Fatal("Listen succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Listen: %v", err)
			}
			defer srv.Shutdown(context.Background())
			c, err := dialWSS("wss://"+srv.Addr()+"/", cli)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			chain := c.Conn.(*tls.Conn).ConnectionState().PeerCertificates
			if len(chain) != 2 || !chain[0].Equal(cert.Leaf) || !chain[1].Equal(a.cert) {
				t.Fatalf("server sent %d certificates, want leaf and CA", len(chain))
			}
		})
	}
}

func TestTLSClientAuthentication(t *testing.T) {
	a, b := testCAs(t)
	goodCert := a.leaf(t, "good client", false)
	otherCert := b.leaf(t, "other client", false)
	srvCert := a.leaf(t, "server.example", true)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	caPEM, _ := pemOf(t, tls.Certificate{Certificate: [][]byte{a.cert.Raw}, PrivateKey: goodCert.PrivateKey})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		mode       api.ClientAuthMode
		handler    bool // install OnSSLClientAuthentication
		accept     func(*api.SSLClientAuthenticationEvent) bool
		clientCert *tls.Certificate
		wantOK     bool
		wantStatus string // substring of the event's Status ("" = no event expected)
	}{
		{name: "require valid", mode: api.ClientAuthRequire, clientCert: &goodCert, wantOK: true},
		{name: "require none", mode: api.ClientAuthRequire, wantOK: false},
		{name: "require other CA", mode: api.ClientAuthRequire, clientCert: &otherCert, wantOK: false},
		{name: "request none", mode: api.ClientAuthRequest, wantOK: true},
		{name: "request other CA", mode: api.ClientAuthRequest, clientCert: &otherCert, wantOK: false},
		{name: "event accepts valid", mode: api.ClientAuthRequire, handler: true, clientCert: &goodCert, wantOK: true, wantStatus: "ok"},
		{name: "event rejects valid", mode: api.ClientAuthRequire, handler: true, clientCert: &goodCert,
			accept: func(*api.SSLClientAuthenticationEvent) bool { return false }, wantOK: false, wantStatus: "ok"},
		{name: "event accepts other CA", mode: api.ClientAuthRequire, handler: true, clientCert: &otherCert,
			accept: func(e *api.SSLClientAuthenticationEvent) bool { return e.Subject == "CN=other client,O=wsloop tests" },
			wantOK: true, wantStatus: "unknown authority"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var events guardedList
			ev := api.Events{}
			if tt.handler {
				ev.OnSSLClientAuthentication = func(e *api.SSLClientAuthenticationEvent) {
					if e.ConnectionID == 0 || e.Certificate == nil || len(e.CertEncoded) == 0 || !strings.Contains(e.Issuer, "CA") {
						t.Errorf("incomplete event: %+v", e)
					}
					events.add(e.Status)
					if tt.accept != nil {
						e.Accept = tt.accept(e)
					}
				}
			}
			h := startTLS(t, api.Config{TLS: &api.TLSConfig{Enabled: true, Certificate: &srvCert, ClientAuth: tt.mode, ClientCAFile: caFile}}, ev)
			cli := &tls.Config{RootCAs: a.pool, ServerName: "127.0.0.1"}
			if tt.clientCert != nil {
				cli.Certificates = []tls.Certificate{*tt.clientCert}
			}
			c, err := dialWSS(h.url(), cli)
			if err == nil {
				// TLS 1.3: the server's verdict arrives after the client's
				// handshake; an exchange shows it.
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if err = wsutil.WriteClientBinary(c, []byte("hi")); err == nil {
					_, _, err = wsutil.ReadServerData(c)
				}
				c.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("connection error %v, want ok=%v", err, tt.wantOK)
			}
			got := events.get()
			if tt.wantStatus == "" && len(got) > 0 || tt.wantStatus != "" && (len(got) != 1 || !strings.Contains(got[0], tt.wantStatus)) {
				t.Fatalf("OnSSLClientAuthentication statuses %q, want one containing %q", got, tt.wantStatus)
			}
			if !tt.wantOK && !tlsEventually(5*time.Second, func() bool { return len(h.errorList()) > 0 }) {
				t.Fatal("no OnError for the refused handshake")
			}
		})
	}
}

func TestTLSSNICertificate(t *testing.T) {
	a, _ := testCAs(t)
	certA := a.leaf(t, "a.example", true)
	certB := a.leaf(t, "b.example", true)
	var requests guardedList
	h := startTLS(t, api.Config{TLS: &api.TLSConfig{Enabled: true, Certificate: &certA}}, api.Events{
		OnSSLConnectionRequest: func(e *api.SSLConnectionRequestEvent) {
			if e.ConnectionID == 0 || len(e.SupportedCiphers) == 0 || len(e.SignatureAlgorithms) == 0 || len(e.SupportedVersions) == 0 {
				t.Errorf("incomplete event: %+v", e)
			}
			requests.add(e.ServerName)
			if e.ServerName == "b.example" {
				e.Certificate = &certB
			}
		},
	})
	for _, name := range []string{"a.example", "b.example", "127.0.0.1"} {
		c := mustDialWSS(t, h.url(), &tls.Config{RootCAs: a.pool, ServerName: name})
		roundTrip(t, c, []byte("sni"))
		id := <-h.connected
		leaf := c.Conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
		want := "a.example"
		if name == "b.example" {
			want = "b.example"
		}
		if leaf.Subject.CommonName != want {
			t.Fatalf("SNI %q: got certificate %q, want %q", name, leaf.Subject.CommonName, want)
		}
		sni, err := h.srv.Config("SSLNegotiatedServerName[" + strconv.Itoa(int(id)) + "]")
		wantSNI := name
		if net.ParseIP(name) != nil {
			wantSNI = "" // clients send no SNI for IP addresses
		}
		if err != nil || sni != wantSNI {
			t.Fatalf("SSLNegotiatedServerName = %q, %v; want %q", sni, err, wantSNI)
		}
	}
	if got := requests.get(); strings.Join(got, ",") != "a.example,b.example," {
		t.Fatalf("OnSSLConnectionRequest server names %q", got)
	}
}

func TestTLSNegotiatedSettings(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	srvCfg.NextProtos = []string{"x-wsloop"}
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{})
	for _, tt := range []struct {
		name    string
		max     uint16
		suites  []uint16
		version string
		cipher  string
		bits    string
	}{
		{"TLS 1.3", tls.VersionTLS13, nil, "TLS 1.3", "TLS_AES_128_GCM_SHA256", "128"},
		{"TLS 1.2", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, "TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cliCfg.Clone()
			cfg.MaxVersion, cfg.CipherSuites, cfg.NextProtos = tt.max, tt.suites, []string{"x-wsloop"}
			c := mustDialWSS(t, h.url(), cfg)
			roundTrip(t, c, []byte("x"))
			id := strconv.Itoa(int(<-h.connected))
			for name, want := range map[string]string{
				"SSLNegotiatedVersion": tt.version, "SSLNegotiatedCipher": tt.cipher,
				"SSLNegotiatedCipherStrength": tt.bits, "SSLNegotiatedALPN": "x-wsloop",
				"SSLNegotiatedServerName": "", "SSLNegotiatedResumed": "false", "SSLNegotiatedPeerSubject": "",
			} {
				got, err := h.srv.Config(name + "[" + id + "]")
				if err != nil || got != want {
					t.Errorf("%s[%s] = %q, %v; want %q", name, id, got, err, want)
				}
			}
			if _, err := h.srv.Config("SSLNegotiatedCipher[" + id + "]=x"); !errors.Is(err, api.ErrReadOnly) {
				t.Errorf("writing SSLNegotiatedCipher: %v, want ErrReadOnly", err)
			}
		})
	}
	if _, err := h.srv.Config("SSLNegotiatedCipher[999999]"); !errors.Is(err, api.ErrNotConnected) {
		t.Fatalf("unknown connection: %v, want ErrNotConnected", err)
	}
}

func TestTLSSettings(t *testing.T) {
	srv := api.New(api.Config{}, api.Events{})
	for _, tt := range []struct {
		line    string
		want    string // value returned (on success)
		wantErr error
	}{
		{line: "SSLEnabledProtocols", want: "15360"},
		{line: "SSLEnabledProtocols=12288", want: "12288"},
		{line: "SSLEnabledProtocols=0x3C00", want: "15360"},
		{line: "SSLEnabledProtocols=3072", want: "3072"},
		{line: "SSLEnabledProtocols=48", wantErr: api.ErrUnsupported},
		{line: "SSLEnabledProtocols=12480", wantErr: api.ErrUnsupported}, // TLS 1.0 + 1.3, a gap
		{line: "SSLEnabledProtocols=x", wantErr: api.ErrBadValue},
		{line: "SSLEnabledCipherSuites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls_ecdhe_rsa_with_aes_256_gcm_sha384",
			want: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{line: "SSLEnabledCipherSuites=TLS_AES_128_GCM_SHA256", wantErr: api.ErrUnsupported},
		{line: "SSLEnabledCipherSuites=0x1302", wantErr: api.ErrUnsupported},
		{line: "SSLEnabledCipherSuites=TLS_BOGUS", wantErr: api.ErrBadValue},
		{line: "SSLEnabledCipherSuites=*", want: "*"},
		{line: "TLS13CipherSuites", want: "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"},
		{line: "TLS13CipherSuites=TLS_AES_256_GCM_SHA384", wantErr: api.ErrUnsupported},
		{line: "TLS12SignatureAlgorithms=ECDSAWithP256AndSHA256", wantErr: api.ErrUnsupported},
		{line: "TLS12SupportedGroups=x25519,secp256r1", want: "X25519,CurveP256"},
		{line: "TLS13SupportedGroups", want: "X25519,CurveP256"},
		{line: "TLS13SupportedGroups=brainpool", wantErr: api.ErrBadValue},
		{line: "TLS13KeyShareGroups=x25519", wantErr: api.ErrUnsupported},
		{line: "SSLAuthenticateClients=true", want: "true"},
		{line: "SSLClientAuth", want: "request"},
		{line: "SSLClientAuth=require", want: "require"},
		{line: "SSLClientAuth=sometimes", wantErr: api.ErrBadValue},
		{line: "OpenSSLCAFile=/tmp/ca.pem", want: "/tmp/ca.pem"},
		{line: "SSLClientCAFile", want: "/tmp/ca.pem"},
		{line: "SSLSessionTicketsDisabled=true", want: "true"},
		{line: "SSLMaxConcurrentHandshakes=8", want: "8"},
		{line: "SSLMaxConcurrentHandshakes=-1", wantErr: api.ErrBadValue},
		{line: "SSLEnableRenegotiation=true", wantErr: api.ErrUnsupported},
		{line: "SSLEnableRenegotiation=false", want: "false"},
		{line: "SSLProvider=OpenSSL", wantErr: api.ErrReadOnly},
		{line: "OpenSSLCipherList=HIGH", wantErr: api.ErrUnsupported},
		{line: "SSLCertStoreType=WINDOWS_STORE", wantErr: api.ErrUnsupported},
		{line: "SSLBogus", wantErr: api.ErrUnknownSetting},
	} {
		got, err := srv.Config(tt.line)
		switch {
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Errorf("Config(%q) = %q, %v; want %v", tt.line, got, err, tt.wantErr)
		case tt.wantErr == nil && (err != nil || got != tt.want):
			t.Errorf("Config(%q) = %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
	// A TLS 1.3 suite in TLSConfig is refused at Listen.
	a, _ := testCAs(t)
	cert := a.leaf(t, "s", true)
	bad := api.New(api.Config{LocalHost: "127.0.0.1", TLS: &api.TLSConfig{Enabled: true, Certificate: &cert,
		CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}}}, api.Events{})
	if err := bad.Listen(); !errors.Is(err, api.ErrUnsupported) || !strings.Contains(err.Error(), "TLS 1.3") {
		t.Fatalf("Listen with a TLS 1.3 suite: %v, want ErrUnsupported naming TLS 1.3", err)
	}
	// Settings are fixed after Listen.
	h := startTLS(t, api.Config{TLS: &api.TLSConfig{Enabled: true, Certificate: &cert}}, api.Events{})
	if _, err := h.srv.Config("SSLEnabledProtocols=12288"); !errors.Is(err, api.ErrReadOnly) {
		t.Fatalf("after Listen: %v, want ErrReadOnly", err)
	}
}

func TestTLSSSLStatusAndOrder(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	var order guardedList
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{
		OnSSLStatus: func(e *api.SSLStatusEvent) { order.add("status: " + e.Message) },
		OnWebSocketOpenRequest: func(e *api.WebSocketOpenRequestEvent) {
			order.add("open")
		},
	})
	cfg := cliCfg.Clone()
	cfg.ServerName = "localhost"
	c := mustDialWSS(t, h.url(), cfg)
	roundTrip(t, c, []byte("x"))
	got := order.get()
	if len(got) != 3 || !strings.HasPrefix(got[0], "status: TLS handshake started: ClientHello for \"localhost\"") ||
		!strings.HasPrefix(got[1], "status: TLS handshake completed: TLS 1.3, TLS_") || got[2] != "open" {
		t.Fatalf("event order %q", got)
	}
}

// clientHello captures one TLS 1.3 ClientHello record.
func clientHello(t testing.TB) []byte {
	t.Helper()
	cli, srv := net.Pipe()
	defer srv.Close()
	go func() {
		_ = tls.Client(cli, &tls.Config{InsecureSkipVerify: true}).Handshake()
		cli.Close()
	}()
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(srv, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(srv, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

func TestTLSHandshakeTimeoutNoLeak(t *testing.T) {
	srvCfg, _ := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg, DefaultConnectionTimeout: 300 * time.Millisecond}, api.Events{})
	hello := clientHello(t)
	for _, tt := range []struct {
		name string
		send []byte
	}{
		{"half ClientHello", hello[:len(hello)/2]},
		{"whole ClientHello then stall", hello},
		{"nothing", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", h.srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if len(tt.send) == len(hello) && !tlsEventually(time.Second, func() bool { return handshakeGoroutines() == 1 }) {
				t.Fatal("no handshake goroutine runs for a whole ClientHello")
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, c); err != nil {
				t.Fatalf("server did not close the connection: %v", err)
			}
			if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
				t.Fatalf("closed after %v, want about 300ms", d)
			}
		})
	}
	if !tlsEventually(5*time.Second, func() bool { return handshakeGoroutines() == 0 }) {
		t.Fatalf("%d handshake goroutines left after the timeouts", handshakeGoroutines())
	}
	if !tlsEventually(5*time.Second, func() bool { return h.srv.ConnectionCount() == 0 }) {
		t.Fatalf("%d connections left", h.srv.ConnectionCount())
	}
	errs := h.errorList()
	if len(errs) != 3 || !strings.Contains(errs[0], "timed out") {
		t.Fatalf("OnError descriptions %q, want 3 timeouts", errs)
	}
}

// handshakeGoroutines counts the goroutines running a TLS handshake for
// the server.
func handshakeGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "tlsbridge.(*Bridge).run(")
}

// segmentConn writes in 7-byte segments, each its own TCP segment.
type segmentConn struct{ net.Conn }

func (c segmentConn) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(7, len(p))
		m, err := c.Conn.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
		time.Sleep(50 * time.Microsecond)
	}
	return n, nil
}

func TestTLSSevenByteSegments(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{})
	raw, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetNoDelay(true)
	tc := tls.Client(segmentConn{raw}, cliCfg)
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	br, _, err := ws.Dialer{}.Upgrade(tc, mustURL(t, h.url()))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	c := &wssConn{Conn: tc, r: tc}
	if br != nil {
		c.r = io.MultiReader(br, tc)
	}
	for _, size := range []int{1, 300, 16385} {
		roundTrip(t, c, randBytes(t, size))
	}
}

func TestTLSPlainHTTPRefused(t *testing.T) {
	srvCfg, _ := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{})
	c, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.HasPrefix(resp, []byte("HTTP/1.0 400 Bad Request\r\n")) || !bytes.Contains(resp, []byte("https://")) {
		t.Fatalf("response %q", resp)
	}
	if !tlsEventually(5*time.Second, func() bool { return len(h.errorList()) == 1 }) ||
		!strings.Contains(h.errorList()[0], "did not send a TLS ClientHello") {
		t.Fatalf("OnError %q", h.errorList())
	}
}

// recordConn keeps the raw bytes the client receives.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	got []byte
}

func (c *recordConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.got = append(c.got, p[:n]...)
	c.mu.Unlock()
	return n, err
}

func TestTLSCloseNotifyAfterClose(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg}, api.Events{})
	raw, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordConn{Conn: raw}
	cfg := cliCfg.Clone()
	cfg.MaxVersion = tls.VersionTLS12 // alert records keep their outer type
	tc := tls.Client(rc, cfg)
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	br, _, err := ws.Dialer{}.Upgrade(tc, mustURL(t, h.url()))
	if err != nil || br != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if err := wsutil.WriteClientMessage(tc, ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, tc); err != nil {
		t.Fatalf("read until close: %v", err)
	}
	rc.mu.Lock()
	got := rc.got
	rc.mu.Unlock()
	// Walk the records: the last one must be an alert (close_notify).
	var last byte
	for len(got) >= 5 {
		n := int(got[3])<<8 | int(got[4])
		if len(got) < 5+n {
			break
		}
		last, got = got[0], got[5+n:]
	}
	if last != 21 || len(got) != 0 {
		t.Fatalf("last record type %d (want 21, alert), %d trailing bytes", last, len(got))
	}
}

func TestTLSSlowHandshakeFlood(t *testing.T) {
	srvCfg, cliCfg := serverTLS(t)
	h := startTLS(t, api.Config{TLS: srvCfg, DefaultConnectionTimeout: 20 * time.Second}, api.Events{})
	c := mustDialWSS(t, h.url(), cliCfg)
	roundTrip(t, c, []byte("warm"))
	hello := clientHello(t)
	var stalled []net.Conn
	defer func() {
		for _, s := range stalled {
			s.Close()
		}
	}()
	for i := 0; i < 50; i++ {
		s, err := net.Dial("tcp", h.srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, s)
		if _, err := s.Write(hello); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		roundTrip(t, c, []byte("ping during flood"))
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Fatalf("echo %d took %v during the handshake flood", i, d)
		}
	}
	// A new client still gets through while 50 handshakes are stalled.
	c2 := mustDialWSS(t, h.url(), cliCfg)
	roundTrip(t, c2, []byte("late"))
	for i := 0; i < 20; i++ {
		start := time.Now()
		roundTrip(t, c, randBytes(t, 1024))
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Fatalf("echo took %v with stalled handshakes", d)
		}
	}
}

type guardedList struct {
	mu sync.Mutex
	v  []string
}

func (g *guardedList) add(s string) { g.mu.Lock(); g.v = append(g.v, s); g.mu.Unlock() }
func (g *guardedList) get() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.v...)
}

func tlsEventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
