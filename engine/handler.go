package engine

import (
	"log/slog"
	"net/netip"

	"github.com/wsloop/wsloop/codec"
)

// Handler receives the engine's events. Every method runs on the
// connection's event loop, one at a time per connection, and must not block.
// Byte slices passed in are valid only during the call. The engine calls
// the Handler only through its recovering wrapper (user.go): a panic in a
// method closes only the connection concerned and is reported through
// Error as a *PanicError; a panic in Error or Log is counted and dropped.
type Handler interface {
	// Accept decides on a new TCP connection before any byte is read.
	Accept(remote netip.AddrPort, local netip.AddrPort) bool
	// OpenRequest decides on a WebSocket upgrade request. resp is
	// pre-filled with status 101 and the negotiated subprotocol; the
	// handler may change it.
	OpenRequest(c *Conn, req *codec.Request, resp *OpenResponse)
	// Connected runs after the 101 response is queued.
	Connected(c *Conn)
	// Data delivers a message or a fragment of one: op is OpText, OpBinary
	// or OpPong; eom marks the end of the message.
	Data(c *Conn, op codec.OpCode, data []byte, eom bool)
	// Disconnected runs once per connection that reached Connected, or that
	// failed during its handshake (code 1006 then).
	Disconnected(c *Conn, code uint16, reason string)
	// Error reports a failure on a connection (c may be nil for
	// engine-level errors).
	Error(c *Conn, err error)
	// ReadyToSend runs when an outbound queue that refused a send has
	// drained below its low-water mark.
	ReadyToSend(c *Conn)
	// Log reports engine activity at level 1 (info), 2 (verbose) or 3
	// (debug): a constant message and its values as attributes (code,
	// reason, ...). The engine only calls it for levels the handler
	// enabled.
	Log(c *Conn, level int, msg string, attrs ...slog.Attr)
	// LogLevel is the highest level the handler wants Log calls for.
	LogLevel() int
}

// OpenResponse is the answer to an upgrade request, filled by
// Handler.OpenRequest.
type OpenResponse struct {
	// Status is 101 to accept; any 4xx/5xx rejects with that status. It
	// comes pre-set to 403 ("origin not allowed") when the Origin check
	// failed: setting 101 accepts the cross-origin request anyway.
	Status      int
	Reason      string // body of a rejection
	Subprotocol []byte // chosen subprotocol; must be one the client offered
	Headers     []byte // extra response header lines ("Name: value\r\n" each)
	// Compress turns off permessage-deflate for this connection when false.
	Compress bool
}
