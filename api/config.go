package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/wsloop/wsloop/engine"
)

// SlowConsumerPolicy says what happens when a connection's outbound queue
// is over Config.MaxOutboundQueue.
type SlowConsumerPolicy uint8

// Slow-consumer policies.
const (
	// WouldBlock refuses sends with ErrWouldBlock (or waits up to the
	// connection's Timeout) and fires OnReadyToSend once the queue drains.
	WouldBlock SlowConsumerPolicy = iota
	// CloseSlowConsumer closes the connection with 1008.
	CloseSlowConsumer
)

// engine maps p to the engine's policy of the same meaning.
func (p SlowConsumerPolicy) engine() (engine.SlowConsumerPolicy, error) {
	switch p {
	case WouldBlock:
		return engine.PolicyWouldBlock, nil
	case CloseSlowConsumer:
		return engine.PolicyClose, nil
	}
	return 0, fmt.Errorf("%w: SlowConsumer %d", ErrBadValue, p)
}

// Compression configures permessage-deflate (RFC 7692). The zero value is
// off. With both context-takeover fields false (the default) no connection
// keeps compression state between messages, so idle connections hold no
// compression memory.
type Compression struct {
	Enabled               bool
	ServerContextTakeover bool  // keep the server's compression window between messages
	ClientContextTakeover bool  // let the client keep its window (costs an inflate window per connection)
	ServerMaxWindowBits   int   // 8..15 (0 = 15)
	ClientMaxWindowBits   int   // 8..15 (0 = 15)
	Level                 int   // 1..9 (0 = fast default)
	Threshold             int   // messages shorter than this go uncompressed (0 = codec default)
	MaxDecompressedSize   int64 // inflated size limit of one message, 1009 beyond (0 = MaxMessageSize)
	// InlineInflateSize is the largest inflated message inflated on the
	// event loop; larger ones (and compression bombs) are inflated by a
	// worker goroutine while that connection's reads wait, so they do not
	// stall other connections (0 = 256 KiB; <0 = always on the loop).
	InlineInflateSize int64
	// InflateWorkers bounds the goroutines inflating large messages, each
	// holding up to MaxDecompressedSize (0 = half of GOMAXPROCS, at least 1).
	InflateWorkers int
}

