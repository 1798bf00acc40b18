package engine

import (
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/tlsbridge"
)

// SlowConsumerPolicy says what happens when a connection's outbound queue is
// over its limit.
type SlowConsumerPolicy uint8

const (
	// PolicyWouldBlock refuses the send with ErrWouldBlock (or waits up to the
	// connection's timeout) and reports ReadyToSend once the queue drains.
	PolicyWouldBlock SlowConsumerPolicy = iota
	// PolicyClose closes the connection with 1008 (policy violation).
	PolicyClose
)

// Default limits. Every limit is configurable in Options.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxHeaderBytes   = codec.DefaultMaxHeaderBytes
	DefaultMaxMessageSize   = codec.DefaultMaxMessageSize
	DefaultMaxOutbound      = 1 << 20
	DefaultCloseWait        = 5 * time.Second
	DefaultMaxPausedBytes   = 1 << 20
	DefaultMaxFrameSize     = 0 // outgoing messages are not fragmented
	DefaultInflateInline    = 256 << 10
	DefaultReadBufferSize   = 256 << 10
	DefaultMaxTopicLength   = 128
	DefaultMaxSubscriptions = 128
	DefaultMaxPublishSize   = 1 << 20 // NATS's default max_payload
	tick                    = 50 * time.Millisecond
	fastTick                = 10 * time.Millisecond
)

// Options configure an Engine. The zero value of every field is a safe
// default (the Default constants above; New applies them).
type Options struct {
	Addr          string // host:port to listen on; port 0 picks a free port
	NumLoops      int    // event loops; 0 = GOMAXPROCS
	ReusePort     bool   // SO_REUSEPORT with one listener per loop (always with a single loop)
	ReuseAddr     bool   // SO_REUSEADDR
	Backlog       int    // listen backlog (capped by the OS's somaxconn); 0 = OS default
	TCPNoDelay    bool   // disable Nagle
	KeepAlive     time.Duration
	KeepInterval  time.Duration
	SocketRecvBuf int // SO_RCVBUF; 0 = OS default
	SocketSendBuf int // SO_SNDBUF; 0 = OS default
	// ReadBufferSize is the most one read takes from a socket. Each loop
	// has one such buffer, shared by its connections (gnet's
	// ReadBufferCap, rounded up to a power of two). It is larger than
	// gnet's 64 KiB default so that a 64 KiB message (64 KiB plus its
	// header) can arrive in one read and be delivered without assembly.
	// 0 = DefaultReadBufferSize.
	ReadBufferSize int

	AllowedClients []netip.Prefix // empty = everyone
	MaxConnections int            // 0 = unlimited; beyond it new connections get HTTP 503
	// MaxConnectionsPerIP bounds the open connections from one source
	// address; beyond it new ones get HTTP 503 before any byte is read.
	// 0 = no limit.
	MaxConnectionsPerIP int
	// HandshakeRatePerIP bounds new connections per second from one source
	// address (a token bucket of HandshakeBurstPerIP, 0 = the rate);
	// beyond it they get HTTP 429 before any byte is read. 0 = no limit.
	HandshakeRatePerIP  int
	HandshakeBurstPerIP int

	HandshakeTimeout time.Duration // TCP+TLS+HTTP handshake deadline; 0 = DefaultHandshakeTimeout; <0 = none
	MaxHeaderBytes   int           // request head limit (431 beyond); 0 = default
	MaxMessageSize   int64         // incoming message limit (1009); 0 = default; <0 = unlimited
	MaxFrameSize     int           // outgoing fragmentation size; 0 = no fragmentation
	BufferMessage    bool          // deliver whole messages instead of fragments
	// Origins lists the cross-origin upgrades allowed besides same-origin
	// ones and requests without Origin: path.Match patterns on the
	// Origin's host ("*.example.com", "localhost:*") or, with a scheme, on
	// the whole Origin; "*" allows all. Empty = same origin only (403).
	Origins      []string
	Subprotocols []string // server-preferred subprotocols, chosen when offered

	MaxOutbound    int                // per-connection outbound queue limit in bytes; 0 = default
	SlowConsumer   SlowConsumerPolicy // what to do beyond MaxOutbound
	SendTimeout    time.Duration      // default per-connection Send timeout (0 = non-blocking)
	MaxPausedBytes int                // inbound bytes held while AcceptData is off before closing 1008

	IdleTimeout       time.Duration // close (1001) after this long without input; 0 = none
	PingInterval      time.Duration // send a ping after this long without input; 0 = none
	CloseWait         time.Duration // wait for the peer's close reply; 0 = default
	WaitForCloseReply bool          // wait (bounded by CloseWait) for the close reply before closing TCP
	DisconnectCode    uint16        // code used by Disconnect; 0 = 1000
	DisconnectReason  string        // reason used by Disconnect
	Deflate           codec.DeflateConfig
	DecompressedLimit int64 // max inflated size of one message; 0 = MaxMessageSize
	// InflateInline is the largest inflated message the event loop
	// inflates itself; larger ones (and compression bombs) are inflated by
	// a worker goroutine while the connection's reads wait, so that they do
	// not stall the loop's other connections. 0 = DefaultInflateInline;
	// <0 = always on the loop.
	InflateInline int64
	// InflateWorkers bounds the goroutines inflating large messages (each
	// holds up to DecompressedLimit bytes); 0 = half of GOMAXPROCS, at
	// least 1. More wait in a queue without a goroutine.
	InflateWorkers int

	// MaxTopicLength bounds a topic name in bytes; 0 = DefaultMaxTopicLength.
	MaxTopicLength int
	// MaxSubscriptions bounds the topics one connection subscribes to;
	// 0 = DefaultMaxSubscriptions.
	MaxSubscriptions int
	// MaxPublishSize bounds a published payload; 0 = DefaultMaxPublishSize.
	MaxPublishSize int
	// OnInterest is called when the node gains its first subscriber of a
	// topic (on) or loses its last (off). Calls for one topic are made in
	// order, under a lock: it must not block nor call back into topics.
	OnInterest func(topic string, on bool)
	// MaxBufferedBytes bounds the bytes the whole server holds for
	// messages being received (assembled or inflated) and for outbound
	// queues; a connection that would exceed it waits with its reads
	// stalled (see budget.go). 0 = a quarter of GOMEMLIMIT when set, else
	// DefaultMaxBufferedBytes; <0 = no budget.
	MaxBufferedBytes int64
	// BufferWait bounds the wait for the memory budget; beyond it the
	// connection is closed with 1013. 0 = DefaultBufferWait.
	BufferWait time.Duration

	TLS *tlsbridge.Config // nil = plain TCP

	HTTPHandler http.Handler // answers non-WebSocket requests; nil = 426
}

