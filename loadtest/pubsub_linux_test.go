package loadtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// psBus is a small reference pub/sub "cluster": several nodes (HTTP
// servers) share one in-memory topic index, as nodes on a broker would. It
// speaks the /pubsub text protocol; pausing the bus drops every publish,
// as a broker restart would.
type psBus struct {
	mu     sync.Mutex
	topics map[string]map[*psConn]bool
	paused atomic.Bool // drop every publish
	apart  atomic.Bool // deliver each publish on the publisher's node only, as nodes cut off from their broker do
	nodes  []*psNode
}

type psNode struct {
	bus       *psBus
	hs        *httptest.Server
	url       string
	dropEvery int64 // drop every n-th delivery to this node's connections (0: none)
	dupEvery  int64 // deliver every n-th twice (0: none)
	n         atomic.Int64

	mu    sync.Mutex
	conns map[*psConn]bool // upgraded connections, which the HTTP server no longer tracks
	dead  bool
}

type psConn struct {
	*lockedConn
	node *psNode
}

func startBus(t *testing.T, nodes int) *psBus {
	t.Helper()
	b := &psBus{topics: map[string]map[*psConn]bool{}}
	for range nodes {
		n := &psNode{bus: b}
		n.hs = httptest.NewServer(http.HandlerFunc(n.serve))
		n.url = "ws://" + strings.TrimPrefix(n.hs.URL, "http://") + "/pubsub"
		b.nodes = append(b.nodes, n)
		t.Cleanup(n.kill)
	}
	return b
}

// kill stops the node: its connections drop and new dials fail.
func (n *psNode) kill() {
	n.mu.Lock()
	n.dead = true
	for c := range n.conns {
		c.Close()
	}
	n.mu.Unlock()
	n.hs.CloseClientConnections()
	n.hs.Close()
}

func (b *psBus) urls() []string {
	var u []string
	for _, n := range b.nodes {
		u = append(u, n.url)
	}
	return u
}

func (n *psNode) serve(w http.ResponseWriter, r *http.Request) {
	nc, brw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &psConn{lockedConn: &lockedConn{Conn: nc, r: brw.Reader}, node: n}
	n.mu.Lock()
	if n.dead {
		n.mu.Unlock()
		nc.Close()
		return
	}
	if n.conns == nil {
		n.conns = map[*psConn]bool{}
	}
	n.conns[c] = true
	n.mu.Unlock()
	b := n.bus
	defer func() {
		n.mu.Lock()
		delete(n.conns, c)
		n.mu.Unlock()
		b.mu.Lock()
		for _, subs := range b.topics {
			delete(subs, c)
		}
		b.mu.Unlock()
		nc.Close()
	}()
	for {
		msg, _, err := wsutil.ReadClientData(c)
		if err != nil {
			return
		}
		cmd, rest, _ := strings.Cut(string(msg), " ")
		switch cmd {
		case "sub", "unsub":
			if rest == "" || strings.ContainsAny(rest, " *>") {
				_ = wsutil.WriteServerText(c, []byte("err bad topic"))
				continue
			}
			b.mu.Lock()
			if b.topics[rest] == nil {
				b.topics[rest] = map[*psConn]bool{}
			}
			if cmd == "sub" {
				b.topics[rest][c] = true
			} else {
				delete(b.topics[rest], c)
			}
			b.mu.Unlock()
			_ = wsutil.WriteServerText(c, []byte("ok "+cmd+" "+rest))
		case "pub":
			topic, payload, ok := strings.Cut(rest, " ")
			if !ok {
				_ = wsutil.WriteServerText(c, []byte("err no payload"))
				continue
			}
			if b.paused.Load() {
				continue
			}
			b.mu.Lock()
			var subs []*psConn
			for s := range b.topics[topic] {
				subs = append(subs, s)
			}
			b.mu.Unlock()
			out := []byte("msg " + topic + " " + payload)
			for _, s := range subs {
				if b.apart.Load() && s.node != n {
					continue
				}
				k := s.node.n.Add(1)
				if s.node.dropEvery > 0 && k%s.node.dropEvery == 0 {
					continue
				}
				_ = wsutil.WriteServerText(s, out)
				if s.node.dupEvery > 0 && k%s.node.dupEvery == 0 {
					_ = wsutil.WriteServerText(s, out)
				}
			}
		default:
			_ = wsutil.WriteServerText(c, []byte("err unknown command"))
		}
	}
}

