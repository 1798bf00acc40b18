package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/wsloop/wsloop/engine"
)

// SlowConsumerPolicy says what happens when a connection's outbound queue
// is over Config.MaxOutboundQueue. Its text forms are "wouldblock" and
// "close".
type SlowConsumerPolicy = engine.SlowConsumerPolicy

// Slow-consumer policies.
const (
	// WouldBlock refuses sends with ErrWouldBlock (or waits up to the
	// connection's Timeout) and fires OnReadyToSend once the queue drains.
	WouldBlock = engine.PolicyWouldBlock
	// CloseSlowConsumer closes the connection with 1008.
	CloseSlowConsumer = engine.PolicyClose
)

// Each setting is declared once, by the tags of its field in Config,
// Compression or TLSConfig (see settings.go, which reads them once):
//
//	ws       the Server.Config name(s), comma-separated: "!Name" is the
//	         field's negation, "Name=text" a boolean that is true when the
//	         field holds the value whose text is text; "-" = no string form
//	default  the default, in Server.Config's text form (the effective value
//	         of the zero field)
//	range    "min,max" for numbers (inclusive)
//	runtime  "true": may change after Listen
//	engine   the engine.Options field it becomes ("!Name" negated, dotted
//	         for nested fields)
//	flag     the `wsloop serve` flag, where it has one
//	doc      the one-line meaning: the godoc mapping row and the flag usage
//
// The godoc mapping table in doc.go is generated from them (go generate).

// Compression configures permessage-deflate (RFC 7692). The zero value is
// off. With both context-takeover fields false (the default) no connection
// keeps compression state between messages, so idle connections hold no
// compression memory.
type Compression struct {
	Enabled               bool  `ws:"Compression" default:"false" engine:"Deflate.Enabled" flag:"compress" doc:"offer permessage-deflate (RFC 7692)"`
	ServerContextTakeover bool  `ws:"ServerContextTakeover" default:"false" engine:"Deflate.ServerContextTakeover" doc:"keep the server's compression window between messages"`
	ClientContextTakeover bool  `ws:"ClientContextTakeover" default:"false" engine:"Deflate.ClientContextTakeover" doc:"let the client keep its window (costs an inflate window per connection)"`
	ServerMaxWindowBits   int   `ws:"ServerMaxWindowBits" default:"0" range:"0,15" engine:"Deflate.ServerMaxWindowBits" doc:"8..15 (0 = 15)"`
	ClientMaxWindowBits   int   `ws:"ClientMaxWindowBits" default:"0" range:"0,15" engine:"Deflate.ClientMaxWindowBits" doc:"8..15 (0 = 15)"`
	Level                 int   `ws:"CompressionLevel" default:"0" range:"0,9" engine:"Deflate.Level" doc:"1..9 (0 = fast default)"`
	Threshold             int   `ws:"CompressionThreshold" default:"0" range:"-1,1073741824" engine:"Deflate.Threshold" doc:"messages shorter than this go uncompressed (0 = codec default)"`
	MaxDecompressedSize   int64 `ws:"MaxDecompressedSize" default:"0" engine:"DecompressedLimit" doc:"inflated size limit of one message, 1009 beyond (0 = MaxMessageSize)"`
	// InlineInflateSize is the largest inflated message inflated on the
	// event loop; larger ones (and compression bombs) are inflated by a
	// worker goroutine while that connection's reads wait, so they do not
	// stall other connections (<0 = always on the loop).
	InlineInflateSize int64 `ws:"InlineInflateSize" default:"262144" engine:"InflateInline" doc:"largest message inflated on the event loop; larger ones go to a worker (<0 = always on the loop)"`
	// InflateWorkers bounds the goroutines inflating large messages, each
	// holding up to MaxDecompressedSize.
	InflateWorkers int `ws:"InflateWorkers" default:"0" range:"0,1024" engine:"InflateWorkers" doc:"goroutines inflating large messages (0 = half of GOMAXPROCS, at least 1)"`
}

