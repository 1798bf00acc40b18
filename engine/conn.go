package engine

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/tlsbridge"
)

// Conn is one connection. Fields marked "loop" are touched only on the
// connection's event loop; fields under mu are shared with sending
// goroutines. Conn keeps only what every connection needs on its hot paths
// (192 bytes, enforced by TestConnSize); everything a connection may never use (a split handshake,
// message assembly, compression, streaming, user data, close reason) lives
// in connExtra, allocated on first use. An idle connection holds no buffer.
type Conn struct {
	id   uint64
	loop *loop
	gc   gnet.Conn // loop; never used after OnClose
	dec  codec.Decoder
	tls  *tlsbridge.Conn // set before the connection is published
	x    atomic.Pointer[connExtra]

	// loop
	tIdx     int32  // 1 + index in loop.timers; 0 when no deadline is set
	tDue     uint32 // tick of the deadline, while tIdx > 0
	lastRead uint32 // loop tick of the last input (kept only with IdleTimeout or PingInterval)
	loopIdx  int32  // index in loop.conns, -1 when not listed

	// shared
	mu          sync.Mutex
	pending     *bytebufferpool.ByteBuffer // frames waiting for the loop (plaintext)
	cipher      *bytebufferpool.ByteBuffer // TLS records ready to write (handshake flights, alerts)
	outBuffered int32                      // gnet's outbound bytes at the last flush/tick (+ bytes in flight), clamped
	inTasks     int32                      // bytes of deferred sends posted to the loop, clamped
	paused      atomic.Bool
	state       uint8
	sflags      uint8  // sInReady, ...: under mu
	lflags      uint16 // lPingOut, ...: loop only

	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
	msgsIn   atomic.Uint32
	msgsOut  atomic.Uint32
	since    uint32 // seconds after the engine started when the TCP connection was accepted
	gate     hold   // loop: why input is held (gate.go), AcceptData aside
}

// Connection flags, kept in two bytes (one per owner) to keep Conn small.
const (
	sInReady       uint8 = 1 << iota // listed in loop.ready
	sWantReady                       // a send was refused; fire ReadyToSend on drain
	sInterrupted                     // Interrupt woke the waiting senders
	sSlowClosed                      // the slow-consumer close was posted (once)
	sParkListed                      // listed in loop.parking
	sDisconnecting                   // closed, its Disconnected event runs: addresses still readable
)

const (
	lPingOut        uint16 = 1 << iota // an automatic ping is unanswered
	lCongested                         // listed in loop.congested
	lLifecycleFirst                    // the first of the lifecycle's flags (lifecycle.go)
)

// setFlag sets or clears one bit of a flags field.
func setFlag[T uint8 | uint16](f *T, bit T, on bool) {
	if on {
		*f |= bit
	} else {
		*f &^= bit
	}
}

// connExtra is the part of a connection that many connections never need.
type connExtra struct {
	// loop
	hs       *bytebufferpool.ByteBuffer // partial upgrade request
	msg      *bytebufferpool.ByteBuffer // message being assembled
	held     *bytebufferpool.ByteBuffer // TLS plaintext decrypted while input was stalled
	heldOff  int                        // how much of held was processed
	parked   *inflateJob                // an inflated message waiting for AcceptData
	inflater *codec.Inflater
	lsubs    []lsub // places in the loops' topic lists
	// memory budget (budget.go)
	resv       int64       // bytes reserved for the message being assembled
	bw         *budgetWait // the queued request while lBudget is set
	outCounted int32       // outbound bytes counted in the budget
	granted    bool        // a grant was made for the message being assembled
	discCode   uint16
	discText   string

	// under Conn.mu
	drained    chan struct{}       // closed on drain; made only while a sender waits
	deflater   *codec.Deflater     // non-nil when permessage-deflate is on
	deflParams codec.DeflateParams //
	st         stream              // a message sent in pieces (MessageLength, SendReader)
	busy       int                 // interruptible operations in progress (SendReader)
	topics     []*topic            // subscriptions (each holds a count in its topic)

	// set on the loop before Connected, read-only afterwards
	subproto string
	exts     string

	// any goroutine
	timeout    atomic.Int64 // send timeout in ns, when timeoutSet
	timeoutSet atomic.Bool
	userData   atomic.Value

	// set before the connection is published, read-only afterwards: the
	// client's addresses and transport of a connection mounted through a
	// pump (the loop's socket is one end of a socket pair)
	remote, local net.Addr
	pumpedTLS     bool
}

// ext returns the connection's extra state, allocating it on first use.
// Safe from any goroutine.
func (c *Conn) ext() *connExtra {
	if x := c.x.Load(); x != nil {
		return x
	}
	x := &connExtra{}
	if c.x.CompareAndSwap(nil, x) {
		return x
	}
	return c.x.Load()
}

