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

// Connection states. Transitions happen on the loop under Conn.mu.
const (
	stateHandshake uint8 = iota // TCP (and TLS) open, waiting for the upgrade request
	stateOpen                   // WebSocket open
	stateClosing                // close frame sent, waiting for the reply or the drain
	stateClosed                 // gnet closed the connection
)

// Conn is one connection. Fields marked "loop" are touched only on the
// connection's event loop; fields under mu are shared with sending goroutines.
// An idle open connection holds no buffer: pending, hs and msg are nil.
type Conn struct {
	id   uint64
	eng  *Engine
	loop *loop
	gc   gnet.Conn // loop; never used after OnClose

	// loop
	dec       codec.Decoder
	hs        *bytebufferpool.ByteBuffer // partial upgrade request
	msg       *bytebufferpool.ByteBuffer // message being assembled
	msgOp     codec.OpCode
	msgComp   bool
	utf8      codec.UTF8Validator
	inflater  *codec.Inflater
	tls       *tlsbridge.Conn
	tNext     *Conn // timing wheel list
	tPrev     *Conn
	tSlot     int32 // -1 when not scheduled
	tRounds   int32
	lastRead  uint32 // loop tick of the last input
	loopIdx   int32  // index in loop.conns, -1 when not listed
	pingOut   bool
	congested bool // listed in loop.congested
	closeTCP  bool // close TCP once the outbound queue drains
	failed    bool // a protocol error was reported
	closeSent bool // a close frame was queued
	closeRecv bool // the peer's close frame was received
	discCode  uint16
	discText  string

	// shared
	mu          sync.Mutex
	state       uint8
	inReady     bool // listed in loop.ready
	wantReady   bool // a send was refused; fire ReadyToSend on drain
	interrupted bool
	slowClosed  bool                       // the slow-consumer close was posted (once)
	pending     *bytebufferpool.ByteBuffer // frames waiting for the loop (plaintext)
	cipher      *bytebufferpool.ByteBuffer // TLS records ready to write (handshake flights, alerts)
	outBuffered int                        // gnet's outbound bytes at the last flush/tick
	drained     chan struct{}              // closed on drain; made only while a sender waits
	deflater    *codec.Deflater            // non-nil when permessage-deflate is on
	deflParams  codec.DeflateParams
	parkListed  bool // listed in loop.parking

	paused    atomic.Bool
	timeout   atomic.Int64 // send timeout in ns
	bytesIn   atomic.Uint64
	bytesOut  atomic.Uint64
	msgsIn    atomic.Uint64
	msgsOut   atomic.Uint64
	since     int64 // unix nanoseconds when the connection opened (TCP accept)
	subproto  string
	exts      string
	uri       string
	userData  atomic.Value
	remote    net.Addr
	local     net.Addr
	connected bool  // Connected was fired (Disconnected will be)
	stream    int64 // bytes left of a message sent in pieces (MessageLength)
	streamOp  codec.OpCode
	streamOn  bool // the first piece was sent
}

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
func (c *Conn) IsTLS() bool { return c.tls != nil }

// ID returns the connection's identifier, unique for the life of the engine.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr returns the local address the connection was accepted on.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// Subprotocol returns the negotiated subprotocol ("" if none).
func (c *Conn) Subprotocol() string { return c.subproto }

// Extensions returns the negotiated Sec-WebSocket-Extensions value.
func (c *Conn) Extensions() string { return c.exts }

// RequestURI returns the request target of the upgrade request.
func (c *Conn) RequestURI() string { return c.uri }

// ConnectedSince returns when the TCP connection was accepted.
func (c *Conn) ConnectedSince() time.Time { return time.Unix(0, c.since) }

// Connected reports whether the WebSocket is open (not closing or closed).
func (c *Conn) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen
}

// AcceptData reports whether reading is on (see SetAcceptData).
func (c *Conn) AcceptData() bool { return !c.paused.Load() }

// SetUserData attaches a value to the connection for the application.
func (c *Conn) SetUserData(v any) { c.userData.Store(&v) }

// UserData returns the value stored by SetUserData, or nil.
func (c *Conn) UserData() any {
	if p, ok := c.userData.Load().(*any); ok {
		return *p
	}
	return nil
}

// Timeout returns the connection's Send timeout (0 = non-blocking).
func (c *Conn) Timeout() time.Duration { return time.Duration(c.timeout.Load()) }

// SetTimeout sets the connection's Send timeout (0 = non-blocking).
func (c *Conn) SetTimeout(d time.Duration) { c.timeout.Store(int64(d)) }

// Stats returns the connection's counters: payload bytes and messages in and
// out, and bytes queued for sending right now.
func (c *Conn) Stats() (bytesIn, bytesOut, msgsIn, msgsOut uint64, queued int) {
	c.mu.Lock()
	queued = c.queuedLocked()
	c.mu.Unlock()
	return c.bytesIn.Load(), c.bytesOut.Load(), c.msgsIn.Load(), c.msgsOut.Load(), queued
}

func (c *Conn) queuedLocked() int {
	n := c.outBuffered
	if c.pending != nil {
		n += len(c.pending.B)
	}
	if c.cipher != nil {
		n += len(c.cipher.B)
	}
	return n
}