// Over three nodes every publish reaches every subscriber of its topic on
// every node, with a latency for each delivery and nothing lost.
func TestPubSubAcrossNodes(t *testing.T) {
	b := startBus(t, 3)
	o := quick(b.urls()[0], &PubSub{Topics: 3, Rate: 600, Messages: 300})
	o.URLs, o.Conns = b.urls(), 30
	res := mustRun(t, o)
	p := res.PubSub
	if p == nil || p.Published != 300 || p.Subscribed != 30 || p.Publishers != 3 {
		t.Fatalf("pubsub %+v errors %v", p, res.Errors)
	}
	// 10 subscribers per topic: each publish is delivered 10 times.
	if p.Deliveries != 3000 || p.Lost != 0 || p.Duplicates != 0 || res.ErrorsTotal != 0 {
		t.Errorf("deliveries %d lost %d duplicates %d errors %v", p.Deliveries, p.Lost, p.Duplicates, res.Errors)
	}
	for i, n := range p.Nodes {
		if n.Subscribers != 10 || n.Deliveries != 1000 || n.Latency.Count != 1000 || n.Latency.P99 <= 0 || n.URL != b.nodes[i].url {
			t.Errorf("node %d: %+v", i, n)
		}
	}
	if p.Latency.Count != 3000 || res.Latency.Count != 3000 || p.DeliveriesPS <= 0 {
		t.Errorf("latency %+v, deliveries/s %.0f", p.Latency, p.DeliveriesPS)
	}
}

// Losses and duplicates are counted on the node that has them.
func TestPubSubCountsLossAndDuplicatesPerNode(t *testing.T) {
	b := startBus(t, 2)
	b.nodes[1].dropEvery, b.nodes[0].dupEvery = 7, 10
	o := quick(b.urls()[0], &PubSub{Topics: 2, Rate: 800, Messages: 200})
	o.URLs, o.Conns = b.urls(), 8
	res := mustRun(t, o)
	p := res.PubSub
	n0, n1 := p.Nodes[0], p.Nodes[1]
	// Each node holds 4 subscribers, 2 per topic: 400 deliveries due per node.
	if n0.Lost != 0 || n0.Duplicates != 40 || n0.Deliveries != 440 {
		t.Errorf("node 0 (duplicates every 10th): %+v", n0)
	}
	if n1.Duplicates != 0 || n1.Lost != 400/7 || n1.Deliveries != 400-400/7 {
		t.Errorf("node 1 (drops every 7th): %+v", n1)
	}
	if p.Lost != n1.Lost || p.Duplicates != n0.Duplicates || res.Messages.Missing != p.Lost {
		t.Errorf("totals %+v", p)
	}
}

// In soak mode the run survives a node being killed and the broker
// stopping for a while: the other nodes' delivery resumes, the outage says
// when and what was lost, and the killed node's outage never resumes.
func TestPubSubSoakSurvivesFailures(t *testing.T) {
	b := startBus(t, 3)
	o := quick(b.urls()[0], &PubSub{Topics: 2, Rate: 300, Soak: true, OutageGap: 400 * time.Millisecond, Reconnect: 100 * time.Millisecond})
	o.URLs, o.Conns, o.Duration = b.urls(), 12, 4*time.Second
	go func() {
		time.Sleep(1200 * time.Millisecond)
		b.nodes[2].kill()
		time.Sleep(300 * time.Millisecond)
		b.paused.Store(true) // the broker restarts
		time.Sleep(900 * time.Millisecond)
		b.paused.Store(false)
	}()
	res := mustRun(t, o)
	p := res.PubSub
	var resumed, dead int
	for _, out := range p.Outages {
		switch {
		case out.Node == 2 && out.ResumedS == 0:
			dead++
		case out.Node != 2 && out.ResumedS > out.FromS+0.4 && out.Lost > 0:
			resumed++
		}
	}
	if dead != 1 || resumed != 2 {
		t.Errorf("outages %+v: want node 2 never resumed and nodes 0 and 1 resumed with losses", p.Outages)
	}
	if p.Nodes[0].Deliveries == 0 || p.Nodes[1].Deliveries == 0 || p.Lost == 0 || p.Published == 0 {
		t.Errorf("pubsub %+v", p)
	}
	var text bytes.Buffer
	res.WriteSummary(&text)
	for _, w := range []string{"never resumed", "resumed at", "node 2"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, text.String())
		}
	}
}