// Config holds the server's settings. Set them before Listen; the zero
// value of every field is a safe default. Server.Config and Config.Set read
// and write them by their WebSocketServer names (the ws tags).
type Config struct {
	// LocalHost is the address to listen on ("" = all IPv4 interfaces, or
	// all interfaces with UseIPv6). IPv6 literals are accepted.
	LocalHost string `ws:"LocalHost" default:"" doc:"address to listen on (\"\" = all interfaces)"`
	// LocalPort is the TCP port (0 = pick a free one; see Server.LocalPort).
	LocalPort int `ws:"LocalPort" default:"0" range:"0,65535" doc:"TCP port (0 = pick a free one; Server.LocalPort reports it)"`
	// UseIPv6 listens on "::" when LocalHost is empty.
	UseIPv6 bool `ws:"UseIPv6" default:"false" doc:"listen on \"::\" when LocalHost is empty"`
	// ConnectionBacklog is the listen backlog (0 = the OS default, capped
	// by net.core.somaxconn).
	ConnectionBacklog int `ws:"ConnectionBacklog" default:"0" range:"0,1048576" engine:"Backlog" doc:"listen backlog (0 = OS default; the OS caps it at somaxconn)"`
	// BindExclusively turns SO_REUSEADDR off.
	BindExclusively bool `ws:"BindExclusively" default:"false" engine:"!ReuseAddr" doc:"SO_REUSEADDR off"`
	// ReusePort gives each event loop its own SO_REUSEPORT listener. A
	// single event loop (EventLoops 1, or GOMAXPROCS 1) always accepts on
	// its own listener, with SO_REUSEPORT set: gnet's separate accept thread
	// would hold the only P while it waits.
	ReusePort bool `ws:"ReusePort" default:"false" engine:"ReusePort" flag:"reuseport" doc:"give each event loop its own SO_REUSEPORT listener"`
	// EventLoops is the number of event loops (0 = GOMAXPROCS).
	EventLoops int `ws:"EventLoops" default:"0" range:"0,1024" engine:"NumLoops" flag:"loops" doc:"event loops (0 = GOMAXPROCS)"`

	// DefaultTimeout is each new connection's Send timeout: 0 = non-blocking
	// (ErrWouldBlock, then OnReadyToSend); > 0 = Send waits up to that long.
	DefaultTimeout time.Duration `ws:"DefaultTimeout" default:"0" engine:"SendTimeout" doc:"each connection's Send timeout (0 = non-blocking: ErrWouldBlock, then OnReadyToSend)"`
	// DefaultConnectionTimeout bounds the TCP+TLS+HTTP handshake (slowloris
	// guard); negative = none.
	DefaultConnectionTimeout time.Duration `ws:"DefaultConnectionTimeout" default:"10" engine:"HandshakeTimeout" flag:"handshake-timeout" doc:"deadline for the TCP+TLS+HTTP handshake"`
	// KeepAliveTime and KeepAliveInterval turn on TCP keep-alive when > 0.
	KeepAliveTime     time.Duration `ws:"KeepAliveTime" default:"0" engine:"KeepAlive" doc:"TCP keep-alive idle time (0 = off)"`
	KeepAliveInterval time.Duration `ws:"KeepAliveInterval" default:"0" engine:"KeepInterval" doc:"TCP keep-alive probe interval"`
	// TCPDelay turns Nagle's algorithm on. By default it is off
	// (TCP_NODELAY), as in Go's net package; the component's TcpNoDelay
	// setting is its negation.
	TCPDelay bool `ws:"!TcpNoDelay" default:"false" engine:"!TCPNoDelay" doc:"Nagle's algorithm on (off by default, as in Go)"`
	// InBufferSize and OutBufferSize set SO_RCVBUF and SO_SNDBUF (0 = OS default).
	InBufferSize  int `ws:"InBufferSize" default:"0" range:"0,1073741824" engine:"SocketRecvBuf" doc:"SO_RCVBUF (0 = OS default)"`
	OutBufferSize int `ws:"OutBufferSize" default:"0" range:"0,1073741824" engine:"SocketSendBuf" doc:"SO_SNDBUF (0 = OS default); the user-space queue is MaxOutboundQueue"`

	// AllowedClients is a comma-separated list of IPs and CIDR prefixes
	// allowed to connect ("" = everyone); others are closed before any
	// byte is read.
	AllowedClients string `ws:"AllowedClients" default:"" flag:"allowed-clients" doc:"comma-separated IPs/CIDRs allowed to connect (empty = any); others are closed before any byte is read"`
	// MaxConnections refuses connections beyond this many with HTTP 503 (0 = no limit).
	MaxConnections int `ws:"MaxConnections" default:"0" range:"0,1073741824" engine:"MaxConnections" flag:"max-conns" doc:"refuse connections beyond this many with 503 (0 = no limit)"`
	// MaxConnectionsPerIP refuses a source address's connections beyond
	// this many open ones with HTTP 503, before any byte is read (0 = no
	// limit; off by default because clients behind one NAT, and load
	// generators on loopback, share an address).
	MaxConnectionsPerIP int `ws:"MaxConnectionsPerIP" default:"0" range:"0,1073741824" engine:"MaxConnectionsPerIP" flag:"max-conns-per-ip" doc:"refuse a source address's connections beyond this many with 503 (0 = no limit)"`
	// HandshakeRatePerIP bounds the new connections per second from one
	// source address, as a token bucket holding HandshakeBurstPerIP
	// (0 = the rate); beyond it they get HTTP 429 before any byte is read
	// (0 = no limit, the default).
	HandshakeRatePerIP  int `ws:"HandshakeRatePerIP" default:"0" range:"0,1073741824" engine:"HandshakeRatePerIP" flag:"handshake-rate-per-ip" doc:"new connections per second allowed from one source address, 429 beyond (0 = no limit)"`
	HandshakeBurstPerIP int `ws:"HandshakeBurstPerIP" default:"0" range:"0,1073741824" engine:"HandshakeBurstPerIP" flag:"handshake-burst-per-ip" doc:"burst of new connections allowed from one source address (0 = the rate)"`

	// BufferMessage delivers each message whole in one OnDataIn (bounded by
	// MaxMessageSize) instead of piece by piece as frames arrive.
	BufferMessage bool `ws:"BufferMessage" default:"false" engine:"BufferMessage" doc:"one OnDataIn per whole message, bounded by MaxMessageSize"`
	// MaxMessageSize bounds an incoming message; beyond it the connection is
	// closed with 1009 (negative = no limit).
	MaxMessageSize int64 `ws:"MaxMessageSize" default:"16777216" engine:"MaxMessageSize" flag:"max-message" doc:"largest incoming message in bytes, 1009 beyond (<0 = no limit)"`
	// MaxFrameSize fragments outgoing messages larger than this (0 = never).
	MaxFrameSize int `ws:"MaxFrameSize" default:"0" range:"0,1073741824" engine:"MaxFrameSize" doc:"outgoing messages are fragmented above it (0 = never)"`
	// MaxHeaderBytes bounds the upgrade request head (431 beyond).
	MaxHeaderBytes int `ws:"MaxHeaderBytes" default:"8192" range:"0,1048576" engine:"MaxHeaderBytes" doc:"upgrade request head limit, 431 beyond"`
	// Origins lists the cross-origin upgrades to allow. By default (empty)
	// an upgrade whose Origin header names another host than its Host
	// header gets 403 and an OnError event (cross-site WebSocket hijacking
	// guard); requests without Origin (non-browser clients) and same-origin
	// requests are always allowed. Entries are path.Match patterns on the
	// Origin's host[:port] ("*.example.com", "localhost:*"), or on the whole
	// Origin when they contain "://" ("https://app.example.com"); "*"
	// turns the check off. OnWebSocketOpenRequest sees a refused request
	// with StatusCode 403 and may still accept it.
	Origins []string `ws:"Origins" default:"" engine:"Origins" flag:"origins" doc:"comma-separated cross-origin patterns to allow, e.g. '*.example.com,localhost:*' or 'https://app.example.com'; '*' = any (default: same origin only, others get 403)"`
	// Subprotocols lists the server's subprotocols in preference order; the
	// first one the client offers is chosen.
	Subprotocols []string `ws:"Subprotocols" default:"" engine:"Subprotocols" doc:"the server's subprotocols in preference order"`
	// Compression configures permessage-deflate.
	Compression Compression

	// MaxOutboundQueue bounds each connection's queued outgoing bytes;
	// SlowConsumer says what happens beyond it.
	MaxOutboundQueue int                `ws:"MaxOutboundQueue" default:"1048576" range:"0,1073741824" engine:"MaxOutbound" flag:"max-outbound" doc:"per-connection outbound queue limit in bytes"`
	SlowConsumer     SlowConsumerPolicy `ws:"SlowConsumer,SlowConsumerClose=close" default:"wouldblock" engine:"SlowConsumer" doc:"beyond MaxOutboundQueue: wouldblock (ErrWouldBlock, OnReadyToSend) or close (1008)"`
	// MaxPausedBytes bounds input held while a connection's AcceptData is
	// off; beyond it the connection is closed with 1008.
	MaxPausedBytes int `ws:"MaxPausedBytes" default:"1048576" range:"0,1073741824" engine:"MaxPausedBytes" doc:"input held while AcceptData is off, 1008 beyond"`

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
	MaxBufferedBytes int64 `ws:"MaxBufferedBytes" default:"0" engine:"MaxBufferedBytes" flag:"max-buffered" doc:"memory budget in bytes for the whole server: messages being received and outbound queues (0 = a quarter of GOMEMLIMIT, else 512 MiB; <0 = none)"`
	// BufferWaitTimeout bounds a connection's wait for the memory budget
	// before it is closed with 1013.
	BufferWaitTimeout time.Duration `ws:"BufferWaitTimeout" default:"10" engine:"BufferWait" flag:"buffer-wait" doc:"close with 1013 a connection waiting this long for the memory budget"`

	// PingInterval sends a ping after this long without input (0 = never).
	// Without IdleTimeout, a connection silent for two intervals is closed.
	PingInterval time.Duration `ws:"PingInterval" default:"0" engine:"PingInterval" flag:"ping" doc:"send a ping after this long without input (0 = off)"`
	// IdleTimeout closes (1001) connections silent this long (0 = never).
	IdleTimeout time.Duration `ws:"IdleTimeout" default:"0" engine:"IdleTimeout" flag:"idle" doc:"close (1001) connections silent this long (0 = off)"`
	// WaitForCloseResponse keeps TCP open after a server-sent close until
	// the peer's close arrives (bounded by CloseTimeout).
	WaitForCloseResponse bool `ws:"WaitForCloseResponse" default:"false" engine:"WaitForCloseReply" doc:"wait for the peer's close reply before closing TCP (bounded by CloseTimeout)"`
	// CloseTimeout bounds the closing handshake and final drain.
	CloseTimeout time.Duration `ws:"CloseTimeout" default:"5" engine:"CloseWait" doc:"bound of the closing handshake and final drain"`
	// DisconnectStatusCode and DisconnectStatusDescription are the close
	// code (0 = 1000) and reason used by Disconnect.
	DisconnectStatusCode        int    `ws:"DisconnectStatusCode" default:"1000" range:"0,4999" engine:"DisconnectCode" doc:"close code used by Disconnect"`
	DisconnectStatusDescription string `ws:"DisconnectStatusDescription" default:"" engine:"DisconnectReason" doc:"close reason used by Disconnect"`

	// MaxTopicLength bounds a topic name in bytes.
	MaxTopicLength int `ws:"MaxTopicLength" default:"128" range:"0,65536" engine:"MaxTopicLength" doc:"longest topic name in bytes"`
	// MaxSubscriptions bounds the topics one connection subscribes to.
	MaxSubscriptions int `ws:"MaxSubscriptions" default:"128" range:"0,1048576" engine:"MaxSubscriptions" doc:"topics one connection may subscribe to"`
	// MaxPublishSize bounds a Publish payload, and a bridged Broadcast's
	// (the default is NATS's default max_payload).
	MaxPublishSize int `ws:"MaxPublishSize" default:"1048576" range:"0,1073741824" engine:"MaxPublishSize" doc:"largest Publish payload, and bridged Broadcast's, in bytes"`

	// TLS turns on wss:// when non-nil and Enabled.
	TLS *TLSConfig

	// HTTPHandler answers requests that are not WebSocket upgrades (health
	// checks, metrics, a demo page). It runs on its own goroutine; the
	// response is sent with Connection: close. nil = 426 Upgrade Required.
	HTTPHandler http.Handler `ws:"-" engine:"HTTPHandler" doc:"answers requests that are not WebSocket upgrades (nil = 426)"`

	// LogLevel selects OnLog and Logger output: 0 none, 1 info, 2 verbose, 3 debug.
	LogLevel int `ws:"LogLevel" default:"0" range:"0,3" runtime:"true" flag:"log" doc:"log level: 0 none, 1 info (startup, errors, summaries), 2 verbose (a line per connection event), 3 debug"`
	// Logger, when set, receives the same lines as OnLog.
	Logger *slog.Logger `ws:"-" doc:"receives the same lines as OnLog"`
}
