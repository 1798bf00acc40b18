package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/wsloop/wsloop/api"
)

// local is what a Node needs from the server it bridges: delivery to the
// server's own connections only.
type local interface {
	PublishLocal(topic string, format api.DataFormat, payload []byte) error
	BroadcastLocal(format api.DataFormat, payload []byte) error
}

// Node bridges one api.Server to the other nodes of a cluster over NATS. It
// implements api.Bridge; Join installs it. Its methods are safe for
// concurrent use.
type Node struct {
	opts        Options
	srv         local
	nc          *nats.Conn
	id          string // origin id carried in every envelope
	topicPrefix string // Prefix + ".t."
	bcast       string // broadcast subject

	maxPayload atomic.Int64 // the server's max_payload, 0 until known
	closed     atomic.Bool
	done       chan struct{}
	wg         sync.WaitGroup

	out      chan outMsg
	outBytes atomic.Int64
	in       chan *nats.Msg
	kick     chan struct{}

	mu      sync.Mutex
	want    map[string]bool               // interest changes not yet applied
	subs    map[string]*nats.Subscription // subject → live subscription
	retired []*nats.Subscription          // ended subscriptions whose sequence state the receiver must forget
	slowOld uint64                        // slow-consumer drops of ended subscriptions
	gen     uint64                        // Interest calls so far
	applied uint64                        // Interest calls applied to NATS
	retire  chan struct{}                 // tells the receiver that retired is not empty

	c counters
}

// Join connects srv to the cluster: it opens a NATS connection (retrying in
// the background while NATS is unreachable) and installs the node as srv's
// Bridge. Call it before srv.Listen. Close the node after srv.Shutdown.
func Join(srv *api.Server, opts Options) (*Node, error) {
	n, err := newNode(srv, opts)
	if err != nil {
		return nil, err
	}
	srv.SetBridge(n)
	return n, nil
}

func newNode(srv local, opts Options) (*Node, error) {
	o := opts.withDefaults()
	if strings.ContainsAny(o.Prefix, " \t\r\n*>") || strings.HasPrefix(o.Prefix, ".") || strings.HasSuffix(o.Prefix, ".") {
		return nil, fmt.Errorf("cluster: prefix %q is not a valid NATS subject prefix", o.Prefix)
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	n := &Node{
		opts:        o,
		srv:         srv,
		id:          hex.EncodeToString(rnd[:]),
		topicPrefix: o.Prefix + ".t.",
		bcast:       o.Prefix + ".b",
		done:        make(chan struct{}),
		out:         make(chan outMsg, o.SendQueue),
		in:          make(chan *nats.Msg, o.ReceiveQueue),
		kick:        make(chan struct{}, 1),
		retire:      make(chan struct{}, 1),
		want:        make(map[string]bool),
		subs:        make(map[string]*nats.Subscription),
	}
	nopts := []nats.Option{
		nats.Name(o.Name),
		nats.NoEcho(), // a node's own publishes never come back to it
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(o.ReconnectWait),
		nats.ReconnectBufSize(o.ReconnectBuffer),
		nats.ConnectHandler(func(c *nats.Conn) { n.connected(c, "connected") }),
		nats.ReconnectHandler(func(c *nats.Conn) { n.c.reconnects.Add(1); n.connected(c, "reconnected") }),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if n.closed.Load() {
				return // Close
			}
			n.c.disconnects.Add(1)
			o.Logger.Warn("cluster: NATS connection lost, reconnecting", "node", o.Name, "err", err)
		}),
		nats.ErrorHandler(func(c *nats.Conn, s *nats.Subscription, err error) {
			o.Logger.Warn("cluster: NATS error", "node", o.Name, "err", err)
		}),
	}
	nc, err := nats.Connect(o.URL, append(nopts, o.NATSOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n.nc = nc
	if nc.IsConnected() {
		n.maxPayload.Store(nc.MaxPayload())
	}
	bs, err := nc.ChanSubscribe(n.bcast, n.in)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribe %s: %w", n.bcast, err)
	}
	n.subs[n.bcast] = bs
	n.wg.Add(3)
	go n.sendLoop()
	go n.receiveLoop()
	go n.interestLoop()
	return n, nil
}

// connected records what a (re)connected server allows.
func (n *Node) connected(c *nats.Conn, what string) {
	n.maxPayload.Store(c.MaxPayload())
	n.opts.Logger.Info("cluster: NATS "+what, "node", n.opts.Name, "url", c.ConnectedUrlRedacted())
}

// Name is the node's name (Options.Name or its default).
func (n *Node) Name() string { return n.opts.Name }

// ID is the random id that marks this node's messages as their origin.
func (n *Node) ID() string { return n.id }

// Conn is the node's NATS connection, for an application's own traffic
// (such as sharing node statistics). Do not close it; Close does.
func (n *Node) Conn() *nats.Conn { return n.nc }

// Subject is the NATS subject that carries topic.
func (n *Node) Subject(topic string) string { return n.topicPrefix + topic }

// MaxPayload is the largest payload a publish can carry across the cluster:
// the NATS server's max_payload less the envelope, or 0 while the node has
// never reached NATS. Larger publishes still reach the local subscribers
// but are dropped for the others and counted in Stats.DroppedOversize.
func (n *Node) MaxPayload() int {
	mp := int(n.maxPayload.Load())
	if mp == 0 {
		return 0
	}
	return mp - headerLen(len(n.id))
}

// Close leaves the cluster: it closes the NATS connection and stops the
// node's goroutines. Messages still queued are dropped. Bridge calls after
// Close are counted in Stats.DroppedClosed.
func (n *Node) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	n.nc.Close()
	close(n.done)
	n.wg.Wait()
	return nil
}

// Flush waits until the node's interest changes and queued publishes have
// been handed to nats.go, then for a round trip to the NATS server, so that
// everything the node did before the call is known to NATS (a later
// publish on another node reaches subscriptions made here). It waits at
// most a minute when ctx has no deadline. It returns ctx's error or the
// connection's.
func (n *Node) Flush(ctx context.Context) error {
	n.mu.Lock()
	target := n.gen
	n.mu.Unlock()
	for {
		n.mu.Lock()
		done := n.applied >= target
		n.mu.Unlock()
		if done && len(n.out) == 0 && n.outBytes.Load() == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
			return nats.ErrConnectionClosed
		case <-time.After(time.Millisecond):
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	return n.nc.FlushWithContext(ctx)
}

// flushTimeout bounds Flush's round trip when its context has no deadline.
const flushTimeout = time.Minute

// Listening reports whether the node holds a NATS subscription for topic,
// that is whether it has applied its local subscribers' interest. Flush
// afterwards makes sure the NATS server knows it too.
func (n *Node) Listening(topic string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.subs[n.topicPrefix+topic] != nil
}
