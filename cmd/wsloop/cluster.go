package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/cluster"
)

// clusterFlags are serve's cluster settings.
type clusterFlags struct {
	natsURL   string
	node      string
	natsEmbed string
	prefix    string
}

func (c *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.natsURL, "nats", "", "join a cluster over this NATS server URL (comma-separated for several)")
	fs.StringVar(&c.node, "node", "", "this node's name in the cluster (host-pid when empty)")
	fs.StringVar(&c.natsEmbed, "nats-embed", "", "run a NATS server in this process on host:port and join it (a one-machine try)")
	fs.StringVar(&c.prefix, "nats-prefix", "wsloop", "first token of the cluster's NATS subjects")
}

// enabled reports whether the flags ask for a cluster.
func (c *clusterFlags) enabled() bool { return c.natsURL != "" || c.natsEmbed != "" }

// statsInterval is how often a node shares its figures with the others.
const statsInterval = time.Second

// maxPeers bounds the nodes /cluster lists (and the memory they take).
const maxPeers = 64

// nodeStats is what a node shares about itself, and what /cluster lists.
type nodeStats struct {
	Name        string         `json:"name"`
	URL         string         `json:"url,omitempty"` // its demo page
	Connections int            `json:"connections"`
	MessagesIn  uint64         `json:"messagesIn"`
	MessagesOut uint64         `json:"messagesOut"`
	InPerSec    float64        `json:"inPerSec"`
	OutPerSec   float64        `json:"outPerSec"`
	Cluster     *cluster.Stats `json:"cluster,omitempty"`
	At          time.Time      `json:"at"`
}

// clusterState is the serve command's membership: the node, an optional
// embedded NATS server, and the latest figures of every node.
type clusterState struct {
	name   string
	node   *cluster.Node // nil without a cluster
	embed  *server.Server
	sub    *nats.Subscription
	stop   chan struct{}
	wg     sync.WaitGroup
	logger *slog.Logger
	srv    *api.Server // set before it listens

	mu    sync.Mutex // guards the fields below
	url   string     // set by run
	self  nodeStats
	peers map[string]nodeStats
}

// joinCluster joins srv (not yet listening) to the cluster the flags name.
// Without -nats and -nats-embed it only tracks this node's own figures.
func joinCluster(srv *api.Server, c *clusterFlags, logger *slog.Logger) (*clusterState, error) {
	cs := &clusterState{name: c.node, srv: srv, stop: make(chan struct{}), peers: map[string]nodeStats{}, logger: logger}
	if !c.enabled() {
		if cs.name == "" {
			cs.name = "standalone"
		}
		return cs, nil
	}
	url := c.natsURL
	if c.natsEmbed != "" {
		s, err := startNATS(c.natsEmbed)
		if err != nil {
			return nil, err
		}
		cs.embed = s
		if url == "" {
			url = s.ClientURL()
		}
	}
	n, err := cluster.Join(srv, cluster.Options{URL: url, Name: c.node, Prefix: c.prefix, Logger: logger})
	if err != nil {
		cs.close()
		return nil, err
	}
	cs.node, cs.name = n, n.Name()
	sub, err := n.Conn().Subscribe(c.prefix+".nodes", cs.peerStats)
	if err != nil {
		cs.close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cs.sub = sub
	return cs, nil
}

// peerStats records the figures another node shared.
func (cs *clusterState) peerStats(m *nats.Msg) {
	var s nodeStats
	if json.Unmarshal(m.Data, &s) != nil || s.Name == "" {
		return
	}
	s.At = time.Now() // by this node's clock
	cs.mu.Lock()
	if _, known := cs.peers[s.Name]; known || len(cs.peers) < maxPeers {
		cs.peers[s.Name] = s
	}
	cs.mu.Unlock()
}

// run takes this node's first figures. In a cluster it then samples them
// every statsInterval and shares them; a single node samples only when
// /cluster is read, so that nothing runs while the server is at rest.
func (cs *clusterState) run(url string) {
	cs.mu.Lock() // /cluster may already be read: the server is listening
	cs.url = url
	cs.mu.Unlock()
	cs.sample()
	if cs.node == nil {
		return
	}
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		t := time.NewTicker(statsInterval)
		defer t.Stop()
		for {
			select {
			case <-cs.stop:
				return
			case <-t.C:
				cs.sample()
			}
		}
	}()
}

// sample takes this node's figures; rates are over the time since the
// previous sample.
func (cs *clusterState) sample() {
	m := cs.srv.Metrics()
	cs.mu.Lock()
	prev := cs.self
	s := nodeStats{Name: cs.name, URL: cs.url, Connections: m.Connections, MessagesIn: m.MessagesIn,
		MessagesOut: m.MessagesOut, At: time.Now()}
	if secs := s.At.Sub(prev.At).Seconds(); !prev.At.IsZero() && secs > 0 {
		s.InPerSec = float64(m.MessagesIn-prev.MessagesIn) / secs
		s.OutPerSec = float64(m.MessagesOut-prev.MessagesOut) / secs
	}
	if cs.node != nil {
		st := cs.node.Stats()
		s.Cluster = &st
	}
	cs.self = s
	cs.mu.Unlock()
	if cs.node != nil {
		if b, err := json.Marshal(s); err == nil {
			_ = cs.node.Conn().Publish(cs.sub.Subject, b)
		}
	}
}

// clusterView is the /cluster document.
type clusterView struct {
	Self  string      `json:"self"`
	Nodes []nodeStats `json:"nodes"`
}

// view lists this node and the peers heard from in the last 5 intervals.
func (cs *clusterState) view() clusterView {
	if cs.node == nil {
		cs.sample() // a single node samples on demand (run)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	v := clusterView{Self: cs.name, Nodes: []nodeStats{cs.self}}
	for name, p := range cs.peers {
		if time.Since(p.At) > 5*statsInterval {
			delete(cs.peers, name)
			continue
		}
		v.Nodes = append(v.Nodes, p)
	}
	slices.SortFunc(v.Nodes, func(a, b nodeStats) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return v
}

// handle serves GET /cluster.
func (cs *clusterState) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(cs.view())
}

// close leaves the cluster and stops the embedded NATS server. Call it
// after the WebSocket server has shut down.
func (cs *clusterState) close() {
	select {
	case <-cs.stop:
		return
	default:
		close(cs.stop)
	}
	cs.wg.Wait()
	if cs.node != nil {
		_ = cs.node.Close()
	}
	if cs.embed != nil {
		cs.embed.Shutdown()
	}
}

// clusterLogger is the server's logger, or a silent one with -log 0.
func clusterLogger(cfg api.Config) *slog.Logger {
	if cfg.LogLevel == 0 || cfg.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg.Logger
}

// printCluster tells where the node's cluster is, if it joined one.
func printCluster(w io.Writer, a *app, c clusterFlags) {
	cs := a.cluster
	if cs.node == nil {
		return
	}
	where := c.natsURL
	if cs.embed != nil {
		where = cs.embed.ClientURL() + " (embedded)"
	}
	ws := "ws://"
	if strings.HasPrefix(cs.url, "https:") {
		ws = "wss://"
	}
	fmt.Fprintf(w, "wsloop node %q in the cluster on NATS %s (pub/sub: %s/pubsub, nodes: %scluster)\n",
		cs.name, where, ws+a.srv.Addr(), cs.url)
}
