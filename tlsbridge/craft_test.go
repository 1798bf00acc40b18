package tlsbridge

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Go's TLS client cannot send KeyUpdate or start a renegotiation, so these
// tests take the client's traffic secrets from its KeyLogWriter and craft
// the client's records by hand after a normal handshake.

// recConn records what passes through a client's net.Conn.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	rd, wr bytes.Buffer
}

func (r *recConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.rd.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.wr.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

// firstRecordPayload returns the payload of the first record in b.
func firstRecordPayload(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 5 {
		t.Fatal("no record")
	}
	n := int(b[3])<<8 | int(b[4])
	return b[5 : 5+n]
}

// keyLog collects NSS key log lines.
type keyLog struct {
	mu    sync.Mutex
	lines []string
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	k.lines = append(k.lines, strings.TrimSpace(string(p)))
	k.mu.Unlock()
	return len(p), nil
}

func (k *keyLog) secret(t *testing.T, label string) []byte {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range k.lines {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == label {
			s, err := hex.DecodeString(f[2])
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("no %s in key log", label)
	return nil
}

// craftedClient sets up a loop and a Go client with a key log and records.
type craftedClient struct {
	l    *testLoop
	rc   *recConn
	tc   *tls.Conn
	keys *keyLog
}

func newCraftedClient(t *testing.T, version uint16, suites []uint16) *craftedClient {
	b := mustBridge(t, Config{TLS: serverTLS(t)})
	l, cli := newTestLoop(t, b, 0, false)
	cc := &craftedClient{l: l, rc: &recConn{Conn: cli}, keys: &keyLog{}}
	ccfg := clientTLS(t)
	ccfg.MinVersion, ccfg.MaxVersion = version, version
	ccfg.CipherSuites = suites
	ccfg.KeyLogWriter = cc.keys
	tc, err := handshakeClient(t, cc.rc, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	cc.tc = tc
	l.waitHandshake()
	return cc
}

// raw writes crafted ciphertext to the server, bypassing the client's
// tls.Conn.
func (cc *craftedClient) raw(t *testing.T, p []byte) {
	t.Helper()
	_ = cc.rc.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := cc.rc.Conn.Write(p); err != nil {
		t.Fatal(err)
	}
}

// clientRead reads from the client's tls.Conn in the background.
func (cc *craftedClient) clientRead(n int) chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		_ = cc.tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, n)
		k, err := io.ReadFull(cc.tc, buf)
		ch <- readResult{buf[:k], err}
	}()
	return ch
}

type readResult struct {
	p   []byte
	err error
}

// tls13Writer encrypts client records with TLS 1.3 traffic secrets.
type tls13Writer struct {
	h      func() hash.Hash
	keyLen int
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

func newTLS13Writer(t *testing.T, suite uint16, secret []byte) *tls13Writer {
	w := &tls13Writer{}
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		w.h, w.keyLen = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		w.h, w.keyLen = sha512.New384, 32
	default:
		t.Fatalf("test supports AES-GCM suites only, got %s", tls.CipherSuiteName(suite))
	}
	w.setSecret(t, secret)
	return w
}

func (w *tls13Writer) expandLabel(t *testing.T, secret []byte, label string, n int) []byte {
	info := []byte{byte(n >> 8), byte(n), byte(6 + len(label))}
	info = append(info, "tls13 "+label...)
	info = append(info, 0) // empty context
	out, err := hkdf.Expand(w.h, secret, string(info), n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *tls13Writer) setSecret(t *testing.T, secret []byte) {
	w.secret = secret
	block, err := aes.NewCipher(w.expandLabel(t, secret, "key", w.keyLen))
	if err != nil {
		t.Fatal(err)
	}
	if w.aead, err = cipher.NewGCM(block); err != nil {
		t.Fatal(err)
	}
	w.iv = w.expandLabel(t, secret, "iv", 12)
	w.seq = 0
}

// record returns one encrypted record of the given inner content type.
func (w *tls13Writer) record(typ byte, payload []byte) []byte {
	inner := append(append([]byte(nil), payload...), typ)
	nonce := append([]byte(nil), w.iv...)
	for i := 0; i < 8; i++ {
		nonce[4+i] ^= byte(w.seq >> (56 - 8*i))
	}
	w.seq++
	n := len(inner) + w.aead.Overhead()
	hdr := []byte{0x17, 3, 3, byte(n >> 8), byte(n)}
	return w.aead.Seal(hdr, nonce, inner, hdr)
}

// keyUpdate returns a KeyUpdate record and switches to the next secret.
func (w *tls13Writer) keyUpdate(t *testing.T, requested bool) []byte {
	req := byte(0)
	if requested {
		req = 1
	}
	rec := w.record(0x16, []byte{24, 0, 0, 1, req})
	w.setSecret(t, w.expandLabel(t, w.secret, "traffic upd", w.h().Size()))
	return rec
}

func (cc *craftedClient) tls13(t *testing.T) *tls13Writer {
	return newTLS13Writer(t, cc.tc.ConnectionState().CipherSuite, cc.keys.secret(t, "CLIENT_TRAFFIC_SECRET_0"))
}

func (l *testLoop) waitGot(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.gotMu.Lock()
		g := string(l.got)
		l.gotMu.Unlock()
		if g == want {
			return
		}
		if time.Now().After(deadline) || len(g) > len(want) {
			t.Fatalf("server got %q, want %q", g, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestKeyUpdate(t *testing.T) {
	cc := newCraftedClient(t, tls.VersionTLS13, nil)
	w := cc.tls13(t)
	pong := cc.clientRead(4) // also consumes the server's KeyUpdate response
	var in []byte
	in = append(in, w.keyUpdate(t, true)...)
	in = append(in, w.record(0x17, []byte("hello"))...)
	// 16 consecutive KeyUpdates are allowed, and data resets the count.
	for i := 0; i < 16; i++ {
		in = append(in, w.keyUpdate(t, false)...)
	}
	in = append(in, w.record(0x17, []byte(" world"))...)
	cc.raw(t, in)
	cc.l.waitGot(t, "hello world")
	var out []byte
	cc.l.do(func() {
		var err error
		if out, err = cc.l.c.Encrypt(nil, []byte("pong")); err != nil {
			t.Error(err)
		}
	})
	go cc.l.write(out)
	r := <-pong
	if r.err != nil || string(r.p) != "pong" {
		t.Fatalf("client read %q, %v after the server's KeyUpdate", r.p, r.err)
	}
	cc.tc.Close()
	cc.l.wait(10 * time.Second)
}

func TestKeyUpdateFlood(t *testing.T) {
	cc := newCraftedClient(t, tls.VersionTLS13, nil)
	w := cc.tls13(t)
	alert := cc.clientRead(1)
	var in []byte
	for i := 0; i < 100; i++ {
		in = append(in, w.keyUpdate(t, i%2 == 0)...)
	}
	go func() {
		// The pipe closes midway when the server gives up: ignore the error.
		_ = cc.rc.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, _ = cc.rc.Conn.Write(in)
	}()
	err := cc.l.wait(10 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("KeyUpdate flood: %v, want crypto/tls's too-many-records error", err)
	}
	if r := <-alert; r.err == nil {
		t.Fatal("client read data after the flood")
	}
}

func TestRenegotiationRefused(t *testing.T) {
	t.Run("TLS1.3", func(t *testing.T) {
		cc := newCraftedClient(t, tls.VersionTLS13, nil)
		w := cc.tls13(t)
		cc.rc.mu.Lock()
		hello := bytes.Clone(firstRecordPayload(t, cc.rc.wr.Bytes()))
		cc.rc.mu.Unlock()
		alert := cc.clientRead(1)
		cc.raw(t, w.record(0x16, hello))
		checkRefused(t, cc, alert)
	})
	t.Run("TLS1.2", func(t *testing.T) {
		suite := tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
		cc := newCraftedClient(t, tls.VersionTLS12, []uint16{suite})
		cc.rc.mu.Lock()
		hello := bytes.Clone(firstRecordPayload(t, cc.rc.wr.Bytes()))
		serverHello := bytes.Clone(firstRecordPayload(t, cc.rc.rd.Bytes()))
		cc.rc.mu.Unlock()
		w := newTLS12Writer(t, cc.keys.secret(t, "CLIENT_RANDOM"), hello[6:38], serverHello[6:38])
		alert := cc.clientRead(1)
		cc.raw(t, w.record(0x16, hello))
		checkRefused(t, cc, alert)
	})
}

func checkRefused(t *testing.T, cc *craftedClient, alert chan readResult) {
	t.Helper()
	err := cc.l.wait(10 * time.Second)
	if err == nil || err == io.EOF {
		t.Fatalf("renegotiation attempt: %v, want an error", err)
	}
	r := <-alert
	if r.err == nil || !strings.Contains(r.err.Error(), "unexpected message") {
		t.Fatalf("client got %v, want an unexpected_message alert", r.err)
	}
}

// tls12Writer encrypts client records for TLS_*_WITH_AES_128_GCM_SHA256.
type tls12Writer struct {
	aead cipher.AEAD
	salt []byte
	seq  uint64
}

func newTLS12Writer(t *testing.T, master, clientRandom, serverRandom []byte) *tls12Writer {
	seed := append([]byte("key expansion"), serverRandom...)
	seed = append(seed, clientRandom...)
	kb := pSHA256(master, seed, 40)
	block, err := aes.NewCipher(kb[:16])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	// The client's Finished used sequence number 0.
	return &tls12Writer{aead: aead, salt: kb[32:36], seq: 1}
}

func pSHA256(secret, seed []byte, n int) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(seed)
	a := h.Sum(nil)
	var out []byte
	for len(out) < n {
		h.Reset()
		h.Write(a)
		h.Write(seed)
		out = h.Sum(out)
		h.Reset()
		h.Write(a)
		a = h.Sum(nil)
	}
	return out[:n]
}

func (w *tls12Writer) record(typ byte, payload []byte) []byte {
	explicit := binary.BigEndian.AppendUint64(nil, w.seq)
	nonce := append(append([]byte(nil), w.salt...), explicit...)
	ad := binary.BigEndian.AppendUint64(nil, w.seq)
	ad = append(ad, typ, 3, 3, byte(len(payload)>>8), byte(len(payload)))
	w.seq++
	n := 8 + len(payload) + w.aead.Overhead()
	rec := append([]byte{typ, 3, 3, byte(n >> 8), byte(n)}, explicit...)
	return w.aead.Seal(rec, nonce, payload, ad)
}
