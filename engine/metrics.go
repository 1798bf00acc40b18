package engine

import (
	"errors"
	"sync/atomic"

	"github.com/wsloop/wsloop/codec"
)

// Metrics are engine-wide counters, safe to read at any time. Every update
// is one atomic add: counting costs no allocation and no lock on a loop.
type Metrics struct {
	Accepted         atomic.Uint64 // TCP connections accepted
	Refused          atomic.Uint64 // refused by AllowedClients, MaxConnections, the per-IP limits, ConnectionRequest or StopListening
	RefusedPerIP     atomic.Uint64 // refused by MaxConnectionsPerIP (503) or HandshakeRatePerIP (429)
	Upgraded         atomic.Uint64 // WebSocket handshakes completed
	HandshakeErrors  atomic.Uint64 // upgrade requests answered with an HTTP error or timed out
	HTTPRequests     atomic.Uint64 // plain HTTP requests served
	MessagesIn       atomic.Uint64
	MessagesOut      atomic.Uint64
	BytesIn          atomic.Uint64 // payload bytes
	BytesOut         atomic.Uint64 // payload bytes
	ProtocolErrors   atomic.Uint64 // connections failed with a close code of their own: protocol violations (1002/1007/1009) and BudgetCloses (1013)
	SlowConsumers    atomic.Uint64 // connections closed by the slow-consumer policy
	BroadcastDropped atomic.Uint64 // broadcast deliveries skipped: the receiver's queue was full
	IdleTimeouts     atomic.Uint64
	Panics           atomic.Uint64 // event callbacks that panicked
	InflatedOffLoop  atomic.Uint64 // compressed messages larger than InflateInline, inflated by a worker
	Published        atomic.Uint64 // topic publishes delivered on this node (local and from other nodes)
	TopicDeliveries  atomic.Uint64 // topic messages queued to a subscriber
	TopicDropped     atomic.Uint64 // topic deliveries skipped: the subscriber's queue was full
	BudgetCloses     atomic.Uint64 // connections closed with 1013: over MaxPausedBytes or BufferWait while waiting for the memory budget

	// OpenWebSockets is the number of connections past Connected and not
	// yet closed (plain HTTP requests and handshakes in progress are not
	// in it).
	OpenWebSockets atomic.Int64
	// BroadcastDelivered counts broadcast messages queued to a receiver.
	BroadcastDelivered atomic.Uint64
	// TLSHandshakes and TLSHandshakeFailures count wsloop's own TLS
	// handshakes (Options.TLS) by outcome.
	TLSHandshakes        atomic.Uint64
	TLSHandshakeFailures atomic.Uint64
	// RefusedBy counts refused connections and upgrade requests by
	// reason, indexed by RefuseReason.
	RefusedBy [NumRefuseReasons]atomic.Uint64
	// ProtocolErrorsByCode counts protocol failures by the close code
	// sent, indexed like ProtocolErrorCodes (the last slot: other codes).
	ProtocolErrorsByCode [len(ProtocolErrorCodes) + 1]atomic.Uint64
}

// RefuseReason says why a connection or an upgrade request was refused.
type RefuseReason uint8

// Refusal reasons, the index of Metrics.RefusedBy.
const (
	RefusedPolicy         RefuseReason = iota // AllowedClients, ConnectionRequest or StopListening: TCP closed
	RefusedMaxConnections                     // 503 at MaxConnections
	RefusedBadRequest                         // 400: malformed or invalid upgrade request
	RefusedOrigin                             // 403: Origin not allowed
	RefusedMethod                             // 405: not GET
	RefusedWSVersion                          // 426: Sec-WebSocket-Version missing or not 13
	RefusedHeaderTooLarge                     // 431: request head over MaxHeaderBytes
	RefusedHTTPVersion                        // 505: not HTTP/1.x
	RefusedNotWebSocket                       // 426: plain HTTP request and no HTTPHandler
	RefusedApplication                        // the OpenRequest handler refused it
	RefusedTimeout                            // handshake deadline passed
	RefusedTLS                                // TLS handshake failed
	RefusedPerAddress                         // MaxConnectionsPerIP (503) or HandshakeRatePerIP (429)
	NumRefuseReasons
)

var refuseNames = [NumRefuseReasons]string{
	"policy", "max_connections", "bad_request", "origin", "method", "ws_version",
	"header_too_large", "http_version", "not_websocket", "application", "timeout", "tls",
	"per_address",
}

// String returns the reason's snake_case name (a metric label value).
func (r RefuseReason) String() string {
	if r < NumRefuseReasons {
		return refuseNames[r]
	}
	return "unknown"
}

// ProtocolErrorCodes are the close codes Metrics.ProtocolErrorsByCode
// counts one by one.
var ProtocolErrorCodes = [...]uint16{
	codec.CloseProtocolError, codec.CloseInvalidPayload, codec.ClosePolicyViolation,
	codec.CloseMessageTooBig, codec.CloseInternalError, codec.CloseTryAgainLater,
}

// Metrics returns the engine's counters.
func (e *Engine) Metrics() *Metrics { return &e.metrics }

// refuse counts one refusal.
func (m *Metrics) refuse(r RefuseReason) { m.RefusedBy[r].Add(1) }

// protocolError counts one protocol failure closed with code.
func (m *Metrics) protocolError(code uint16) {
	m.ProtocolErrors.Add(1)
	i := len(ProtocolErrorCodes)
	for j, c := range ProtocolErrorCodes {
		if c == code {
			i = j
			break
		}
	}
	m.ProtocolErrorsByCode[i].Add(1)
}

// refuseReasonOf maps a handshake error to its refusal reason.
func refuseReasonOf(err error) RefuseReason {
	if errors.Is(err, errForbiddenOrigin) {
		return RefusedOrigin
	}
	var he *codec.HandshakeError
	if errors.As(err, &he) {
		switch he.Status {
		case 405:
			return RefusedMethod
		case 426:
			return RefusedWSVersion
		case 431:
			return RefusedHeaderTooLarge
		case 505:
			return RefusedHTTPVersion
		}
	}
	return RefusedBadRequest
}

// InflateQueue reports the inflate workers at work and the large messages
// waiting for one.
func (e *Engine) InflateQueue() (running, queued int) {
	p := &e.inflaters
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running, len(p.queue)
}