// Config holds the server's settings. Set them before Listen; the zero
// value of every field is a safe default. Server.Config reads and writes
// them by their WebSocketServer names.
type Config struct {
	// LocalHost is the address to listen on ("" = all IPv4 interfaces, or
	// all interfaces with UseIPv6). IPv6 literals are accepted.
	LocalHost string
	// LocalPort is the TCP port (0 = pick a free one; see Server.LocalPort).
	LocalPort int
	// UseIPv6 listens on "::" when LocalHost is empty.
	UseIPv6 bool
	// ConnectionBacklog is the listen backlog (0 = the OS default, capped
	// by net.core.somaxconn).
	ConnectionBacklog int
	// BindExclusively turns SO_REUSEADDR off.
	BindExclusively bool
	// ReusePort gives each event loop its own SO_REUSEPORT listener.
	ReusePort bool
	// EventLoops is the number of event loops (0 = GOMAXPROCS).
	EventLoops int

	// DefaultTimeout is each new connection's Send timeout: 0 = non-blocking
	// (ErrWouldBlock, then OnReadyToSend); > 0 = Send waits up to that long.
	DefaultTimeout time.Duration
	// DefaultConnectionTimeout bounds the TCP+TLS+HTTP handshake (slowloris
	// guard); 0 = 10 s, negative = none.
	DefaultConnectionTimeout time.Duration
	// KeepAliveTime and KeepAliveInterval turn on TCP keep-alive when > 0.
	KeepAliveTime     time.Duration
	KeepAliveInterval time.Duration
	// TCPDelay turns Nagle's algorithm on. By default it is off
	// (TCP_NODELAY), as in Go's net package; the component's TcpNoDelay
	// setting is its negation.
	TCPDelay bool
	// InBufferSize and OutBufferSize set SO_RCVBUF and SO_SNDBUF (0 = OS default).
	InBufferSize  int
	OutBufferSize int

	// AllowedClients is a comma-separated list of IPs and CIDR prefixes
	// allowed to connect ("" = everyone); others are closed before any
	// byte is read.
	AllowedClients string
	// MaxConnections refuses connections beyond this many with HTTP 503 (0 = no limit).
	MaxConnections int
	// MaxConnectionsPerIP refuses a source address's connections beyond
	// this many open ones with HTTP 503, before any byte is read (0 = no
	// limit; off by default because clients behind one NAT, and load
	// generators on loopback, share an address).
	MaxConnectionsPerIP int
	// HandshakeRatePerIP bounds the new connections per second from one
	// source address, as a token bucket holding HandshakeBurstPerIP
	// (0 = the rate); beyond it they get HTTP 429 before any byte is read
	// (0 = no limit, the default).
	HandshakeRatePerIP  int
	HandshakeBurstPerIP int

	// BufferMessage delivers each message whole in one OnDataIn (bounded by
	// MaxMessageSize) instead of piece by piece as frames arrive.
	BufferMessage bool
	// MaxMessageSize bounds an incoming message; beyond it the connection is
	// closed with 1009 (0 = 16 MiB, negative = no limit).
	MaxMessageSize int64
	// MaxFrameSize fragments outgoing messages larger than this (0 = never).
	MaxFrameSize int
	// MaxHeaderBytes bounds the upgrade request head (431 beyond; 0 = 8 KiB).
	MaxHeaderBytes int
	// Origins lists the cross-origin upgrades to allow. By default (empty)
	// an upgrade whose Origin header names another host than its Host
	// header gets 403 and an OnError event (cross-site WebSocket hijacking
	// guard); requests without Origin (non-browser clients) and same-origin
	// requests are always allowed. Entries are path.Match patterns on the
	// Origin's host[:port] ("*.example.com", "localhost:*"), or on the whole
	// Origin when they contain "://" ("https://app.example.com"); "*"
	// turns the check off. OnWebSocketOpenRequest sees a refused request
	// with StatusCode 403 and may still accept it.
	Origins []string
	// Subprotocols lists the server's subprotocols in preference order; the
	// first one the client offers is chosen.
	Subprotocols []string
	// Compression configures permessage-deflate.
	Compression Compression

	// MaxOutboundQueue bounds each connection's queued outgoing bytes
	// (0 = 1 MiB); SlowConsumer says what happens beyond it.
	MaxOutboundQueue int
	SlowConsumer     SlowConsumerPolicy
	// MaxPausedBytes bounds input held while a connection's AcceptData is
	// off; beyond it the connection is closed with 1008 (0 = 1 MiB).
	MaxPausedBytes int

	// MaxBufferedBytes bounds, for the whole server, the bytes held for
	// messages being received (assembled with BufferMessage or for
	// decompression, and while a worker inflates them) and for outbound
	// queues. 0 = a quarter of GOMEMLIMIT when one is set, else 512 MiB;
	// negative = no budget. A frame that must be stored reserves its
	// announced length when its first bytes arrive; a connection whose
	// frame does not fit waits with its reads stalled (its input is held
	// up to MaxPausedBytes), and is closed with 1013 (Try Again Later)
	// beyond MaxPausedBytes or after BufferWaitTimeout. Messages that
	// arrive whole in one read reserve nothing, and a reserve of 1/16 is
	// kept for messages under 64 KiB, so small-message traffic goes on
	// while large senders wait. Outbound queues take room from inbound
	// reservations but never block a Send (MaxOutboundQueue bounds each).
	// A fragmented message that holds part of the budget always finishes:
	// one such connection at a time may go past the limit by one message.
	MaxBufferedBytes int64
	// BufferWaitTimeout bounds a connection's wait for the memory budget
	// before it is closed with 1013 (0 = 10 s).
	BufferWaitTimeout time.Duration

	// PingInterval sends a ping after this long without input (0 = never).
	// Without IdleTimeout, a connection silent for two intervals is closed.
	PingInterval time.Duration
	// IdleTimeout closes (1001) connections silent this long (0 = never).
	IdleTimeout time.Duration
	// WaitForCloseResponse keeps TCP open after a server-sent close until
	// the peer's close arrives (bounded by CloseTimeout).
	WaitForCloseResponse bool
	// CloseTimeout bounds the closing handshake and final drain (0 = 5 s).
	CloseTimeout time.Duration
	// DisconnectStatusCode and DisconnectStatusDescription are the close
	// code (0 = 1000) and reason used by Disconnect.
	DisconnectStatusCode        int
	DisconnectStatusDescription string

	// MaxTopicLength bounds a topic name in bytes (0 = 128).
	MaxTopicLength int
	// MaxSubscriptions bounds the topics one connection subscribes to
	// (0 = 128).
	MaxSubscriptions int
	// MaxPublishSize bounds a Publish payload, and a bridged Broadcast's
	// (0 = 1 MiB, NATS's default max_payload).
	MaxPublishSize int

	// TLS turns on wss:// when non-nil and Enabled.
	TLS *TLSConfig

	// HTTPHandler answers requests that are not WebSocket upgrades (health
	// checks, metrics, a demo page). It runs on its own goroutine; the
	// response is sent with Connection: close. nil = 426 Upgrade Required.
	HTTPHandler http.Handler

	// LogLevel selects OnLog and Logger output: 0 none, 1 info, 2 verbose, 3 debug.
	LogLevel int
	// Logger, when set, receives the same lines as OnLog.
	Logger *slog.Logger
}
