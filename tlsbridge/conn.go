package tlsbridge

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync/atomic"
)

// Connection states.
const (
	stateHandshake uint8 = iota
	stateOpen
	stateClosed
)

// Conn is the TLS state of one connection. Its methods must be called on the
// connection's event loop only. After the handshake it holds the tls.Conn,
// the transport, the addresses and two transient slice headers; no
// goroutine and no buffer of its own.
type Conn struct {
	b      *Bridge
	t      Transport
	tc     *tls.Conn  // set when the handshake completed on the loop
	hs     *handshake // non-nil until then
	remote net.Addr
	local  net.Addr
	in     []byte  // ciphertext being read by tc (loop mode, during Feed)
	out    []byte  // destination of tc's writes (loop mode, during a call)
	raw    *[]byte // read buffer lent to tc while a record is incomplete (see rawinput.go)
	neg    atomic.Pointer[Negotiated]
	state  uint8
}

// HandshakeDone reports whether the handshake completed and Feed now
// delivers plaintext. Loop only.
func (c *Conn) HandshakeDone() bool { return c.state == stateOpen }

// PendingRoom returns how many more bytes of ciphertext Feed accepts before
// the handshake result has been picked up (MaxPendingBytes minus what is
// buffered), or a large number once the connection is open. A caller that
// has more may keep the rest (as the engine does, in gnet's buffer) and
// feed it after the handshake: TLS 1.3 clients may send application data
// right after their Finished message. Loop only.
func (c *Conn) PendingRoom() int {
	if c.state != stateHandshake {
		return 1<<31 - 1
	}
	c.hs.mu.Lock()
	defer c.hs.mu.Unlock()
	return max(c.b.maxPending-len(c.hs.pending), 0)
}

// Feed is called on the event loop with ciphertext just read; ciphertext is
// not retained after the call. With no ciphertext it is the wake-up call
// that Transport.Wake requested.
//
// Before and during the handshake Feed buffers the ciphertext (at most
// Config.MaxPendingBytes) and starts the handshake, subject to the global
// cap, once the whole first record (a ClientHello) has arrived. The end of
// the handshake is taken up only by a wake-up call: on failure Feed returns
// the handshake error; on success it continues as below with any ciphertext
// that arrived meanwhile.
//
// After the handshake Feed decrypts every complete record and calls deliver
// with plaintext chunks, which are slices of scratch (Feed uses
// scratch[:cap(scratch)]; give it at least 16 KiB, e.g. a per-loop buffer)
// valid only during that call. A partial record stays inside crypto/tls
// until more ciphertext arrives. An error from deliver stops Feed and is
// returned.
//
// Feed returns outBuf with the ciphertext that the loop must write now
// appended (alerts, KeyUpdate responses), and a non-nil error when the
// connection must be closed: io.EOF after the peer's close_notify (the
// connection may still send its own with CloseNotify), crypto/tls
// errors (alerts, bad records, refused renegotiation, too many KeyUpdates),
// ErrNotTLS, ErrPendingLimit or ErrClosed. Write out even when err is not
// nil: it may hold an alert for the peer.
func (c *Conn) Feed(ciphertext, scratch, outBuf []byte, deliver func(plain []byte) error) (out []byte, err error) {
	switch c.state {
	case stateOpen:
		return c.decrypt(ciphertext, scratch, outBuf, deliver)
	case stateClosed:
		return outBuf, ErrClosed
	}
	hs := c.hs
	hs.mu.Lock()
	if hs.phase == phaseDone && len(ciphertext) == 0 {
		tc, herr, pending := hs.tc, hs.err, hs.pending
		hs.pending = nil
		hs.mu.Unlock()
		if herr != nil {
			c.state = stateClosed
			return outBuf, fmt.Errorf("wsloop: tls: handshake: %w", herr)
		}
		c.tc, c.hs, c.state = tc, nil, stateOpen
		c.snapshot(tc)
		return c.decrypt(pending, scratch, outBuf, deliver)
	}
	if len(hs.pending)+len(ciphertext) > c.b.maxPending {
		hs.mu.Unlock()
		c.state = stateClosed
		return outBuf, ErrPendingLimit
	}
	hs.pending = append(hs.pending, ciphertext...)
	if hs.phase != phaseHello {
		hs.cond.Signal()
		hs.mu.Unlock()
		return outBuf, nil
	}
	complete, err := checkHello(hs.pending)
	if complete {
		hs.phase = phaseScheduled
	}
	hs.mu.Unlock()
	if err != nil {
		c.state = stateClosed
		return outBuf, err
	}
	if complete {
		c.b.schedule(hs)
	}
	return outBuf, nil
}

