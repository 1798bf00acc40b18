package tlsbridge

import (
	"bytes"
	"testing"
)

// TestRawInputLendingAvailable fails when a Go release changes the
// crypto/tls fields that the bridge lends its read buffer to: the bridge
// still works then, but idle connections keep ~17 KiB again.
func TestRawInputLendingAvailable(t *testing.T) {
	if !rawLend.ok {
		t.Fatal("crypto/tls.Conn has no rawInput bytes.Buffer / input bytes.Reader: read-buffer lending is off")
	}
}

// TestIdleConnKeepsNoReadBuffer checks that after records of every size,
// including a partial one completed by a later Feed, the tls.Conn keeps no
// read buffer and the plaintext is intact.
func TestIdleConnKeepsNoReadBuffer(t *testing.T) {
	br := mustBridge(t, Config{TLS: serverTLS(t)})
	c, tc, cc, l := established(t, br, clientTLS(t))
	defer func() {
		cc.Close()
		l.srv.Close()
		c.Release()
	}()
	for _, size := range []int{1, 16384, 16385, 100000} {
		var wire bytes.Buffer
		cc.setCapture(&wire)
		msg := randomBytes(t, size)
		if _, err := tc.Write(msg); err != nil {
			t.Fatal(err)
		}
		ct := wire.Bytes()
		var got []byte
		scratch := make([]byte, 0, 16384)
		deliver := func(p []byte) error { got = append(got, p...); return nil }
		// Split so that the first Feed ends inside a record.
		cut := len(ct) / 2
		for _, part := range [][]byte{ct[:cut], ct[cut:]} {
			if _, err := c.Feed(part, scratch, nil, deliver); err != nil {
				t.Fatalf("size %d: Feed: %v", size, err)
			}
			if part := rawInputOf(c.tc); part.Len() > 0 && c.raw == nil && part.Cap() > rawBufSize {
				t.Fatalf("size %d: partial record in an unexpected buffer (cap %d)", size, part.Cap())
			}
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("size %d: plaintext differs (got %d bytes)", size, len(got))
		}
		if rb := rawInputOf(c.tc); rb.Cap() != 0 || c.raw != nil || inputOf(c.tc).Size() != 0 {
			t.Fatalf("size %d: idle conn keeps rawInput cap %d, lent %v, input size %d",
				size, rb.Cap(), c.raw != nil, inputOf(c.tc).Size())
		}
	}
}
