package api_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// A TLS 1.3 client may send its upgrade request and a first message right
// after its Finished, before the server's handshake goroutine has ended.
// More than the bridge's pre-handshake buffer (about 18 KiB) must wait in
// gnet's buffer and be processed after the handshake, not fail it.
func TestTLSEarlyDataBurst(t *testing.T) {
	t.Parallel()
	cert, err := selfSignedP256()
	if err != nil {
		t.Fatal(err)
	}
	h := startTLS(t, api.Config{TLS: &api.TLSConfig{Enabled: true, Certificate: &cert}}, api.Events{})
	raw, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("early data "), 300<<10/11)
	var burst bytes.Buffer
	burst.WriteString("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	frame := ws.NewBinaryFrame(bytes.Clone(payload)) // masked in place below
	frame.Header.Masked, frame.Header.Mask = true, ws.NewMask()
	frame = ws.MaskFrameInPlace(frame)
	if err := ws.WriteFrame(&burst, frame); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(burst.Bytes()); err != nil { // one write, straight after the handshake
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	msg, op, err := wsutil.ReadServerData(struct {
		io.Reader
		io.Writer
	}{br, c})
	if err != nil {
		t.Fatal(err)
	}
	if op != ws.OpBinary || !bytes.Equal(msg, payload) {
		t.Fatalf("echo: %v, %d bytes, want %d", op, len(msg), len(payload))
	}
}