// decrypt hands ct to crypto/tls and reads until the adapter would block.
func (c *Conn) decrypt(ct, scratch, out []byte, deliver func([]byte) error) ([]byte, error) {
	scratch = scratch[:cap(scratch)]
	if len(scratch) == 0 {
		return out, ErrNoScratch
	}
	c.in, c.out = ct, out
	c.lendRaw()
	var err error
	for {
		n, rerr := c.tc.Read(scratch)
		if n > 0 {
			if derr := deliver(scratch[:n]); derr != nil {
				err = derr
				break
			}
		}
		if rerr != nil {
			if rerr != errWouldBlock {
				err = rerr
			}
			break
		}
	}
	out = c.out
	c.in, c.out = nil, nil
	// After the peer's close_notify (io.EOF) the connection stays usable
	// for CloseNotify; any other error is fatal.
	if err != nil && err != io.EOF {
		c.state = stateClosed
	}
	c.returnRaw(err != nil)
	return out, err
}

// Encrypt appends to dst the ciphertext of application data records that
// carry the concatenation of p. Small pieces are coalesced into records of
// up to 16 KiB (through a pooled buffer); a single piece is encrypted in
// place. Loop only, after the handshake. It does not allocate in steady
// state when dst has room.
func (c *Conn) Encrypt(dst []byte, p ...[]byte) ([]byte, error) {
	switch c.state {
	case stateHandshake:
		return dst, ErrHandshakeNotDone
	case stateClosed:
		return dst, ErrClosed
	}
	c.out = dst
	var err error
	if len(p) == 1 {
		err = c.write(p[0])
	} else {
		err = c.writeCoalesced(p)
	}
	dst = c.out
	c.out = nil
	return dst, err
}

func (c *Conn) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	_, err := c.tc.Write(p)
	return err
}

func (c *Conn) writeCoalesced(p [][]byte) error {
	buf := c.b.chunkPool.Get().(*[maxPlaintext]byte)
	defer c.b.chunkPool.Put(buf)
	n := 0
	for _, q := range p {
		for len(q) > 0 {
			if n == 0 && len(q) >= maxPlaintext {
				k := len(q) - len(q)%maxPlaintext
				if err := c.write(q[:k]); err != nil {
					return err
				}
				q = q[k:]
				continue
			}
			k := copy(buf[n:], q)
			n += k
			q = q[k:]
			if n == maxPlaintext {
				if err := c.write(buf[:n]); err != nil {
					return err
				}
				n = 0
			}
		}
	}
	return c.write(buf[:n])
}

// CloseNotify appends a close_notify alert to dst. Later Encrypt calls
// fail; Feed still reads the peer's data. Before the handshake completed,
// or after Release, it appends nothing. Loop only.
func (c *Conn) CloseNotify(dst []byte) []byte {
	if c.state != stateOpen {
		return dst
	}
	c.out = dst
	_ = c.tc.CloseWrite() // the adapter's Write never fails
	dst = c.out
	c.out = nil
	return dst
}

// State returns the negotiated parameters (version, cipher suite, ALPN
// protocol, SNI server name, peer certificates, ...) once the handshake has
// completed; ok is false before. Loop only.
func (c *Conn) State() (state tls.ConnectionState, ok bool) {
	if c.state != stateOpen {
		return tls.ConnectionState{}, false
	}
	return c.tc.ConnectionState(), true
}

// Release is called when the connection closes, e.g. on the handshake
// timeout. A queued handshake leaves the queue; a running one is woken (its
// Read fails) so its goroutine exits promptly, and its transport is not
// used again. Buffers and the tls.Conn are dropped. Later calls do nothing
// and Feed returns ErrClosed. Loop only.
func (c *Conn) Release() {
	if hs := c.hs; hs != nil {
		c.b.unqueue(hs)
		hs.mu.Lock()
		hs.released = true
		hs.pending = nil
		hs.tc = nil
		hs.cond.Broadcast()
		hs.mu.Unlock()
		// c.hs stays: a running handshake goroutine still reaches it.
	}
	c.returnRaw(true)
	c.tc, c.in, c.out = nil, nil, nil
	c.state = stateClosed
}