// eng returns the engine the connection belongs to.
func (c *Conn) eng() *Engine { return c.loop.eng }

// LoopLocal returns a slot owned by the connection's event loop, for a
// handler that keeps per-loop state (such as reused event structs). Use it
// only from handler callbacks, which run on that loop.
func (c *Conn) LoopLocal() *any { return &c.loop.local }

// TLSState returns the negotiated TLS parameters; ok is false on plain
// connections and before the TLS handshake ends. Call it from handler
// callbacks (it reads loop-owned state).
func (c *Conn) TLSState() (tls.ConnectionState, bool) {
	if c.tls == nil {
		return tls.ConnectionState{}, false
	}
	return c.tls.State()
}

// IsTLS reports whether the connection uses TLS.
func (c *Conn) IsTLS() bool {
	if c.tls != nil {
		return true
	}
	x := c.x.Load()
	return x != nil && x.pumpedTLS
}

// ID returns the connection's identifier, unique for the life of the engine.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address, or nil once the connection closed.
func (c *Conn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	// gnet clears its addresses only after OnClose, which clears
	// sDisconnecting under c.mu before it returns.
	if c.state == stateClosed && c.sflags&sDisconnecting == 0 {
		return nil
	}
	if x := c.x.Load(); x != nil && x.remote != nil {
		return x.remote
	}
	return c.gc.RemoteAddr()
}

// LocalAddr returns the local address the connection was accepted on (the
// listener's address), or nil once the connection closed.
func (c *Conn) LocalAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed && c.sflags&sDisconnecting == 0 {
		return nil
	}
	if x := c.x.Load(); x != nil && x.local != nil {
		return x.local
	}
	return c.gc.LocalAddr()
}

// Subprotocol returns the negotiated subprotocol ("" if none).
func (c *Conn) Subprotocol() string {
	if x := c.x.Load(); x != nil {
		return x.subproto
	}
	return ""
}

// Extensions returns the negotiated Sec-WebSocket-Extensions value.
func (c *Conn) Extensions() string {
	if x := c.x.Load(); x != nil {
		return x.exts
	}
	return ""
}

// ConnectedSince returns when the TCP connection was accepted.
func (c *Conn) ConnectedSince() time.Time {
	return c.loop.eng.started.Add(time.Duration(c.since) * time.Second)
}

// Connected reports whether the WebSocket is open (not closing or closed).
func (c *Conn) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen
}

// AcceptData reports whether reading is on (see SetAcceptData).
func (c *Conn) AcceptData() bool { return !c.paused.Load() }

// SetUserData attaches a value to the connection for the application.
func (c *Conn) SetUserData(v any) { c.ext().userData.Store(&v) }

// UserData returns the value stored by SetUserData, or nil.
func (c *Conn) UserData() any {
	if x := c.x.Load(); x != nil {
		if p, ok := x.userData.Load().(*any); ok {
			return *p
		}
	}
	return nil
}

// Timeout returns the connection's Send timeout (0 = non-blocking).
func (c *Conn) Timeout() time.Duration {
	if x := c.x.Load(); x != nil && x.timeoutSet.Load() {
		return time.Duration(x.timeout.Load())
	}
	return c.loop.eng.opts.SendTimeout
}

// SetTimeout sets the connection's Send timeout (0 = non-blocking).
func (c *Conn) SetTimeout(d time.Duration) {
	x := c.ext()
	x.timeout.Store(int64(d))
	x.timeoutSet.Store(true)
}

// Stats returns the connection's counters: payload bytes and messages in and
// out, and bytes queued for sending right now.
func (c *Conn) Stats() (bytesIn, bytesOut, msgsIn, msgsOut uint64, queued int) {
	c.mu.Lock()
	queued = c.queuedLocked()
	c.mu.Unlock()
	return c.bytesIn.Load(), c.bytesOut.Load(), uint64(c.msgsIn.Load()), uint64(c.msgsOut.Load()), queued
}

func (c *Conn) queuedLocked() int {
	n := int(c.outBuffered) + int(c.inTasks)
	if c.pending != nil {
		n += len(c.pending.B)
	}
	if c.cipher != nil {
		n += len(c.cipher.B)
	}
	return n
}

// setDisc records the close code and reason reported by Disconnected. Loop
// only.
func (c *Conn) setDisc(code uint16, reason string) {
	x := c.ext()
	x.discCode, x.discText = code, reason
}

// clamp32 converts a byte count for the int32 queue counters, saturating:
// past 2 GiB a queue is over any limit anyway.
func clamp32(n int) int32 {
	if n > 1<<31-1 {
		return 1<<31 - 1
	}
	return int32(n)
}