// normalize fills defaults in place.
func (o *Options) normalize() {
	if o.NumLoops <= 0 {
		o.NumLoops = runtime.GOMAXPROCS(0) // a loop per P (gnet itself would take NumCPU)
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxMessageSize < 0 {
		o.MaxMessageSize = 1<<63 - 1
	}
	if o.MaxOutbound <= 0 {
		o.MaxOutbound = DefaultMaxOutbound
	}
	if o.CloseWait <= 0 {
		o.CloseWait = DefaultCloseWait
	}
	if o.MaxPausedBytes <= 0 {
		o.MaxPausedBytes = DefaultMaxPausedBytes
	}
	if o.DisconnectCode == 0 {
		o.DisconnectCode = codec.CloseNormal
	}
	if o.DecompressedLimit <= 0 {
		o.DecompressedLimit = o.MaxMessageSize
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = DefaultReadBufferSize
	}
	if o.InflateInline == 0 {
		o.InflateInline = DefaultInflateInline
	}
	if o.MaxTopicLength <= 0 {
		o.MaxTopicLength = DefaultMaxTopicLength
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if o.MaxPublishSize <= 0 {
		o.MaxPublishSize = DefaultMaxPublishSize
	}
	if o.MaxBufferedBytes == 0 {
		o.MaxBufferedBytes = defaultBudget()
	}
	if o.BufferWait <= 0 {
		o.BufferWait = DefaultBufferWait
	}
	if o.InflateWorkers <= 0 {
		o.InflateWorkers = max(1, runtime.GOMAXPROCS(0)/2)
	}
}

var policyNames = [...]string{"wouldblock", "close"}

// String returns "wouldblock" or "close".
func (p SlowConsumerPolicy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "SlowConsumerPolicy(" + strconv.Itoa(int(p)) + ")"
}

// UnmarshalText takes "wouldblock" or "close".
func (p *SlowConsumerPolicy) UnmarshalText(b []byte) error {
	for i, name := range policyNames {
		if strings.EqualFold(string(b), name) {
			*p = SlowConsumerPolicy(i)
			return nil
		}
	}
	return fmt.Errorf("%q is not wouldblock or close", b)
}
