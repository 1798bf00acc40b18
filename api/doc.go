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
// Configuration settings (Config fields; Server.Config names are the left column):
//
//	BufferMessage                  Config.BufferMessage (one DataIn per whole message, bounded by MaxMessageSize)
//	DisconnectStatusCode/Description  Config.DisconnectStatusCode, Config.DisconnectStatusDescription
//	MaxFrameSize                   Config.MaxFrameSize (outgoing messages are fragmented above it)
//	MessageLength[id]              Server.SetMessageLength (streaming send: following Sends are fragments)
//	WaitForCloseResponse           Config.WaitForCloseResponse (bounded by Config.CloseTimeout)
//	AllowedClients                 Config.AllowedClients (IPs and CIDRs; others closed before the handshake)
//	BindExclusively                Config.BindExclusively (SO_REUSEADDR off)
//	DefaultConnectionTimeout       Config.DefaultConnectionTimeout (TCP+TLS+HTTP handshake deadline)
//	InBufferSize, OutBufferSize    Config.InBufferSize, Config.OutBufferSize (SO_RCVBUF/SO_SNDBUF); the user-space
//	                               outbound queue is bounded by Config.MaxOutboundQueue
//	KeepAliveTime/Interval         Config.KeepAliveTime, Config.KeepAliveInterval
//	MaxConnections                 Config.MaxConnections (HTTP 503 beyond)
//	TcpNoDelay                     !Config.TCPDelay (Nagle is off by default, as in Go's net package)
//	UseIPv6                        Config.UseIPv6
//	LogLevel                       Config.LogLevel (0 none … 3 debug; changeable after Listen)
//	SSL*, TLS12*, TLS13*, OpenSSL* TLSConfig fields; SSLNegotiated*[id] readable through Server.Config
//	MaxTopicLength (beyond)        Config.MaxTopicLength (topic name bytes, 128 default; ErrTopicTooLong)
//	MaxSubscriptions (beyond)      Config.MaxSubscriptions (topics per connection, 128 default; ErrTooManySubscriptions)
//	MaxPublishSize (beyond)        Config.MaxPublishSize (publish payload, 1 MiB default as NATS max_payload; ErrPayloadTooLarge)
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
