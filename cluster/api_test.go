package cluster

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// End-to-end tests: api.Server instances in this process, each joined to
// a real NATS server by its own Node, with WebSocket clients over TCP.

// apiNode is a server and its cluster node.
type apiNode struct {
	srv  *api.Server
	node *Node
	ids  chan api.ConnID
}

func startAPINode(t *testing.T, url, name string) *apiNode {
	t.Helper()
	an := &apiNode{ids: make(chan api.ConnID, 64)}
	an.srv = api.New(api.Config{LocalHost: "127.0.0.1", EventLoops: 2, BufferMessage: true}, api.Events{
		OnConnected: func(e *api.ConnectedEvent) { an.ids <- e.ConnectionID },
	})
	n, err := Join(an.srv, Options{URL: url, Name: name, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	an.node = n
	if err := an.srv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(an.stop)
	return an
}

func (an *apiNode) stop() {
	_ = an.srv.Shutdown(context.Background())
	_ = an.node.Close()
}

// client is a WebSocket client whose reader queues what it receives; a
// close or read error ends up in err.
type client struct {
	conn net.Conn
	msgs chan string
	err  chan error
}

// dial connects a client to an and subscribes it to topics, known to NATS
// when dial returns.
func (an *apiNode) dial(t *testing.T, topics ...string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, _, err := ws.Dial(ctx, "ws://"+an.srv.Addr()+"/")
	if err != nil {
		t.Fatal(err)
	}
	c := &client{conn: conn, msgs: make(chan string, 1024), err: make(chan error, 1)}
	t.Cleanup(func() { _ = conn.Close() })
	go func() {
		for {
			b, _, err := wsutil.ReadServerData(conn)
			if err != nil {
				c.err <- err
				return
			}
			c.msgs <- string(b)
		}
	}()
	var id api.ConnID
	select {
	case id = <-an.ids:
	case <-time.After(wait):
		t.Fatal("no OnConnected")
	}
	for _, topic := range topics {
		if err := an.srv.Subscribe(id, topic); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, an.node)
	return c
}

// expect reads the next messages, failing on anything else or an error.
func (c *client) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-c.msgs:
			if got != w {
				t.Fatalf("got %q, want %q", got, w)
			}
		case err := <-c.err:
			t.Fatalf("connection ended waiting for %q: %v", w, err)
		case <-time.After(wait):
			t.Fatalf("timed out waiting for %q", w)
		}
	}
}

// expectSet reads len(want) messages in any order, each exactly once.
func (c *client) expectSet(t *testing.T, want ...string) {
	t.Helper()
	left := map[string]int{}
	for _, w := range want {
		left[w]++
	}
	for range want {
		select {
		case got := <-c.msgs:
			if left[got] == 0 {
				t.Fatalf("unexpected or repeated %q (waiting for %v)", got, left)
			}
			left[got]--
		case err := <-c.err:
			t.Fatalf("connection ended: %v", err)
		case <-time.After(wait):
			t.Fatalf("timed out waiting for %v", left)
		}
	}
}

