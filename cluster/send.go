package cluster

import (
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/wsloop/wsloop/api"
)

// outMsg is one publish waiting for the send goroutine. buf holds a copy of
// the payload, since a Bridge payload is valid only during the call.
type outMsg struct {
	topic  string // "" for a broadcast
	flags  byte
	format byte
	buf    *[]byte
}

// bufPool recycles payload copies, so a steady stream of publishes does not
// allocate.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooled keeps rare huge payloads out of the pool.
const maxPooled = 64 << 10

// maxSeqTopics bounds the per-topic sequence table; past it the table
// starts afresh under a new epoch, which receivers understand as a restart.
const maxSeqTopics = 1 << 16

// Interest implements api.Bridge: it records that this node gained its
// first (on) or lost its last (off) local subscriber of topic. The NATS
// subscription follows in the background; only the latest state of a
// topic matters, so calls never block and memory grows only with the
// topics that have local subscribers.
func (n *Node) Interest(topic string, on bool) {
	if n.closed.Load() {
		return
	}
	n.mu.Lock()
	n.want[topic] = on
	n.gen++
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Publish implements api.Bridge: it queues the message for the other
// nodes' subscribers of topic. It never blocks; see Stats for what it
// drops.
func (n *Node) Publish(topic string, format api.DataFormat, payload []byte) {
	n.enqueue(topic, 0, format, payload)
}

// Broadcast implements api.Bridge: it queues a message for every
// connection of the other nodes.
func (n *Node) Broadcast(format api.DataFormat, payload []byte) {
	n.enqueue("", flagBroadcast, format, payload)
}

func (n *Node) enqueue(topic string, flags byte, format api.DataFormat, payload []byte) {
	if n.closed.Load() {
		n.c.droppedClosed.Add(1)
		return
	}
	size := int64(headerLen(len(n.id)) + len(payload))
	if mp := n.maxPayload.Load(); mp > 0 && size > mp {
		n.c.droppedOversize.Add(1)
		return
	}
	if n.outBytes.Add(size) > int64(n.opts.SendQueueBytes) {
		n.outBytes.Add(-size)
		n.c.droppedSendQueue.Add(1)
		return
	}
	bp := bufPool.Get().(*[]byte)
	*bp = append((*bp)[:0], payload...)
	select {
	case n.out <- outMsg{topic: topic, flags: flags, format: byte(format), buf: bp}:
	default:
		n.outBytes.Add(-size)
		putBuf(bp)
		n.c.droppedSendQueue.Add(1)
	}
}

func putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooled {
		bufPool.Put(bp)
	}
}

// sendLoop hands queued messages to nats.go one at a time. It is the only
// goroutine that numbers messages, so each topic's sequence follows the
// order in which the node sends.
func (n *Node) sendLoop() {
	defer n.wg.Done()
	seqs := make(map[string]uint64)
	subjects := make(map[string]string)
	epoch := uint64(nowNano())
	var scratch []byte
	for {
		var m outMsg
		select {
		case <-n.done:
			return
		case m = <-n.out:
		}
		if len(seqs) >= maxSeqTopics {
			clear(seqs)
			clear(subjects)
			epoch++
		}
		subj := n.bcast
		if m.flags&flagBroadcast == 0 {
			s, ok := subjects[m.topic]
			if !ok {
				s = n.topicPrefix + m.topic
				subjects[m.topic] = s
			}
			subj = s
		}
		seq := seqs[m.topic] + 1
		seqs[m.topic] = seq
		scratch = appendEnvelope(scratch[:0], m.flags, m.format, n.id, epoch, seq, *m.buf)
		size := int64(headerLen(len(n.id)) + len(*m.buf))
		putBuf(m.buf)
		err := n.nc.Publish(subj, scratch)
		n.outBytes.Add(-size) // after Publish, so that Flush sees it in flight
		if cap(scratch) > maxPooled {
			scratch = nil
		}
		switch {
		case err == nil:
			n.c.published.Add(1)
		case errors.Is(err, nats.ErrReconnectBufExceeded):
			n.c.droppedReconnectBuffer.Add(1)
		case errors.Is(err, nats.ErrMaxPayload):
			n.c.droppedOversize.Add(1)
		default:
			n.c.droppedUnreachable.Add(1)
		}
	}
}
