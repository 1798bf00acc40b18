package engine

import (
	"errors"
	"io"

	"github.com/valyala/bytebufferpool"
)

// tlsTransport is how a connection's TLS handshake goroutine reaches the
// socket: through the connection's single ordered outbound path.
type tlsTransport struct{ c *Conn }

// WriteAsync queues handshake ciphertext from the handshake goroutine.
func (t tlsTransport) WriteAsync(p []byte) error {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return ErrNotConnected
	}
	c.appendRawCipherLocked(p)
	return nil
}

// Wake asks the loop to feed the connection again (the handshake ended).
func (t tlsTransport) Wake() error {
	c := t.c
	c.loop.post(func(l *loop) {
		if c.state == stateClosed {
			return
		}
		l.onInput(c, nil)
	})
	return nil
}

// onCiphertext feeds TLS records to the bridge and their plaintext to the
// WebSocket layer. Loop only.
func (l *loop) onCiphertext(c *Conn, buf []byte) {
	if l.plain == nil {
		l.plain = make([]byte, 0, 32<<10) // Feed decrypts into scratch[:cap]
	}
	out, err := c.tls.Feed(buf, l.plain[:0], l.tlsOut[:0], func(plain []byte) error {
		l.onPlain(c, plain)
		return nil
	})
	if len(out) > 0 {
		c.mu.Lock()
		c.appendRawCipherLocked(out)
		c.mu.Unlock()
	}
	if err != nil {
		l.logf(c, 2, "TLS: %v", err)
		if c.state != stateClosed {
			if !errors.Is(err, io.EOF) { // EOF: the peer sent close_notify
				l.eng.h.Error(c, err)
			}
			c.closeTCP = true
			l.wheel.schedule(c, ticksFor(l.eng.opts.CloseWait))
			c.mu.Lock()
			c.markReadyLocked()
			c.mu.Unlock()
		}
	}
}

// appendRawCipherLocked queues TLS records, written before any plaintext
// that is still to be encrypted. c.mu is held.
func (c *Conn) appendRawCipherLocked(p []byte) {
	if c.cipher == nil {
		c.cipher = bytebufferpool.Get()
	}
	c.cipher.B = append(c.cipher.B, p...)
	c.markReadyLocked()
}