// The CLI runs the scenario over several URLs.
func TestPubSubCLI(t *testing.T) {
	b := startBus(t, 2)
	var out, errOut bytes.Buffer
	args := []string{"-scenario", "pubsub", "-conns", "6", "-topics", "2", "-rate", "200", "-messages", "50", "-duration", "5s",
		"-progress", "-1s", "-threshold", "errors==0", "-url", b.nodes[0].url, b.nodes[1].url}
	if code := Main(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	for _, w := range []string{"pubsub", "published 50", "node 0", "node 1", "lost 0"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
}

// Nodes cut off from the broker still deliver their own publishers'
// messages, so no node goes quiet: the soak reports, per node, each other
// publisher whose messages stopped, when they resumed and what was lost.
func TestPubSubSoakSeesNodesCutOff(t *testing.T) {
	b := startBus(t, 2)
	o := quick(b.urls()[0], &PubSub{Topics: 1, Rate: 200, Soak: true, OutageGap: 600 * time.Millisecond})
	o.URLs, o.Conns, o.Duration = b.urls(), 4, 4500*time.Millisecond
	go func() {
		time.Sleep(1200 * time.Millisecond)
		b.apart.Store(true)
		time.Sleep(1500 * time.Millisecond)
		b.apart.Store(false)
	}()
	res := mustRun(t, o)
	p := res.PubSub
	// Publisher 0 is on node 0, publisher 1 on node 1: each node misses
	// the other's for the 1.5 s cut, and neither node goes quiet.
	for _, k := range [][2]int{{0, 1}, {1, 0}} {
		found := false
		for _, out := range p.Outages {
			found = found || out.Node == k[0] && out.Publisher == k[1] && out.ResumedS >= out.FromS+1.0 && out.Lost > 0
		}
		if !found {
			t.Errorf("no outage of node %d from publisher %d in %+v", k[0], k[1], p.Outages)
		}
	}
	for _, out := range p.Outages {
		if out.Publisher < 0 {
			t.Errorf("a node went quiet: %+v", out)
		}
	}
	if p.Lost == 0 || p.Lost != p.Nodes[0].Lost+p.Nodes[1].Lost {
		t.Errorf("lost %d, nodes %+v", p.Lost, p.Nodes)
	}
	var text bytes.Buffer
	res.WriteSummary(&text)
	if !strings.Contains(text.String(), "node 0 from publisher 1: no delivery from") {
		t.Errorf("summary:\n%s", text.String())
	}
}

// With -procs the subscribers are spread over worker processes and the
// first worker alone publishes: each publish reaches every subscriber of
// every worker once, and the figures add up node by node.
func TestPubSubProcs(t *testing.T) {
	b := startBus(t, 2)
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	args := []string{"-procs", "2", "-scenario", "pubsub", "-conns", "8", "-topics", "1", "-publishers", "1", "-rate", "200",
		"-messages", "50", "-duration", "20s", "-loops", "1", "-progress", "-1s", "-json", path, b.nodes[0].url, b.nodes[1].url}
	if code := Main(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	p := readResultFile(t, path).PubSub
	if p == nil || p.Published != 50 || p.Subscribed != 8 || p.Deliveries != 400 || p.Lost != 0 || p.Duplicates != 0 || p.Latency.Count != 400 {
		t.Fatalf("merged pubsub: %+v\n%s", p, out.String())
	}
	for i, n := range p.Nodes {
		if n.Subscribers != 4 || n.Deliveries != 200 || n.Latency.Count != 200 || n.URL != b.nodes[i].url {
			t.Errorf("node %d: %+v", i, n)
		}
	}
}

// The workers of a -procs run each see the same outage; merged, an outage
// of one node and publisher is reported once, spanning all of them.
func TestMergeOutages(t *testing.T) {
	a := []PubSubOutage{{Node: 2, Publisher: -1, FromS: 15.0, ResumedS: 20.1, Lost: 10}, {Node: 0, Publisher: 1, FromS: 35.0, ResumedS: 38.2, Lost: 5}}
	b := []PubSubOutage{{Node: 2, Publisher: -1, FromS: 15.1, ResumedS: 20.4, Lost: 7}, {Node: 0, Publisher: 2, FromS: 35.0, ResumedS: 38.3, Lost: 1},
		{Node: 0, Publisher: 1, FromS: 50.0, ResumedS: 0, Lost: 0}, {Node: 1, Publisher: -1, FromS: 40, ResumedS: 0}, {Node: 1, Publisher: -1, FromS: 41, ResumedS: 45}}
	got := mergeOutages(a, b)
	want := []PubSubOutage{{Node: 0, Publisher: 1, FromS: 35.0, ResumedS: 38.2, Lost: 5}, {Node: 0, Publisher: 1, FromS: 50.0},
		{Node: 0, Publisher: 2, FromS: 35.0, ResumedS: 38.3, Lost: 1}, {Node: 1, Publisher: -1, FromS: 40},
		{Node: 2, Publisher: -1, FromS: 15.0, ResumedS: 20.4, Lost: 17}}
	if !slices.Equal(got, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", got, want)
	}
}
