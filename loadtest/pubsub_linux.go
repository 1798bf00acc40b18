package loadtest

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
)

// pubsubRun is the state of one pubsub run. Publisher and subscriber state
// is kept by connection number, so a connection dialled again after a drop
// continues the sequences of the one it replaces.
type pubsubRun struct {
	p     *PubSub
	nodes []nodeCounters
	pub   [][]atomic.Uint64 // [publisher][topic]: publishes sent so far (the next sequence number)
	sub   []subState        // [connection]

	published  atomic.Uint64
	subscribed atomic.Uint64
	refused    atomic.Uint64
	reconnects atomic.Uint64

	mu     sync.Mutex
	redial []int      // connections dropped during the run (soak)
	gaps   []gapEvent // sequence gaps, for the outages' losses
	outs   []PubSubOutage
	filler []byte
}

// nodeCounters are one node's counters, shared by the loops.
type nodeCounters struct {
	subscribers, deliveries, lost, dups atomic.Uint64
	lastDelivery                        atomic.Int64 // ns since the run's start
}

// subState is one subscriber's view of each publisher's sequence.
type subState struct {
	active bool     // subscription confirmed at least once
	exp    []uint64 // next expected sequence number, per publisher
	seen   []bool   // a message from the publisher arrived
}

type gapEvent struct {
	node int
	at   int64
	n    uint64
}

func (p *PubSub) setup(ctx context.Context, r *runner) error {
	pr := &pubsubRun{p: p, nodes: make([]nodeCounters, len(r.targets)), pub: make([][]atomic.Uint64, p.Publishers),
		sub: make([]subState, r.o.Conns)}
	for i := range pr.pub {
		pr.pub[i] = make([]atomic.Uint64, p.Topics)
	}
	pr.filler = newPattern(p.Size).tmpl[:p.Size]
	p.run = pr
	r.plan = loadPlan{role: rolePubSub, op: wsclient.OpText, rate: p.Rate, msgLimit: limitOf(p.Messages), measured: true, pubsub: pr}
	if err := r.openConns(ctx); err != nil {
		return err
	}
	// Publishing starts once every open connection's subscription is
	// confirmed (bounded by Options.Timeout), so that no subscriber counts
	// what was published before it joined.
	limit := time.Now().Add(r.o.Timeout)
	for ctx.Err() == nil && time.Now().Before(limit) && pr.subscribed.Load() < uint64(max(r.c.open.Load(), 0)) {
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func (p *PubSub) traffic(ctx context.Context, r *runner) error {
	pr := p.run
	var done func() bool
	if p.Messages > 0 {
		done = func() bool { return pr.published.Load() >= uint64(p.Messages) }
	}
	if p.Soak {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { pr.redialLoop(ctx, r, stop) })
		defer func() { close(stop); wg.Wait() }()
	}
	// Drained once deliveries have stopped growing for a while.
	var last uint64
	var since time.Time
	r.holdTraffic(ctx, done, func(t msgTotals) bool {
		if t.recv != last || since.IsZero() {
			last, since = t.recv, time.Now()
			return false
		}
		return time.Since(since) >= max(200*time.Millisecond, p.OutageGap/2)
	})
	return nil
}

// redialLoop dials the dropped connections again every Reconnect until
// stop is closed.
func (pr *pubsubRun) redialLoop(ctx context.Context, r *runner, stop chan struct{}) {
	tk := time.NewTicker(pr.p.Reconnect)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if r.phase.Load() != phTraffic {
			continue
		}
		pr.mu.Lock()
		ids := pr.redial
		pr.redial = nil
		pr.mu.Unlock()
		var failed []int
		for _, id := range ids {
			if r.redialConn(ctx, rolePubSub, id) {
				pr.reconnects.Add(1)
			} else {
				failed = append(failed, id)
			}
		}
		pr.mu.Lock()
		pr.redial = append(pr.redial, failed...)
		pr.mu.Unlock()
	}
}

// dropped notes a connection the server or the network ended (soak).
func (pr *pubsubRun) dropped(id int) {
	pr.mu.Lock()
	pr.redial = append(pr.redial, id)
	pr.mu.Unlock()
}

