package api

import "github.com/wsloop/wsloop/engine"

// Defaults that a zero Config field means, for programs (such as a CLI's
// flags) that show or pass them explicitly.
const (
	// DefaultMaxOutboundQueue is MaxOutboundQueue's default: 1 MiB.
	DefaultMaxOutboundQueue = engine.DefaultMaxOutbound
	// DefaultMaxMessageSize is MaxMessageSize's default: 16 MiB.
	DefaultMaxMessageSize = engine.DefaultMaxMessageSize
	// DefaultConnectionTimeout is DefaultConnectionTimeout's default
	// (the handshake deadline): 10 s.
	DefaultConnectionTimeout = engine.DefaultHandshakeTimeout
)
