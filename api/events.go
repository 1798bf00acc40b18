package api

import (
	"crypto/x509"
	"net/http"

	"github.com/wsloop/wsloop/codec"
)

// ConnID identifies a connection. IDs are never reused while a server runs.
type ConnID uint64

// DataFormat is the type of a message.
type DataFormat uint8

// Message types.
const (
	DataText   DataFormat = 1 // UTF-8 text message
	DataBinary DataFormat = 2 // binary message
	DataPong   DataFormat = 3 // a pong control frame's payload (DataInEvent only)
)

// String returns "text", "binary" or "pong".
func (f DataFormat) String() string {
	switch f {
	case DataText:
		return "text"
	case DataBinary:
		return "binary"
	case DataPong:
		return "pong"
	}
	return "unknown"
}

func formatOf(op codec.OpCode) DataFormat {
	switch op {
	case codec.OpText:
		return DataText
	case codec.OpPong:
		return DataPong
	}
	return DataBinary
}

func opOf(f DataFormat) codec.OpCode {
	if f == DataText {
		return codec.OpText
	}
	return codec.OpBinary
}

// Events holds the server's event handlers; nil fields are skipped. Every
// handler runs on the connection's event loop, one at a time per
// connection (except the SSL events that run during the TLS handshake, on
// its goroutine: see SSLConnectionRequestEvent), and must not block (no blocking I/O, no waiting Send, no
// SendFile: hand such work to a goroutine). Event structs are reused
// between calls: do not keep pointers to them, and copy byte slices (they are
// valid only during the call). A panic in a handler never ends the process:
// it closes only the connection concerned (1011 when its WebSocket is open;
// a failed handshake for the SSL events), counts in Metrics.Panics and is
// reported once through OnError, whose Err is or wraps an
// *engine.PanicError; a panic in OnError or OnLog is counted and dropped.
type Events struct {
	OnConnectionRequest       func(*ConnectionRequestEvent)
	OnWebSocketOpenRequest    func(*WebSocketOpenRequestEvent)
	OnConnected               func(*ConnectedEvent)
	OnDataIn                  func(*DataInEvent)
	OnDisconnected            func(*DisconnectedEvent)
	OnError                   func(*ErrorEvent)
	OnLog                     func(*LogEvent)
	OnReadyToSend             func(*ReadyToSendEvent)
	OnSSLClientAuthentication func(*SSLClientAuthenticationEvent)
	OnSSLConnectionRequest    func(*SSLConnectionRequestEvent)
	OnSSLStatus               func(*SSLStatusEvent)
}

// ConnectionRequestEvent fires for a new TCP connection before any byte is
// read, after AllowedClients allowed it. Set Accept to false to refuse it.
type ConnectionRequestEvent struct {
	Address string // remote IP
	Port    int    // remote port
	Accept  bool   // out: true (default) accepts
}

// WebSocketOpenRequestEvent fires for each valid upgrade request. The
// handler may reject it (StatusCode 4xx/5xx), choose a subprotocol, and add
// response headers.
type WebSocketOpenRequestEvent struct {
	ConnectionID ConnID
	RequestURI   string
	Host         string
	Origin       string
	SubProtocols []string // offered by the client, in order
	Extensions   []string // offered extension items, in order
	// StatusCode is 101 to accept (default), or the HTTP status to reject
	// with. It comes pre-set to 403, with Reason "origin not allowed", when
	// the request failed the Origin check (see Config.Origins); setting it
	// to 101 accepts the request anyway.
	StatusCode int
	// Reason is the body of a rejection.
	Reason string
	// SubProtocol is the chosen subprotocol (pre-set to the server's
	// preference from Config.Subprotocols); it must be one of SubProtocols.
	SubProtocol string
	// ResponseHeaders are added to the response (101 or rejection).
	ResponseHeaders http.Header
	// DisableCompression refuses permessage-deflate for this connection.
	DisableCompression bool
	// Request is the net/http request of a connection mounted with
	// Server.Upgrade (so that what middleware attached to it, such as an
	// authenticated user in its Context, is reachable); nil for
	// connections from wsloop's own listener.
	Request *http.Request
	header  func(string) string
}

