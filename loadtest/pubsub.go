package loadtest

import (
	"fmt"
	"time"
)

// PubSub loads a pub/sub endpoint over one or more nodes (Options.URLs):
// Options.Conns connections spread over the nodes in turn, each subscribed
// to one of Topics topics; the first Publishers connections also publish,
// together Rate messages per second, to the topics in turn. It speaks the
// text protocol of wsloop's /pubsub endpoint:
//
//	sub <topic>              → ok sub <topic>  (or err <reason>)
//	unsub <topic>            → ok unsub <topic>
//	pub <topic> <payload>    → nothing (or err <reason>); every subscriber
//	                           on every node receives msg <topic> <payload>
//
// Each payload carries its publisher, its sequence number on that topic and
// its send time, so every delivery yields a publish-to-delivery latency,
// and gaps and repeats in a subscriber's sequence numbers are counted as
// lost and duplicated messages, per node. With Soak, connections that a
// node drops are dialled again (to the same node) every ReconnectEvery,
// and each stretch of OutageGap or more without deliveries on a node is
// reported with when delivery resumed and what it lost: the test observes
// a node being killed or the broker restarting, it does not cause them.
type PubSub struct {
	Topics     int           // topics (default 1)
	Publishers int           // connections that also publish (default: one per node)
	Rate       float64       // publishes per second over all publishers (default 10)
	Size       int           // payload bytes, at least the stamp (default 64)
	Messages   int           // publishes in total; 0 = until Options.Duration
	Soak       bool          // survive node and broker failures: redial, report outages
	OutageGap  time.Duration // soak: a node without deliveries this long is in an outage (default 1s)
	Reconnect  time.Duration // soak: how often dropped connections are dialled again (default 500ms)
	TopicName  string        // topic name prefix (default "lt"); topics are <prefix>0 … <prefix>T-1

	run *pubsubRun // run state
}

// ScenarioPubSub is the PubSub scenario's name.
const ScenarioPubSub = "pubsub"

// limits of the pubsub options.
const (
	maxTopics     = 1 << 16
	maxPublishers = 4096
	pubsubStamp   = 48 // bytes of "<publisher> <seq> <ns> " at most
)

// Name implements Scenario.
func (*PubSub) Name() string { return ScenarioPubSub }

func (p *PubSub) withDefaults(o *Options) Scenario {
	c := *p
	if c.Topics <= 0 {
		c.Topics = 1
	}
	if c.Publishers <= 0 {
		c.Publishers = max(len(o.URLs), 1)
	}
	if c.Rate <= 0 {
		c.Rate = 10
	}
	c.Size = max(c.Size, 64)
	if c.OutageGap <= 0 {
		c.OutageGap = time.Second
	}
	if c.Reconnect <= 0 {
		c.Reconnect = 500 * time.Millisecond
	}
	if c.TopicName == "" {
		c.TopicName = "lt"
	}
	return &c
}

func (p *PubSub) check(o *Options) error {
	switch {
	case p.Topics > maxTopics:
		return fmt.Errorf("PubSub.Topics %d is over the limit %d", p.Topics, maxTopics)
	case p.Publishers > maxPublishers:
		return fmt.Errorf("PubSub.Publishers %d is over the limit %d", p.Publishers, maxPublishers)
	case p.Publishers > o.Conns:
		return fmt.Errorf("PubSub.Publishers %d is more than Conns %d", p.Publishers, o.Conns)
	case p.Messages < 0:
		return fmt.Errorf("PubSub.Messages must not be negative")
	case len(p.TopicName) > 64:
		return fmt.Errorf("PubSub.TopicName is longer than 64 bytes")
	}
	for _, ch := range p.TopicName {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return fmt.Errorf("PubSub.TopicName %q: use letters, digits, - _ and .", p.TopicName)
		}
	}
	return checkPayload(o, p.Size)
}

// PubSubStats are the pubsub scenario's figures (Result.PubSub).
type PubSubStats struct {
	Topics        int            `json:"topics"`
	Publishers    int            `json:"publishers"`
	Published     uint64         `json:"published"`        // pub messages sent
	Subscribed    uint64         `json:"subscribed"`       // subscriptions the server confirmed
	Deliveries    uint64         `json:"deliveries"`       // msg messages received
	DeliveriesPS  float64        `json:"deliveries_per_s"` // over the traffic window
	Lost          uint64         `json:"lost"`             // gaps in the subscribers' sequence numbers, and what never arrived
	Duplicates    uint64         `json:"duplicates"`       // deliveries seen before by the same subscriber
	Latency       LatencyStats   `json:"latency"`          // publish to delivery, every node
	Nodes         []PubSubNode   `json:"nodes"`
	Outages       []PubSubOutage `json:"outages,omitempty"` // soak
	Reconnects    uint64         `json:"reconnects,omitempty"`
	ServerRefused uint64         `json:"server_errors"` // err replies
}

// PubSubNode are one node's (target URL's) figures.
type PubSubNode struct {
	URL         string       `json:"url"`
	Subscribers uint64       `json:"subscribers"`
	Deliveries  uint64       `json:"deliveries"`
	Lost        uint64       `json:"lost"`
	Duplicates  uint64       `json:"duplicates"`
	Latency     LatencyStats `json:"latency"`
}

// PubSubOutage is a stretch without deliveries on a node (soak).
type PubSubOutage struct {
	Node     int     `json:"node"`      // index into Nodes
	FromS    float64 `json:"from_s"`    // last delivery before the gap, since the start of the run
	ResumedS float64 `json:"resumed_s"` // first delivery after it; 0 if delivery never resumed
	Lost     uint64  `json:"lost"`      // sequence numbers skipped across the gap
}

// writePubSubRows adds the pubsub rows to the summary.
func (r *Result) writePubSubRows(row func(k, format string, a ...any)) {
	p := r.PubSub
	if p == nil {
		return
	}
	row("pubsub", "%d topics  %d publishers  published %d  subscribed %d  deliveries %d (%.0f/s)  lost %d  duplicated %d  err replies %d",
		p.Topics, p.Publishers, p.Published, p.Subscribed, p.Deliveries, p.DeliveriesPS, p.Lost, p.Duplicates, p.ServerRefused)
	for i, n := range p.Nodes {
		row(fmt.Sprintf("  node %d", i), "%s  subscribers %d  deliveries %d  lost %d  duplicated %d  p50 %.3f  p99 %.3f  max %.3f ms",
			n.URL, n.Subscribers, n.Deliveries, n.Lost, n.Duplicates, n.Latency.P50, n.Latency.P99, n.Latency.Max)
	}
	if p.Reconnects > 0 {
		row("reconnects", "%d", p.Reconnects)
	}
	for _, o := range p.Outages {
		if o.ResumedS == 0 {
			row("outage", "node %d: no delivery since %.1f s, never resumed; lost %d", o.Node, o.FromS, o.Lost)
		} else {
			row("outage", "node %d: no delivery from %.1f s, resumed at %.1f s (%.1f s); lost %d", o.Node, o.FromS, o.ResumedS, o.ResumedS-o.FromS, o.Lost)
		}
	}
}
