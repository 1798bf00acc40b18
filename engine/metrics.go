package engine

import "sync/atomic"

// Metrics are engine-wide counters, safe to read at any time.
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
}

// Metrics returns the engine's counters.
func (e *Engine) Metrics() *Metrics { return &e.metrics }
