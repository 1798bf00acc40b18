package cluster

import (
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/wsloop/wsloop/api"
)

// seqState is the last message seen from one origin on one subscription.
type seqState struct {
	epoch, seq uint64
}

// maxSeqEntries bounds the receiver's sequence table; past it the table
// starts afresh (a gap that spans the reset goes uncounted).
const maxSeqEntries = 1 << 16

// receiveLoop hands messages from the other nodes to the local server. The
// server only queues them to its loops, so this goroutine keeps up unless
// the machine is saturated; when it falls ReceiveQueue messages behind,
// nats.go drops the excess as a slow consumer (counted).
func (n *Node) receiveLoop() {
	defer n.wg.Done()
	seen := make(map[*nats.Subscription]map[string]*seqState)
	entries := 0
	for {
		var m *nats.Msg
		select {
		case <-n.done:
			return
		case <-n.retire:
			n.mu.Lock()
			for _, s := range n.retired {
				entries -= len(seen[s])
				delete(seen, s)
			}
			n.retired = n.retired[:0]
			n.mu.Unlock()
			continue
		case m = <-n.in:
		}
		e, err := decodeEnvelope(m.Data)
		if err != nil {
			n.c.badEnvelope.Add(1)
			continue
		}
		if (m.Subject == n.bcast) != (e.flags&flagBroadcast != 0) {
			n.c.badEnvelope.Add(1) // the flag and the subject disagree
			continue
		}
		if string(e.origin) == n.id {
			n.c.ownDropped.Add(1)
			continue
		}
		// Gaps in an origin's sequence are messages this node missed.
		bySub := seen[m.Sub]
		if bySub == nil && m.Sub.IsValid() {
			bySub = make(map[string]*seqState)
			seen[m.Sub] = bySub
		}
		if bySub == nil { // a subscription that just ended: nothing to track
		} else if st := bySub[string(e.origin)]; st == nil {
			if entries >= maxSeqEntries {
				clear(seen)
				entries = 0
				bySub = make(map[string]*seqState)
				seen[m.Sub] = bySub
			}
			bySub[string(e.origin)] = &seqState{epoch: e.epoch, seq: e.seq}
			entries++
		} else if st.epoch != e.epoch {
			*st = seqState{epoch: e.epoch, seq: e.seq}
		} else if e.seq > st.seq {
			n.c.missed.Add(e.seq - st.seq - 1)
			st.seq = e.seq
		}
		if e.flags&flagBroadcast != 0 {
			err = n.srv.BroadcastLocal(api.DataFormat(e.format), e.payload)
		} else {
			err = n.srv.PublishLocal(strings.TrimPrefix(m.Subject, n.topicPrefix), api.DataFormat(e.format), e.payload)
		}
		if err != nil {
			n.c.droppedLocal.Add(1)
			continue
		}
		n.c.received.Add(1)
	}
}

// interestLoop applies interest changes to the NATS subscriptions: a node
// listens on a topic's subject only while it has local subscribers.
func (n *Node) interestLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case <-n.kick:
		}
		n.mu.Lock()
		changes, gen := n.want, n.gen
		n.want = make(map[string]bool, len(changes))
		n.mu.Unlock()
		for topic, on := range changes {
			subj := n.topicPrefix + topic
			n.mu.Lock()
			sub := n.subs[subj]
			n.mu.Unlock()
			switch {
			case on && sub == nil:
				s, err := n.nc.ChanSubscribe(subj, n.in)
				if err != nil {
					n.c.subscribeErrors.Add(1)
					n.opts.Logger.Warn("cluster: subscribe failed", "node", n.opts.Name, "subject", subj, "err", err)
					continue
				}
				n.mu.Lock()
				n.subs[subj] = s
				n.mu.Unlock()
			case !on && sub != nil:
				dropped, _ := sub.Dropped()
				_ = sub.Unsubscribe()
				n.mu.Lock()
				delete(n.subs, subj)
				n.slowOld += uint64(max(dropped, 0))
				n.retired = append(n.retired, sub)
				n.mu.Unlock()
				select {
				case n.retire <- struct{}{}:
				default:
				}
			}
		}
		n.mu.Lock()
		n.applied = gen
		n.mu.Unlock()
	}
}