// Header returns the first value of a request header (case-insensitive
// name), "" if absent.
func (e *WebSocketOpenRequestEvent) Header(name string) string { return e.header(name) }

// ConnectedEvent fires once the 101 response is queued.
type ConnectedEvent struct {
	ConnectionID ConnID
	StatusCode   int    // 101
	Description  string // "Switching Protocols"
}

// DataInEvent delivers a message (Config.BufferMessage) or a piece of one.
// Data is valid only during the call.
type DataInEvent struct {
	ConnectionID ConnID
	DataFormat   DataFormat
	Data         []byte
	// EOM is true on the last piece of a message (always with BufferMessage,
	// for compressed messages, and for pongs).
	EOM bool
}

// DisconnectedEvent fires once per connection that reached Connected.
type DisconnectedEvent struct {
	ConnectionID ConnID
	StatusCode   int    // close code received or sent; 1006 if the TCP connection just ended
	Description  string // close reason
}

// ErrorEvent reports a failure on a connection (ConnectionID 0 for
// server-level errors): protocol violations (Code is the close code sent),
// refused handshakes (Code is the HTTP status), timeouts, TLS failures, and
// panics in event handlers (the connection is closed with 1011).
type ErrorEvent struct {
	ConnectionID ConnID
	Code         int
	Description  string
	Err          error
}

// LogEvent carries a log line when Config.LogLevel enables it.
type LogEvent struct {
	ConnectionID ConnID
	LogLevel     int // 1 info, 2 verbose, 3 debug
	Message      string
	LogType      string // "Info", "Verbose" or "Debug"
}

// ReadyToSendEvent fires when an outbound queue that refused a send with
// ErrWouldBlock has drained below half its limit.
type ReadyToSendEvent struct {
	ConnectionID ConnID
}

// SSLClientAuthenticationEvent fires when a TLS client presents a
// certificate (TLSConfig.ClientAuth request or require). Accept is pre-set
// to the result of wsloop's verification against the configured client
// CAs (Status says why it failed); the handler may change it. It runs on
// the connection's handshake goroutine, not its event loop: the struct is
// allocated per call and the handler may run concurrently with others; it
// must return quickly. Certificates are shared with crypto/tls: do not
// modify them.
type SSLClientAuthenticationEvent struct {
	ConnectionID ConnID
	Certificate  *x509.Certificate   // the client's leaf certificate
	Chain        []*x509.Certificate // everything the client sent, leaf first
	CertEncoded  []byte              // DER of Certificate
	Subject      string
	Issuer       string
	Status       string // "ok" or the verification error
	Accept       bool   // out: false refuses the handshake (bad_certificate alert)
}

// SSLConnectionRequestEvent fires when a ClientHello arrives and a
// certificate must be chosen (not on TLS 1.3 resumptions). The handler may
// choose the certificate for this connection, e.g. by ServerName (SNI). It
// runs on the connection's handshake goroutine, not its event loop: the
// struct is allocated per call and the handler may run concurrently with
// others; it must return quickly.
type SSLConnectionRequestEvent struct {
	ConnectionID        ConnID
	ServerName          string       // SNI ("" if none)
	SupportedCiphers    []string     // offered cipher suites (IANA names)
	SignatureAlgorithms []string     // offered signature schemes
	SupportedVersions   []string     // offered versions ("TLS 1.3", ...)
	Certificate         *Certificate // out: certificate to use (nil = configured)
}

// SSLStatusEvent reports TLS handshake progress: "TLS handshake started"
// when the ClientHello is read (on the handshake goroutine, like the other
// SSL events), then "TLS handshake completed: TLS 1.3, <cipher>, ..." or
// "TLS handshake failed: ..." on the connection's event loop.
type SSLStatusEvent struct {
	ConnectionID ConnID
	Message      string
}
