package api

import (
	"strconv"

	"github.com/wsloop/wsloop/engine"
)

// Metrics is a snapshot of the server's counters.
type Metrics struct {
	// Connections is the number of open WebSocket connections (plain HTTP
	// requests and handshakes in progress are not counted).
	Connections int
	// TCPConnections is the number of open TCP connections: WebSockets,
	// handshakes in progress and plain HTTP requests being answered.
	TCPConnections   int
	Accepted         uint64 // TCP connections accepted
	Refused          uint64 // refused by AllowedClients, MaxConnections, the per-IP limits, OnConnectionRequest or StopListening
	RefusedPerIP     uint64 // refused by MaxConnectionsPerIP (503) or HandshakeRatePerIP (429)
	Upgraded         uint64 // WebSocket handshakes completed
	HandshakeErrors  uint64 // upgrade requests refused or timed out
	HTTPRequests     uint64 // plain HTTP requests served by HTTPHandler
	MessagesIn       uint64
	MessagesOut      uint64
	BytesIn          uint64 // payload bytes
	BytesOut         uint64 // payload bytes
	ProtocolErrors   uint64 // connections failed with 1002/1007/1008/1009, or 1013 (counted in BufferCloses too)
	SlowConsumers    uint64 // connections closed by the slow-consumer policy
	BroadcastDropped uint64 // broadcast deliveries skipped because the receiver's queue was full (WouldBlock policy)
	IdleTimeouts     uint64
	Panics           uint64 // event handlers that panicked
	InflatedOffLoop  uint64 // compressed messages larger than InlineInflateSize, inflated by a worker
	Published        uint64 // topic publishes delivered on this node (its own and those from other nodes)
	TopicDeliveries  uint64 // topic messages queued to a subscriber
	TopicDropped     uint64 // topic deliveries skipped because the subscriber's queue was full (WouldBlock policy)
	BufferedBytes    int64  // bytes the memory budget (MaxBufferedBytes) counts now
	BufferWaiting    int    // connections waiting for the memory budget now
	BufferCloses     uint64 // connections closed with 1013: still waiting for the budget after BufferWaitTimeout, or past MaxPausedBytes meanwhile

	BroadcastDelivered   uint64 // broadcast messages queued to a receiver
	InflateRunning       int    // inflate workers at work now
	InflateQueued        int    // large compressed messages waiting for an inflate worker
	TLSHandshakes        uint64 // TLS handshakes completed (Config.TLS)
	TLSHandshakeFailures uint64 // TLS handshakes that failed
	// RefusedBy counts refusals (TCP and upgrade) by reason: policy,
	// max_connections, bad_request, origin, method, ws_version,
	// header_too_large, http_version, not_websocket, application,
	// timeout, tls, per_address.
	RefusedBy map[string]uint64
	// ProtocolErrorsByCode counts protocol failures by the close code
	// sent ("other" for codes without their own entry).
	ProtocolErrorsByCode map[string]uint64
}

func metricsOf(e *engine.Engine) Metrics {
	m := e.Metrics()
	running, queued := e.InflateQueue()
	out := Metrics{
		Connections:          int(m.OpenWebSockets.Load()),
		TCPConnections:       e.ConnectionCount(),
		Accepted:             m.Accepted.Load(),
		Refused:              m.Refused.Load(),
		Upgraded:             m.Upgraded.Load(),
		HandshakeErrors:      m.HandshakeErrors.Load(),
		HTTPRequests:         m.HTTPRequests.Load(),
		MessagesIn:           m.MessagesIn.Load(),
		MessagesOut:          m.MessagesOut.Load(),
		BytesIn:              m.BytesIn.Load(),
		BytesOut:             m.BytesOut.Load(),
		ProtocolErrors:       m.ProtocolErrors.Load(),
		SlowConsumers:        m.SlowConsumers.Load(),
		BroadcastDropped:     m.BroadcastDropped.Load(),
		IdleTimeouts:         m.IdleTimeouts.Load(),
		Panics:               m.Panics.Load(),
		InflatedOffLoop:      m.InflatedOffLoop.Load(),
		RefusedPerIP:         m.RefusedPerIP.Load(),
		BufferedBytes:        e.BudgetInUse(),
		BufferWaiting:        e.BudgetWaiting(),
		BufferCloses:         m.BudgetCloses.Load(),
		Published:            m.Published.Load(),
		TopicDeliveries:      m.TopicDeliveries.Load(),
		TopicDropped:         m.TopicDropped.Load(),
		BroadcastDelivered:   m.BroadcastDelivered.Load(),
		InflateRunning:       running,
		InflateQueued:        queued,
		TLSHandshakes:        m.TLSHandshakes.Load(),
		TLSHandshakeFailures: m.TLSHandshakeFailures.Load(),
		RefusedBy:            make(map[string]uint64, engine.NumRefuseReasons),
		ProtocolErrorsByCode: make(map[string]uint64, len(m.ProtocolErrorsByCode)),
	}
	for r := range engine.NumRefuseReasons {
		out.RefusedBy[r.String()] = m.RefusedBy[r].Load()
	}
	for i := range m.ProtocolErrorsByCode {
		name := "other"
		if i < len(engine.ProtocolErrorCodes) {
			name = strconv.Itoa(int(engine.ProtocolErrorCodes[i]))
		}
		out.ProtocolErrorsByCode[name] = m.ProtocolErrorsByCode[i].Load()
	}
	return out
}
