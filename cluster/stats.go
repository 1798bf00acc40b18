package cluster

import (
	"sync/atomic"
	"time"
)

// counters are the node's statistics, updated without locks.
type counters struct {
	published, received                      atomic.Uint64
	reconnects, disconnects                  atomic.Uint64
	droppedSendQueue, droppedReconnectBuffer atomic.Uint64
	droppedUnreachable, droppedOversize      atomic.Uint64
	droppedClosed, droppedLocal              atomic.Uint64
	ownDropped, badEnvelope, missed          atomic.Uint64
	subscribeErrors                          atomic.Uint64
}

// Stats is a snapshot of a node's counters. Delivery across nodes is
// at-most-once: every message that does not make it is counted in one of
// the Dropped fields on the node that lost it, and a receiver counts the
// holes in each origin's sequence in Missed.
type Stats struct {
	Name      string // the node's name
	Connected bool   // the NATS connection is up
	Topics    int    // topic subjects the node listens on (those with local subscribers)

	Published   uint64 // messages handed to NATS
	Received    uint64 // messages from other nodes delivered to the local server
	Reconnects  uint64 // successful reconnections to NATS
	Disconnects uint64 // lost NATS connections

	DroppedSendQueue       uint64 // the send queue was full (SendQueue, SendQueueBytes)
	DroppedReconnectBuffer uint64 // NATS was unreachable and nats.go's reconnect buffer was full (ReconnectBuffer)
	DroppedUnreachable     uint64 // the NATS connection was closed or refused the publish
	DroppedOversize        uint64 // envelope and payload over the NATS server's max_payload
	DroppedSlow            uint64 // received while ReceiveQueue was full (NATS slow consumer)
	DroppedClosed          uint64 // Bridge calls after Close
	DroppedLocal           uint64 // the local server refused a received message (shut down)
	BadEnvelope            uint64 // received messages with an unknown version or truncated header
	OwnDropped             uint64 // this node's own messages that came back (not delivered twice)

	// Missed counts holes in the per-topic sequences of the other nodes,
	// seen while this node listened, from the first message it received
	// from each of them on a subscription: messages lost on the way whatever the
	// cause, including those counted as dropped by their sender once
	// numbered (reconnect buffer, unreachable). A sender's full send queue
	// drops before numbering and shows only on the sender.
	Missed uint64

	SubscribeErrors uint64 // NATS subscriptions that failed (the topic is then local only)
}

// Dropped is the sum of the Dropped counters.
func (s Stats) Dropped() uint64 {
	return s.DroppedSendQueue + s.DroppedReconnectBuffer + s.DroppedUnreachable + s.DroppedOversize +
		s.DroppedSlow + s.DroppedClosed + s.DroppedLocal
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	c := &n.c
	s := Stats{
		Name:                   n.opts.Name,
		Connected:              n.nc.IsConnected(),
		Published:              c.published.Load(),
		Received:               c.received.Load(),
		Reconnects:             c.reconnects.Load(),
		Disconnects:            c.disconnects.Load(),
		DroppedSendQueue:       c.droppedSendQueue.Load(),
		DroppedReconnectBuffer: c.droppedReconnectBuffer.Load(),
		DroppedUnreachable:     c.droppedUnreachable.Load(),
		DroppedOversize:        c.droppedOversize.Load(),
		DroppedClosed:          c.droppedClosed.Load(),
		DroppedLocal:           c.droppedLocal.Load(),
		BadEnvelope:            c.badEnvelope.Load(),
		OwnDropped:             c.ownDropped.Load(),
		Missed:                 c.missed.Load(),
		SubscribeErrors:        c.subscribeErrors.Load(),
	}
	n.mu.Lock()
	s.DroppedSlow = n.slowOld
	for subj, sub := range n.subs {
		if d, err := sub.Dropped(); err == nil {
			s.DroppedSlow += uint64(d)
		}
		if subj != n.bcast {
			s.Topics++
		}
	}
	n.mu.Unlock()
	return s
}

func nowNano() int64 { return time.Now().UnixNano() }
