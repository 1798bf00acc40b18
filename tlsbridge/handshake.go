package tlsbridge

import (
	"crypto/tls"
	"net"
	"sync"

	"github.com/wsloop/wsloop/internal/guard"
)

// Handshake phases.
const (
	phaseHello     uint8 = iota // waiting for the whole first record
	phaseScheduled              // queued or about to run
	phaseRunning                // a goroutine runs tls.Conn.Handshake
	phaseDone                   // Handshake returned; result in tc/err
)

// handshake is the state of a connection until its handshake completes on
// the loop; it is dropped afterwards, so an established connection keeps
// none of it.
type handshake struct {
	c *Conn

	mu       sync.Mutex
	cond     sync.Cond // signals pending data or release to the goroutine
	pending  []byte    // ciphertext not yet read by crypto/tls
	phase    uint8
	released bool
	tc       *tls.Conn // set when phase == phaseDone
	err      error     // handshake result

	// Wait queue links, guarded by Bridge.mu.
	prev, next *handshake
	inQueue    bool
}

// run performs the handshake on the calling goroutine unless the
// connection was released while it waited for a slot.
func (hs *handshake) run(cfg *tls.Config, onPanic func(error)) {
	hs.mu.Lock()
	if hs.released {
		hs.mu.Unlock()
		return
	}
	hs.phase = phaseRunning
	hs.mu.Unlock()

	c := hs.c
	tc := tls.Server((*adapter)(c), cfg)
	var err error
	// crypto/tls runs user callbacks (certificate choice, verification)
	// on this goroutine: a panic in one fails this handshake only.
	if p := guard.Run(func() { err = tc.Handshake() }); p != nil {
		err = p
		if onPanic != nil {
			onPanic(p)
		}
	}

	hs.mu.Lock()
	hs.tc, hs.err, hs.phase = tc, err, phaseDone
	if !hs.released {
		// Under hs.mu, so Release cannot return between the check and the
		// call. The loop reacts with Feed(nil); if Wake fails the
		// connection is closing and Release follows.
		_ = c.t.Wake()
	}
	hs.mu.Unlock()
}

// read is the adapter's Read during the handshake: it blocks until Feed
// hands over ciphertext or the connection is released.
func (hs *handshake) read(p []byte) (int, error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for len(hs.pending) == 0 && !hs.released {
		hs.cond.Wait()
	}
	if hs.released {
		return 0, net.ErrClosed
	}
	n := copy(p, hs.pending)
	rest := copy(hs.pending, hs.pending[n:])
	hs.pending = hs.pending[:rest]
	return n, nil
}

// write is the adapter's Write during the handshake: it copies p (crypto/tls
// may reuse it) and queues it on the transport.
func (hs *handshake) write(p []byte) (int, error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.released {
		return 0, net.ErrClosed
	}
	if err := hs.c.t.WriteAsync(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