// TestPublishAndBroadcastReachEveryNodeOnce runs three nodes, each with
// two subscribers of a topic and one connection without subscriptions:
// each node's publish and a broadcast reach every subscriber of every node
// exactly once, and the publish reaches no one else.
func TestPublishAndBroadcastReachEveryNodeOnce(t *testing.T) {
	s := runNATS(t, 0, 0)
	var nodes []*apiNode
	var subs, plain []*client
	for i := range 3 {
		an := startAPINode(t, natsURL(s), fmt.Sprintf("node%d", i+1))
		nodes = append(nodes, an)
		subs = append(subs, an.dial(t, "news"), an.dial(t, "news"))
		plain = append(plain, an.dial(t))
	}
	for i, an := range nodes {
		if err := an.srv.Publish("news", api.DataText, fmt.Appendf(nil, "from %d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nodes[1].srv.Broadcast(api.DataText, []byte("to all"), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range subs {
		c.expectSet(t, "from 1", "from 2", "from 3", "to all")
	}
	for _, c := range plain {
		c.expect(t, "to all")
	}
	// A last message from each node: anything repeated would come first.
	for i, an := range nodes {
		_ = an.srv.Publish("news", api.DataText, fmt.Appendf(nil, "end %d", i+1))
		_ = an.srv.Broadcast(api.DataText, fmt.Appendf(nil, "bye %d", i+1), nil)
	}
	for _, c := range subs {
		c.expectSet(t, "end 1", "end 2", "end 3", "bye 1", "bye 2", "bye 3")
	}
	for _, c := range plain {
		c.expectSet(t, "bye 1", "bye 2", "bye 3")
	}
	for i, an := range nodes {
		sent := uint64(3) // two publishes, one broadcast; node 2 made one more
		if i == 1 {
			sent++
		}
		if st := an.node.Stats(); st.Dropped() != 0 || st.Missed != 0 || st.OwnDropped != 0 || st.Published != sent {
			t.Errorf("%s: %+v", st.Name, st)
		}
	}
}

// TestKillingANodeHarmsNoOther stops one node of three abruptly: the
// connections of the others see no error and keep receiving.
func TestKillingANodeHarmsNoOther(t *testing.T) {
	s := runNATS(t, 0, 0)
	n1 := startAPINode(t, natsURL(s), "node1")
	n2 := startAPINode(t, natsURL(s), "node2")
	n3 := startAPINode(t, natsURL(s), "node3")
	c1, c2, c3 := n1.dial(t, "t"), n2.dial(t, "t"), n3.dial(t, "t")
	_ = n2.srv.Publish("t", api.DataText, []byte("before"))
	for _, c := range []*client{c1, c2, c3} {
		c.expect(t, "before")
	}
	// Kill node 2: its NATS connection drops without unsubscribing first.
	n2.node.Conn().Close()
	n2.stop()
	<-c2.err
	for i := range 20 {
		_ = n1.srv.Publish("t", api.DataText, fmt.Appendf(nil, "after %d", i))
		_ = n3.srv.Publish("t", api.DataText, fmt.Appendf(nil, "after %d", i))
	}
	for _, c := range []*client{c1, c3} {
		var want []string
		for i := range 20 {
			want = append(want, fmt.Sprintf("after %d", i), fmt.Sprintf("after %d", i))
		}
		c.expectSet(t, want...)
		select {
		case err := <-c.err:
			t.Errorf("a connection of a live node ended: %v", err)
		default:
		}
	}
	for _, an := range []*apiNode{n1, n3} {
		if st := an.node.Stats(); st.Dropped() != 0 || st.Missed != 0 || !st.Connected {
			t.Errorf("%s: %+v", st.Name, st)
		}
	}
}

// TestLocalDeliveryDuringOutage checks that a NATS outage does not stop a
// node's own subscribers from getting its publishes, and that delivery
// across nodes resumes by itself when NATS is back.
func TestLocalDeliveryDuringOutage(t *testing.T) {
	s := startNATS(t, 0, 0)
	defer func() { s.Shutdown() }()
	port := s.Addr().(*net.TCPAddr).Port
	n1 := startAPINode(t, natsURL(s), "node1")
	n2 := startAPINode(t, natsURL(s), "node2")
	local, remote := n1.dial(t, "t"), n2.dial(t, "t")
	s.Shutdown()
	waitFor(t, "the outage", func() bool { return !n1.node.Conn().IsConnected() })
	for i := range 100 {
		if err := n1.srv.Publish("t", api.DataText, fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		local.expect(t, fmt.Sprintf("m%d", i))
	}
	s = startNATS(t, port, 0)
	// Delivery resumes: the buffered publishes (or later ones) arrive.
	waitFor(t, "delivery to resume", func() bool {
		_ = n1.srv.Publish("t", api.DataText, []byte("probe"))
		for {
			select {
			case m := <-remote.msgs:
				if m == "probe" {
					return true
				}
			case <-time.After(20 * time.Millisecond):
				return false
			}
		}
	})
}
