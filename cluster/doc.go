// Package cluster spreads the topics and broadcasts of several api.Server
// instances (nodes, in one or many processes and machines) over NATS, so
// that one audience can outgrow one process.
//
// Join installs a Node as a server's api.Bridge. From then on:
//
//   - Server.Publish reaches the topic's subscribers on every node, and a
//     Broadcast without a filter reaches every connection of every node.
//   - A node listens on a topic's subject only while it has local
//     subscribers of the topic, so a publish costs one NATS message per
//     node that has subscribers, never one per connection. Nodes without
//     interest receive nothing.
//   - The server delivers a node's own publishes to its local subscribers
//     at once, without a round trip through NATS. The NATS connection is
//     opened with no echo, and the origin id in the envelope drops the
//     node's own messages should one come back anyway: a subscriber never
//     gets a message twice.
//   - Nothing on an event loop waits for NATS. Bridge calls copy the
//     payload into a bounded send queue (or drop it); one goroutine hands
//     the queue to nats.go, another hands received messages to the server.
//
// # Delivery is at-most-once
//
// A message can be lost on its way between nodes; it is never duplicated.
// Every loss is counted (Node.Stats): a full send queue, NATS unreachable
// with nats.go's reconnect buffer full, a closed connection, a payload over
// the NATS server's max_payload, a receiver that falls behind (NATS slow
// consumer), and, on the receiving side, holes in each sender's per-topic
// sequence (Stats.Missed). A NATS outage never stops local delivery; the
// node reconnects by itself, forever, and its memory stays bounded while it
// waits (SendQueueBytes, ReconnectBuffer, ReceiveQueue).
//
// # Subjects
//
// A topic travels on <Prefix>.t.<topic> and broadcasts on <Prefix>.b, with
// Prefix "wsloop" by default. Topic names are valid NATS subject tokens
// separated by dots (the api package checks them).
//
// # Wire format (version 1)
//
// Each NATS message payload is an envelope followed by the application
// payload, integers big-endian:
//
//	offset  size  field
//	0       1     version: 1
//	1       1     flags: bit 0 = broadcast; other bits are reserved, sent as
//	              0 and ignored by receivers
//	2       1     data format: 1 text, 2 binary (api.DataFormat)
//	3       1     n, the length of the origin id
//	4       n     origin: the sending node's random id (Node.ID)
//	4+n     8     epoch: the sender's sequence epoch (its start time in ns,
//	              increased when it restarts its sequence table)
//	12+n    8     sequence: per topic (and for broadcasts) per sender and
//	              epoch, starting at 1, without holes on the sender
//	20+n    ...   payload
//
// The topic is the subject's part after <Prefix>.t., so the message is
// self-describing in a NATS stream. (origin, epoch, sequence) identify a
// message and order it per topic: that is what a later replay of missed
// messages from a JetStream stream needs, and it can be added with new flag
// bits or header fields behind a new version byte without breaking nodes
// of version 1, which drop (and count) messages of versions they do not
// know.
package cluster
