package tlsbridge

import (
	"crypto/tls"
	"net"
	"sync"
)

// Defaults applied by NewBridge to zero Config fields.
const (
	// DefaultMaxConcurrentHandshakes is the default Config.MaxConcurrentHandshakes.
	DefaultMaxConcurrentHandshakes = 64
	// DefaultMaxPendingBytes is the default Config.MaxPendingBytes: one
	// maximal TLS 1.2 ciphertext record (16 KiB of plaintext plus 2 KiB of
	// expansion) with its 5-byte header.
	DefaultMaxPendingBytes = recordHeaderLen + maxPlaintext + 2048
)

const (
	recordHeaderLen = 5
	maxPlaintext    = 16384
)

// Config is shared by all connections of one server.
type Config struct {
	// TLS is the server configuration (certificates, client authentication,
	// versions, cipher suites, ALPN, GetConfigForClient, ...). Required.
	// NewBridge keeps a clone; later changes to the original are not seen.
	TLS *tls.Config
	// OnPanic, when set, is called on the handshake goroutine when a
	// handshake panicked (in a crypto/tls callback such as GetCertificate,
	// GetConfigForClient or VerifyConnection). The panic is recovered there
	// and the handshake fails with an error that wraps it. The bridge has
	// no handshake deadline: the engine cuts slow handshakes off with its
	// own timer by calling Conn.Release.
	OnPanic func(error)
	// MaxConcurrentHandshakes caps the handshake goroutines of the whole
	// server. Connections beyond the cap wait in a FIFO queue without a
	// goroutine. A slot stays taken while its handshake waits for the
	// client's next flight, so stalled clients hold slots until the
	// handshake timeout. Zero means DefaultMaxConcurrentHandshakes.
	MaxConcurrentHandshakes int
	// MaxPendingBytes bounds the ciphertext a connection buffers before and
	// during its handshake (not yet consumed by crypto/tls); more is an
	// ErrPendingLimit error. Values below one maximal record refuse large
	// ClientHellos. Zero means DefaultMaxPendingBytes.
	MaxPendingBytes int
	// LogPackets asks the engine to report every TLS packet it reads or
	// writes through its debug log.
	LogPackets bool
}

// Bridge holds the configuration and the handshake scheduler shared by all
// connections of one server. It is safe for concurrent use.
type Bridge struct {
	tls        *tls.Config
	onPanic    func(error)
	maxHS      int
	maxPending int

	mu      sync.Mutex
	running int // handshake goroutines alive
	peak    int // highest value of running (tests, metrics)
	queued  int
	head    *handshake // FIFO of connections waiting for a slot
	tail    *handshake

	chunkPool sync.Pool // *[maxPlaintext]byte used by Encrypt to coalesce pieces
	rawPool   sync.Pool // *[]byte read buffers lent to tls.Conns during Feed
}

// NewBridge validates cfg, applies defaults and returns a Bridge.
func NewBridge(cfg Config) (*Bridge, error) {
	if cfg.TLS == nil {
		return nil, ErrNoTLSConfig
	}
	if len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil && cfg.TLS.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}
	b := &Bridge{
		tls:        cfg.TLS.Clone(),
		onPanic:    cfg.OnPanic,
		maxHS:      cfg.MaxConcurrentHandshakes,
		maxPending: cfg.MaxPendingBytes,
	}
	if b.maxHS <= 0 {
		b.maxHS = DefaultMaxConcurrentHandshakes
	}
	if b.maxPending <= 0 {
		b.maxPending = DefaultMaxPendingBytes
	}
	b.chunkPool.New = func() any { return new([maxPlaintext]byte) }
	b.rawPool.New = func() any { buf := make([]byte, 0, rawBufSize); return &buf }
	return b, nil
}

// Handshakes reports how many handshake goroutines run now and how many
// connections wait in the queue for one.
func (b *Bridge) Handshakes() (running, queued int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running, b.queued
}

// NewConn returns the TLS state of a new connection. t is how the handshake
// goroutine reaches the socket; remote and local are reported to crypto/tls
// callbacks (ClientHelloInfo.Conn). Call it on the connection's loop.
func (b *Bridge) NewConn(t Transport, remote, local net.Addr) *Conn {
	c := &Conn{b: b, t: t, remote: remote, local: local}
	c.hs = &handshake{c: c}
	c.hs.cond.L = &c.hs.mu
	return c
}

// schedule starts hs's handshake now if a slot is free, or queues it.
func (b *Bridge) schedule(hs *handshake) {
	b.mu.Lock()
	if b.running < b.maxHS {
		b.running++
		if b.running > b.peak {
			b.peak = b.running
		}
		b.mu.Unlock()
		go b.run(hs)
		return
	}
	hs.inQueue = true
	hs.prev = b.tail
	if b.tail != nil {
		b.tail.next = hs
	} else {
		b.head = hs
	}
	b.tail = hs
	b.queued++
	b.mu.Unlock()
}

// unqueue removes hs from the wait queue if it is there.
func (b *Bridge) unqueue(hs *handshake) {
	b.mu.Lock()
	if hs.inQueue {
		b.unlinkLocked(hs)
	}
	b.mu.Unlock()
}

func (b *Bridge) unlinkLocked(hs *handshake) {
	if hs.prev != nil {
		hs.prev.next = hs.next
	} else {
		b.head = hs.next
	}
	if hs.next != nil {
		hs.next.prev = hs.prev
	} else {
		b.tail = hs.prev
	}
	hs.prev, hs.next, hs.inQueue = nil, nil, false
	b.queued--
}

// next hands the caller's slot to the first queued handshake, or frees it.
func (b *Bridge) next() *handshake {
	b.mu.Lock()
	defer b.mu.Unlock()
	hs := b.head
	if hs == nil {
		b.running--
		return nil
	}
	b.unlinkLocked(hs)
	return hs
}

// run is a handshake goroutine: it runs hs, then the queued handshakes that
// inherit its slot, and exits when the queue is empty.
func (b *Bridge) run(hs *handshake) {
	for hs != nil {
		hs.run(b.tls, b.onPanic)
		hs = b.next()
	}
}