func (p *PubSub) result(r *runner, res *Result) {
	pr := p.run
	st := &PubSubStats{Topics: p.Topics, Publishers: p.Publishers, Published: pr.published.Load(), Subscribed: pr.subscribed.Load(),
		Reconnects: pr.reconnects.Load(), ServerRefused: pr.refused.Load()}
	// What never arrived: each confirmed subscriber's expected sequence
	// against what its topic's publishers sent.
	for id := range pr.sub {
		s := &pr.sub[id]
		if !s.active {
			continue
		}
		t, node := pr.topicOf(id, len(r.targets)), id%len(r.targets)
		for pi := range pr.pub {
			if sent := pr.pub[pi][t].Load(); sent > s.exp[pi] {
				pr.nodes[node].lost.Add(sent - s.exp[pi])
			}
		}
	}
	all := newHist()
	end := int64(r.trafficEnd)
	for i := range pr.nodes {
		n := &pr.nodes[i]
		h := newHist()
		for _, l := range r.loops {
			if i < len(l.nodeRec) && l.nodeRec[i] != nil {
				h.Merge(l.nodeRec[i].total)
			}
		}
		all.Merge(h)
		st.Nodes = append(st.Nodes, PubSubNode{URL: r.targets[i].url, Subscribers: n.subscribers.Load(), Deliveries: n.deliveries.Load(),
			Lost: n.lost.Load(), Duplicates: n.dups.Load(), Latency: latencyOf(h)})
		st.Deliveries += n.deliveries.Load()
		st.Lost += n.lost.Load()
		st.Duplicates += n.dups.Load()
		if last := n.lastDelivery.Load(); p.Soak && st.Published > 0 && end-last >= int64(p.OutageGap) {
			pr.outs = append(pr.outs, PubSubOutage{Node: i, FromS: float64(last) / 1e9}) // never resumed
		}
	}
	for i := range pr.outs {
		o := &pr.outs[i]
		for _, g := range pr.gaps {
			if g.node == o.Node && float64(g.at)/1e9 >= o.ResumedS && (o.ResumedS == 0 || float64(g.at)/1e9 <= o.ResumedS+p.OutageGap.Seconds()) {
				o.Lost += g.n
			}
		}
	}
	st.Outages = pr.outs
	st.Latency = latencyOf(all)
	if res.TrafficS > 0 {
		st.DeliveriesPS = float64(r.recvAtEnd.recv) / res.TrafficS
	}
	res.Latency = st.Latency
	res.lat = all
	res.Messages.Expected = st.Deliveries + st.Lost
	res.Messages.Missing = st.Lost
	res.Config.Rate, res.Config.Size = p.Rate, p.Size
	res.PubSub = st
}

// pubsubOpen subscribes a new connection to its topic.
func (c *conn) pubsubOpen() {
	pr := c.l.r.plan.pubsub
	l := c.l
	l.scratch = append(append(l.scratch[:0], "sub "...), pr.p.TopicName...)
	l.scratch = strconv.AppendInt(l.scratch, int64(c.topic()), 10)
	c.out = wsclient.AppendFrame(c.out, wsclient.OpText, l.scratch, c.mask())
	l.queue(c)
}

// topic is the connection's topic.
func (c *conn) topic() int { return c.l.r.plan.pubsub.topicOf(int(c.id), len(c.l.r.targets)) }

// topicOf is the topic of connection id with m nodes: the connections of
// each node take the topics in turn.
func (pr *pubsubRun) topicOf(id, m int) int { return (id / m) % pr.p.Topics }

// publish sends the connection's next publish: to the topics in turn,
// stamped with the publisher, its sequence number on the topic and the
// send time.
func (c *conn) publish() bool {
	l := c.l
	r := l.r
	pr := r.plan.pubsub
	if c.closed || c.closeSent || len(c.out)-c.outOff > r.o.MaxOutstanding || pr.published.Load() >= r.plan.msgLimit {
		return false
	}
	pi := int(c.id)
	t := (pi + int(c.sent)) % pr.p.Topics
	seq := pr.pub[pi][t].Load()
	b := append(append(l.scratch[:0], "pub "...), pr.p.TopicName...)
	b = strconv.AppendInt(b, int64(t), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(pi), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.now, 10)
	b = append(b, ' ')
	if n := pr.p.Size - len(b); n > 0 {
		b = append(b, pr.filler[:n]...)
	}
	l.scratch = b
	c.out = wsclient.AppendFrame(c.out, wsclient.OpText, b, c.mask())
	pr.pub[pi][t].Store(seq + 1)
	pr.published.Add(1)
	c.sent++
	l.st.sent.Add(1)
	l.st.bytesSent.Add(uint64(len(b)))
	l.queue(c)
	return true
}

