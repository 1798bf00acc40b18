package cluster

import (
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// Options configures a Node. The zero value of every field but URL picks a
// safe default.
type Options struct {
	// URL is the NATS server URL, or several separated by commas
	// (nats://127.0.0.1:4222 when empty).
	URL string
	// Name is the node's human-readable name, shown in Stats and used as the
	// NATS connection name (host name and process id when empty). The
	// envelope carries a random id that is unique per Join instead, so two
	// nodes with the same name never take each other's messages for their
	// own.
	Name string
	// Prefix is the first subject token of every subject the node uses
	// ("wsloop" when empty): topics travel on Prefix.t.<topic>, broadcasts
	// on Prefix.b. Clusters that share a NATS server need distinct
	// prefixes.
	Prefix string
	// SendQueue bounds the messages waiting to be handed to NATS (8192
	// when 0) and SendQueueBytes their bytes (64 MiB when 0). A message that
	// finds either full is dropped and counted in Stats.DroppedSendQueue.
	SendQueue      int
	SendQueueBytes int
	// ReconnectBuffer bounds the bytes nats.go keeps while it reconnects
	// (8 MiB when 0). Publishes beyond it are dropped and counted in
	// Stats.DroppedReconnectBuffer.
	ReconnectBuffer int
	// ReceiveQueue bounds the messages received from NATS and not yet
	// handed to the server (8192 when 0). Messages beyond it are dropped by
	// nats.go as a slow consumer and counted in Stats.DroppedSlow. The
	// queue holds at most ReceiveQueue times the largest message in memory.
	ReceiveQueue int
	// ReconnectWait is the pause between reconnection attempts (250 ms
	// when 0). The node retries forever, also when NATS is down at Join.
	ReconnectWait time.Duration
	// NATSOptions are applied after the node's own options, for
	// credentials, TLS and the like. Options that change reconnection or
	// echo may break the node's guarantees.
	NATSOptions []nats.Option
	// Logger receives connection changes and drops (slog.Default when nil).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.URL == "" {
		o.URL = nats.DefaultURL
	}
	if o.Prefix == "" {
		o.Prefix = "wsloop"
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 8192
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = 64 << 20
	}
	if o.ReconnectBuffer <= 0 {
		o.ReconnectBuffer = 8 << 20
	}
	if o.ReceiveQueue <= 0 {
		o.ReceiveQueue = 8192
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = 250 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
