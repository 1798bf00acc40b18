// Package api is wsloop's public surface: the WebSocketServer component of
// IPWorks WebSockets, mapped to Go.
//
// A server is a Config (settings, zero value = safe defaults), an Events
// struct of optional handlers, and a Server created by New:
//
//	var srv *api.Server
//	srv = api.New(api.Config{LocalPort: 8080, BufferMessage: true}, api.Events{
//		OnDataIn: func(e *api.DataInEvent) {
//			_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data) // echo
//		},
//	})
//	if err := srv.Listen(); err != nil { ... }
//	defer srv.Shutdown(ctx)
//
// Events run on the connection's event loop, one at a time per connection;
// they must not block. Event structs and their byte slices are reused: they
// are valid only during the call. Every Server method is safe to call from
// any goroutine.
//
// # Topics
//
// Topics follow the uWebSockets pub/sub model: Server.Subscribe puts a
// connection on a named topic, Server.Publish sends one message to every
// subscriber. Each event loop keeps its own index from topic to its
// subscribers, so a publish takes no global lock, is framed (and compressed,
// for connections without server context takeover) once per loop, reaches
// each subscriber in the same single write per connection as Broadcast, and
// costs in proportion to the topic's subscribers, not to the server's
// connections. A connection's subscriptions end when it closes.
//
// Topic names map to NATS subject tokens: at most Config.MaxTopicLength
// bytes of letters, digits, '-' and '_', with '.' separating non-empty
// tokens (no '*', '>' or spaces). Config.MaxSubscriptions bounds one
// connection's topics and Config.MaxPublishSize a payload; each limit has
// its error (ErrTopicInvalid, ErrTopicTooLong, ErrTooManySubscriptions,
// ErrPayloadTooLarge).
//
// Delivery is at-most-once: a subscriber whose outbound queue is full is
// skipped (Metrics.TopicDropped) or closed with 1008, following
// Config.SlowConsumer. With a Bridge (Server.SetBridge; package cluster
// implements one on NATS) publishes and unfiltered broadcasts also reach the
// other nodes, which deliver them with PublishLocal and BroadcastLocal.
//
// # Mapping from the WebSocketServer component
//
// Properties:
//
//	LocalHost, LocalPort           Config.LocalHost, Config.LocalPort (0 = free port; Server.LocalPort reports it)
//	UseIPv6                        Config.UseIPv6 (listen on "::" when LocalHost is empty); IPv6 literals accepted in LocalHost
//	Listening                      Server.Listen, Server.Listening, Server.StopListening, Server.StartListening
//	ConnectionBacklog              Config.ConnectionBacklog (applied with listen(2); the OS caps it at somaxconn)
//	Connections                    Server.Connection(id), Server.Connections() (iter.Seq), Server.ConnectionCount()
//	Connections[i].ConnectionId    ConnectionInfo.ID (ConnID, never reused while the server runs)
//	Connections[i].RemoteHost/Port ConnectionInfo.RemoteHost, RemotePort
//	Connections[i].LocalAddress    ConnectionInfo.LocalAddress
//	Connections[i].Connected       ConnectionInfo.Connected
//	Connections[i].AcceptData      ConnectionInfo.AcceptData, Server.SetAcceptData
//	Connections[i].BytesSent       ConnectionInfo.BytesOut (and BytesIn, MessagesIn, MessagesOut, QueuedBytes)
//	Connections[i].Timeout         ConnectionInfo.Timeout, Server.SetTimeout
//	Connections[i].DataFormat      the DataFormat argument of SendMessage; DataInEvent.DataFormat
//	Connections[i].SubProtocol     ConnectionInfo.SubProtocol (and Extensions, ConnectedSince, TLS)
//	DefaultTimeout                 Config.DefaultTimeout (0 = non-blocking: ErrWouldBlock then OnReadyToSend)
//	UseSSL, SSLCert*, SSLAuthenticateClients  Config.TLS (see TLSConfig)
//
// Methods:
//
//	Send / SendText                Server.Send (binary), Server.SendText, Server.SendMessage (either), Server.SendUncompressed
//	SendFile                       Server.SendFile (streamed in 64 KiB fragments, waits for room)
//	Disconnect                     Server.Disconnect (DisconnectStatusCode/Description), Server.DisconnectWith(id, code, reason)
//	Interrupt                      Server.Interrupt (a waiting Send/SendFile returns ErrInterrupted)
//	Shutdown                       Server.Shutdown(ctx) (1001 to all, waits for replies and drain, stops loops)
//	Config                         Server.Config("Name=Value") sets, Server.Config("Name") gets
//	DoEvents                       Server.DoEvents (returns at once: the loops deliver events themselves)
//	Ping (later editions)          Server.Ping(id, payload)
//	(beyond) Broadcast             Server.Broadcast(format, msg, filter): framed and compressed once, one task per loop
//	(beyond) Topics                Server.Subscribe(id, topic), Server.Unsubscribe, Server.Publish(topic, format, msg),
//	                               Server.Subscribers(topic), Server.Topics(); framed once per loop, no global lock
//	(beyond) Cluster               Server.SetBridge(Bridge) (package cluster implements Bridge on NATS),
//	                               Server.PublishLocal, Server.BroadcastLocal for messages from other nodes
//
// Events:
//
//	ConnectionRequest              Events.OnConnectionRequest (Address, Port; out Accept), before any byte is read
//	WebSocketOpenRequest           Events.OnWebSocketOpenRequest (RequestURI, Host, Origin, SubProtocols, Extensions, Header(); out StatusCode, Reason, SubProtocol, ResponseHeaders, DisableCompression)
//	Connected                      Events.OnConnected (after the 101 is queued)
//	DataIn                         Events.OnDataIn (DataFormat Text/Binary/Pong, Data, EOM)
//	Disconnected                   Events.OnDisconnected (StatusCode: code received/sent, 1006 abnormal; Description)
//	Error                          Events.OnError (Code: close code or HTTP status; Description; Err for errors.Is)
//	Log                            Events.OnLog (LogLevel, Message, LogType) and Config.Logger (*slog.Logger)
//	ReadyToSend                    Events.OnReadyToSend (queue drained below half its limit after ErrWouldBlock)
//	SSLClientAuthentication        Events.OnSSLClientAuthentication (certificate, Subject, Issuer, Status; out Accept)
//	SSLConnectionRequest           Events.OnSSLConnectionRequest (ServerName, offered suites and algorithms; out Certificate)
//	SSLStatus                      Events.OnSSLStatus (handshake progress and negotiated parameters)
//
// Configuration settings. Each is declared once, by the tags of its field
// in Config, Compression or TLSConfig; this table is generated from them
// (go generate). Columns: the Server.Config name (case-insensitive), the
// Go field ("!" = its negation), then the default, the range, whether it
// may change after Listen, and the `wsloop serve` flag:
//
//	LocalHost                    LocalHost: address to listen on ("" = all interfaces)
//	LocalPort                    LocalPort (default 0; 0..65535): TCP port (0 = pick a free one; Server.LocalPort reports it)
//	UseIPv6                      UseIPv6 (default false): listen on "::" when LocalHost is empty
//	ConnectionBacklog            ConnectionBacklog (default 0; 0..1048576): listen backlog (0 = OS default; the OS caps it at somaxconn)
//	BindExclusively              BindExclusively (default false): SO_REUSEADDR off
//	ReusePort                    ReusePort (default false; -reuseport): give each event loop its own SO_REUSEPORT listener
//	EventLoops                   EventLoops (default 0; 0..1024; -loops): event loops (0 = GOMAXPROCS)
//	DefaultTimeout               DefaultTimeout (default 0s): each connection's Send timeout (0 = non-blocking: ErrWouldBlock, then OnReadyToSend)
//	DefaultConnectionTimeout     DefaultConnectionTimeout (default 10s; -handshake-timeout): deadline for the TCP+TLS+HTTP handshake
//	KeepAliveTime                KeepAliveTime (default 0s): TCP keep-alive idle time (0 = off)
//	KeepAliveInterval            KeepAliveInterval (default 0s): TCP keep-alive probe interval
//	TcpNoDelay                   !TCPDelay (default true): the negation of: Nagle's algorithm on (off by default, as in Go)
//	InBufferSize                 InBufferSize (default 0; 0..1073741824): SO_RCVBUF (0 = OS default)
//	OutBufferSize                OutBufferSize (default 0; 0..1073741824): SO_SNDBUF (0 = OS default); the user-space queue is MaxOutboundQueue
//	AllowedClients               AllowedClients (-allowed-clients): comma-separated IPs/CIDRs allowed to connect (empty = any); others are closed before any byte is read
//	MaxConnections               MaxConnections (default 0; 0..1073741824; -max-conns): refuse connections beyond this many with 503 (0 = no limit)
//	MaxConnectionsPerIP          MaxConnectionsPerIP (default 0; 0..1073741824; -max-conns-per-ip): refuse a source address's connections beyond this many with 503 (0 = no limit)
//	HandshakeRatePerIP           HandshakeRatePerIP (default 0; 0..1073741824; -handshake-rate-per-ip): new connections per second allowed from one source address, 429 beyond (0 = no limit)
//	HandshakeBurstPerIP          HandshakeBurstPerIP (default 0; 0..1073741824; -handshake-burst-per-ip): burst of new connections allowed from one source address (0 = the rate)
//	BufferMessage                BufferMessage (default false): one OnDataIn per whole message, bounded by MaxMessageSize
//	MaxMessageSize               MaxMessageSize (default 16777216; -max-message): largest incoming message in bytes, 1009 beyond (<0 = no limit)
//	MaxFrameSize                 MaxFrameSize (default 0; 0..1073741824): outgoing messages are fragmented above it (0 = never)
//	MaxHeaderBytes               MaxHeaderBytes (default 8192; 0..1048576): upgrade request head limit, 431 beyond
//	Origins                      Origins (-origins): comma-separated cross-origin patterns to allow, e.g. '*.example.com,localhost:*' or 'https://app.example.com'; '*' = any (default: same origin only, others get 403)
//	Subprotocols                 Subprotocols: the server's subprotocols in preference order
//	Compression                  Compression.Enabled (default false; -compress): offer permessage-deflate (RFC 7692)
//	ServerContextTakeover        Compression.ServerContextTakeover (default false): keep the server's compression window between messages
//	ClientContextTakeover        Compression.ClientContextTakeover (default false): let the client keep its window (costs an inflate window per connection)
//	ServerMaxWindowBits          Compression.ServerMaxWindowBits (default 0; 0..15): 8..15 (0 = 15)
//	ClientMaxWindowBits          Compression.ClientMaxWindowBits (default 0; 0..15): 8..15 (0 = 15)
//	CompressionLevel             Compression.Level (default 0; 0..9): 1..9 (0 = fast default)
//	CompressionThreshold         Compression.Threshold (default 0; -1..1073741824): messages shorter than this go uncompressed (0 = codec default)
//	MaxDecompressedSize          Compression.MaxDecompressedSize (default 0): inflated size limit of one message, 1009 beyond (0 = MaxMessageSize)
//	InlineInflateSize            Compression.InlineInflateSize (default 262144): largest message inflated on the event loop; larger ones go to a worker (<0 = always on the loop)
//	InflateWorkers               Compression.InflateWorkers (default 0; 0..1024): goroutines inflating large messages (0 = half of GOMAXPROCS, at least 1)
//	MaxOutboundQueue             MaxOutboundQueue (default 1048576; 0..1073741824; -max-outbound): per-connection outbound queue limit in bytes
//	SlowConsumer                 SlowConsumer (default wouldblock): beyond MaxOutboundQueue: wouldblock (ErrWouldBlock, OnReadyToSend) or close (1008)
//	SlowConsumerClose            SlowConsumer (true = close) (default false): beyond MaxOutboundQueue: wouldblock (ErrWouldBlock, OnReadyToSend) or close (1008)
//	MaxPausedBytes               MaxPausedBytes (default 1048576; 0..1073741824): input held while AcceptData is off, 1008 beyond
//	MaxBufferedBytes             MaxBufferedBytes (default 0; -max-buffered): memory budget in bytes for the whole server: messages being received and outbound queues (0 = a quarter of GOMEMLIMIT, else 512 MiB; <0 = none)
//	BufferWaitTimeout            BufferWaitTimeout (default 10s; -buffer-wait): close with 1013 a connection waiting this long for the memory budget
//	PingInterval                 PingInterval (default 0s; -ping): send a ping after this long without input (0 = off)
//	IdleTimeout                  IdleTimeout (default 0s; -idle): close (1001) connections silent this long (0 = off)
//	WaitForCloseResponse         WaitForCloseResponse (default false): wait for the peer's close reply before closing TCP (bounded by CloseTimeout)
//	CloseTimeout                 CloseTimeout (default 5s): bound of the closing handshake and final drain
//	DisconnectStatusCode         DisconnectStatusCode (default 1000; 0..4999): close code used by Disconnect
//	DisconnectStatusDescription  DisconnectStatusDescription: close reason used by Disconnect
//	MaxTopicLength               MaxTopicLength (default 128; 0..65536): longest topic name in bytes
//	MaxSubscriptions             MaxSubscriptions (default 128; 0..1048576): topics one connection may subscribe to
//	MaxPublishSize               MaxPublishSize (default 1048576; 0..1073741824): largest Publish payload, and bridged Broadcast's, in bytes
//	UseSSL                       TLS.Enabled (default false): serve wss://
//	SSLCertStorePassword         TLS.Password: password of the PKCS#12 store
//	SSLCertSubject               TLS.CertSubject: required subject (common name or DN) of the certificate ("" or * = any)
//	SSLIncludeCertChain          !TLS.OmitCertChain (default true): the negation of: send the leaf alone, without its intermediates
//	SSLClientAuth                TLS.ClientAuth (default none): ask clients for certificates: none, request or require
//	SSLAuthenticateClients       TLS.ClientAuth (true = request) (default false): ask clients for certificates: none, request or require
//	SSLCACerts                   TLS.ClientCAPEM: PEM CA certificates for client authentication
//	SSLClientCAFile              TLS.ClientCAFile: PEM file of CA certificates for client authentication
//	OpenSSLCAFile                TLS.ClientCAFile: PEM file of CA certificates for client authentication
//	SSLClientCADir               TLS.ClientCADir: directory of PEM CA certificates for client authentication
//	OpenSSLCADir                 TLS.ClientCADir: directory of PEM CA certificates for client authentication
//	SSLCheckCRL                  TLS.CheckCRL (default off): check client certificates against loaded CRLs: off (0), ifpresent (1), required (2)
//	SSLClientCRLFile             TLS.ClientCRLFile: file of CRLs (PEM or DER) for SSLCheckCRL
//	SSLEnabledCipherSuites       TLS.CipherSuites (default *): TLS 1.0-1.2 suites: IANA names or 0x ids, comma-separated (* = Go's defaults)
//	SSLCipherStrength            TLS.MinCipherStrength (default 0; 0..256): minimum key bits of the bulk cipher (0 = any)
//	TLS12SupportedGroups         TLS.CurvePreferences (default *): key-exchange groups: x25519, secp256r1, ... (Go has one list for both versions)
//	TLS13SupportedGroups         TLS.CurvePreferences (default *): key-exchange groups: x25519, secp256r1, ... (Go has one list for both versions)
//	SSLALPNProtocols             TLS.NextProtos: ALPN protocols, comma-separated
//	SSLSessionTicketsDisabled    TLS.SessionTicketsDisabled (default false): session resumption with tickets off
//	ReuseSSLSession              !TLS.SessionTicketsDisabled (default true): the negation of: session resumption with tickets off
//	SSLMaxConcurrentHandshakes   TLS.MaxConcurrentHandshakes (default 64; 0..65536): TLS handshakes running at once; more wait in a queue without a goroutine
//	LogSSLPackets                TLS.LogPackets (default false): log TLS packets (direction, length, first bytes) at debug level
//	LogLevel                     LogLevel (default 0; 0..3; runtime; -log): log level: 0 none, 1 info (startup, errors, summaries), 2 verbose (a line per connection event), 3 debug
//	SSLCertStoreType             TLSConfig (default PEMKEY_FILE): how SSLCertStore is read: PEMKEY_FILE (CertFile=KeyFile), PEMKEY_BLOB (CertPEM=KeyPEM), PFXFILE (PKCS12File), PFXBLOB (PKCS12, base64)
//	SSLCertStore                 TLSConfig: the certificate file name or blob, as SSLCertStoreType says
//	SSLEnabledProtocols          TLSConfig (default 15360): MinVersion/MaxVersion as the component's bitmask: TLS1.3 12288, TLS1.2 3072, TLS1.1 768, TLS1.0 192 (one contiguous range)
//	TLS13CipherSuites            refused: Go's crypto/tls does not allow configuring TLS 1.3 cipher suites
//	TLS12SignatureAlgorithms     refused: Go's crypto/tls does not allow configuring signature algorithms
//	TLS13SignatureAlgorithms     refused: Go's crypto/tls does not allow configuring signature algorithms
//	TLS13KeyShareGroups          refused: key shares are chosen by the client; the server follows TLS13SupportedGroups
//	SSLEnableRenegotiation       TLSConfig (default false): false only: Go's TLS server never renegotiates
//	SSLProvider                  TLSConfig read-only: Go crypto/tls and the Go version
//	OpenSSLCipherList            refused: wsloop uses Go's crypto/tls; use SSLEnabledCipherSuites
//	OpenSSLPrngSeedData          refused: Go's crypto/rand seeds itself
//	SSLServerCACerts             refused: it verifies a server's certificate, and wsloop is the server; client certificates are verified against SSLCACerts
//	SSLSecurityFlags             refused: its flags relax Windows SChannel checks of a server certificate; a client certificate's verification result goes to OnSSLClientAuthentication, whose Accept decides
//
// Per connection (Server.Config("Name[id]")):
//
//	MessageLength[id]            read/write: bytes left of the streamed message; write: announce one of that many bytes (Server.SetMessageLength)
//	Timeout[id]                  read/write: the connection's Send timeout in seconds (Server.SetTimeout)
//	AcceptData[id]               read/write: reading on (true) or paused (false) (Server.SetAcceptData)
//	SSLNegotiatedVersion[id]     read-only: protocol version ("TLS 1.3"), after the TLS handshake
//	SSLNegotiatedCipher[id]      read-only: IANA cipher suite name, after the TLS handshake
//	SSLNegotiatedCipherSuite[id] read-only: same as SSLNegotiatedCipher, after the TLS handshake
//	SSLNegotiatedCipherStrength[id] read-only: key bits of the bulk cipher, after the TLS handshake
//	SSLNegotiatedServerName[id]  read-only: the client's SNI, after the TLS handshake
//	SSLNegotiatedALPN[id]        read-only: the ALPN protocol chosen, after the TLS handshake
//	SSLNegotiatedResumed[id]     read-only: whether the session was resumed, after the TLS handshake
//	SSLNegotiatedPeerSubject[id] read-only: the client certificate's subject, after the TLS handshake
//
// Go-only fields (no text form):
//
//	TLS.Certificate              certificate chain and key, ready
//	TLS.PKCS12                   PKCS#12 blob (SSLCertStoreType=PFXBLOB, SSLCertStore)
//	TLS.PKCS12File               PKCS#12 file (SSLCertStoreType=PFXFILE, SSLCertStore)
//	TLS.CertPEM                  PEM chain, leaf first (SSLCertStoreType=PEMKEY_BLOB, SSLCertStore)
//	TLS.KeyPEM                   PEM key (may equal CertPEM)
//	TLS.CertFile                 PEM chain file (SSLCertStoreType=PEMKEY_FILE, SSLCertStore)
//	TLS.KeyFile                  PEM key file (may equal CertFile)
//	TLS.ClientCAs                roots for client certificates
//	TLS.ClientCRLs               parsed CRLs for SSLCheckCRL
//	TLS.MinVersion               lowest protocol version (SSLEnabledProtocols)
//	TLS.MaxVersion               highest protocol version (SSLEnabledProtocols)
//	HTTPHandler                  answers requests that are not WebSocket upgrades (nil = 426)
//	Logger                       receives the same lines as OnLog
//
// Beyond the component: MaxMessageSize (1009), MaxHeaderBytes (431), Origins
// (same origin by default, 403 beyond; host patterns; OnWebSocketOpenRequest
// may overrule), MaxConnectionsPerIP (503) and HandshakeRatePerIP/
// HandshakeBurstPerIP (429), both off by default, Subprotocols, Compression (permessage-deflate, RFC 7692; large
// messages and bombs are inflated off the event loops, see
// Compression.InlineInflateSize), PingInterval and IdleTimeout, MaxOutboundQueue with SlowConsumer policy
// (would-block or close 1008), MaxPausedBytes, MaxBufferedBytes (a memory
// budget for the whole server: waits, then 1013) with BufferWaitTimeout, HTTPHandler for
// non-WebSocket requests, Metrics, EventLoops, ReusePort.
//
// Mounting in net/http: Server.Upgrade (or Server.Handler) takes an upgrade
// request from any http.Server, mux or middleware chain and hands the
// connection to the event loops (WebSocketOpenRequestEvent.Request is the
// *http.Request). Prometheus: package promwsloop exports Metrics as a
// prometheus.Collector.
package api

//go:generate go test . -run ^TestSettingsDoc$ -update