// pubsubData collects the start of a message and handles it at its end.
func (c *conn) pubsubData(p []byte, last bool) {
	l := c.l
	l.st.bytesRecv.Add(uint64(len(p)))
	if room := cap(c.msgBuf) - len(c.msgBuf); room > 0 {
		c.msgBuf = append(c.msgBuf, p[:min(len(p), room)]...)
	}
	if !last {
		return
	}
	m := c.msgBuf
	c.msgBuf = c.msgBuf[:0]
	pr := l.r.plan.pubsub
	switch {
	case bytes.HasPrefix(m, []byte("msg ")):
		c.delivery(m[4:])
	case bytes.HasPrefix(m, []byte("ok sub ")):
		c.subscribed()
	case bytes.HasPrefix(m, []byte("err ")):
		pr.refused.Add(1)
		l.r.errs.addErr(ErrKindPubSub, serverErr(bytes.Clone(m)))
	default:
		l.st.foreign.Add(1)
	}
}

// serverErr is a server's err reply as an error.
type serverErr []byte

func (e serverErr) Error() string { return string(e[:min(len(e), 120)]) }

// subscribed records a confirmed subscription: the subscriber expects each
// publisher's sequence from where it stands now.
func (c *conn) subscribed() {
	pr := c.l.r.plan.pubsub
	s := &pr.sub[c.id]
	pr.subscribed.Add(1)
	pr.nodes[c.node].subscribers.Add(1)
	if s.active {
		return // a redialled subscriber continues its sequences: the gap was lost
	}
	s.active = true
	s.exp, s.seen = make([]uint64, len(pr.pub)), make([]bool, len(pr.pub))
	t := c.topic()
	for pi := range pr.pub {
		s.exp[pi] = pr.pub[pi][t].Load()
	}
}

// delivery accounts one msg: "<topic> <publisher> <seq> <ns> ...".
func (c *conn) delivery(m []byte) {
	l := c.l
	r := l.r
	pr := r.plan.pubsub
	f := bytes.SplitN(m, []byte(" "), 5)
	if len(f) < 4 {
		l.st.foreign.Add(1)
		return
	}
	pi, err1 := strconv.Atoi(string(f[1]))
	seq, err2 := strconv.ParseUint(string(f[2]), 10, 64)
	sent, err3 := strconv.ParseInt(string(f[3]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || pi < 0 || pi >= len(pr.pub) {
		l.st.foreign.Add(1)
		return
	}
	n := &pr.nodes[c.node]
	l.st.recv.Add(1)
	n.deliveries.Add(1)
	l.rec.record(l.now - sent)
	l.nodeRecorder(c.node).record(l.now - sent)
	if last := n.lastDelivery.Swap(l.now); last != 0 && l.now-last >= int64(pr.p.OutageGap) && pr.p.Soak {
		pr.mu.Lock()
		pr.outs = append(pr.outs, PubSubOutage{Node: c.node, FromS: float64(last) / 1e9, ResumedS: float64(l.now) / 1e9})
		pr.mu.Unlock()
	}
	s := &pr.sub[c.id]
	if !s.active {
		return // before the subscription was confirmed
	}
	switch {
	case !s.seen[pi]:
		s.seen[pi] = true
		if seq > s.exp[pi] {
			pr.gap(c.node, l.now, seq-s.exp[pi])
		}
		s.exp[pi] = max(s.exp[pi], seq+1)
	case seq == s.exp[pi]:
		s.exp[pi]++
	case seq > s.exp[pi]:
		pr.gap(c.node, l.now, seq-s.exp[pi])
		s.exp[pi] = seq + 1
	default:
		n.dups.Add(1)
	}
}

// gap counts n lost messages on node, detected at time at.
func (pr *pubsubRun) gap(node int, at int64, n uint64) {
	pr.nodes[node].lost.Add(n)
	pr.mu.Lock()
	if len(pr.gaps) < 1<<16 {
		pr.gaps = append(pr.gaps, gapEvent{node, at, n})
	}
	pr.mu.Unlock()
}

// nodeRecorder is the loop's latency recorder of node i.
func (l *loop) nodeRecorder(i int) *recorder {
	for len(l.nodeRec) <= i {
		l.nodeRec = append(l.nodeRec, nil)
	}
	if l.nodeRec[i] == nil {
		l.nodeRec[i] = newRecorder()
	}
	return l.nodeRec[i]
}
