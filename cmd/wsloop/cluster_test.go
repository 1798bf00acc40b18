package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nats-io/nats-server/v2/server"
)

const clusterWait = 15 * time.Second

// startCluster runs the `make cluster` layout in this process: a NATS
// server and three nodes on loopback.
func startCluster(t *testing.T) []*app {
	t.Helper()
	ns, err := startNATS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	var apps []*app
	for _, name := range []string{"node1", "node2", "node3"} {
		cfg := serveConfig(t, "-addr", "127.0.0.1:0", "-max-message", "1048576", "-max-outbound", "1048576", "-handshake-timeout", "5s")
		a, err := startApp(cfg, clusterFlags{natsURL: ns.ClientURL(), node: name, prefix: "wsloop"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = a.srv.Shutdown(context.Background())
			a.cluster.close()
		})
		apps = append(apps, a)
	}
	return apps
}

// wsClient is a test WebSocket client.
type wsClient struct {
	t    *testing.T
	conn net.Conn
}

func dialApp(t *testing.T, a *app, path string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	c, _, _, err := ws.Dial(ctx, "ws://"+a.srv.Addr()+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &wsClient{t: t, conn: c}
}

func (c *wsClient) send(s string) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.conn, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// next reads the next message; a close or an error fails the test.
func (c *wsClient) next() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(clusterWait))
	b, op, err := wsutil.ReadServerData(c.conn)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if op != ws.OpText {
		c.t.Fatalf("opcode %v", op)
	}
	return string(b)
}

func (c *wsClient) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.next(); got != w {
			c.t.Fatalf("got %q, want %q", got, w)
		}
	}
}

// flushNode waits until a node's subscriptions are known to NATS.
func flushNode(t *testing.T, a *app) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	if err := a.cluster.node.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestClusterPubsubAndChat starts NATS and three nodes and checks that a
// client on node 1 and one on node 3 talk across nodes through /pubsub
// and /chat, each message arriving once, and that /cluster lists the
// three nodes.
func TestClusterPubsubAndChat(t *testing.T) {
	apps := startCluster(t)
	n1, n3 := apps[0], apps[2]

	p3 := dialApp(t, n3, "/pubsub")
	p3.send("sub news")
	p3.expect("ok sub news")
	flushNode(t, n3)
	p1 := dialApp(t, n1, "/pubsub")
	p1.send("sub news")
	p1.expect("ok sub news")
	flushNode(t, n1)

	// Each message reaches both once; the order shows no duplicate slipped in.
	p1.send("pub news hello from node 1")
	p1.expect("msg news hello from node 1")
	p3.expect("msg news hello from node 1")
	p3.send("pub news back from 3")
	p3.expect("msg news back from 3")
	p1.expect("msg news back from 3")
	p1.send("pub news end")
	p1.expect("msg news end")
	p3.expect("msg news end")

	// Protocol errors.
	for _, bad := range []string{"sub bad*topic", "sub ", "bogus", "pub", "unsub a..b"} {
		p1.send(bad)
		if got := p1.next(); !strings.HasPrefix(got, "err ") {
			t.Errorf("%q: got %q, want an error", bad, got)
		}
	}
	if err := wsutil.WriteClientBinary(p1.conn, []byte("sub news")); err != nil {
		t.Fatal(err)
	}
	if got := p1.next(); !strings.HasPrefix(got, "err ") {
		t.Errorf("binary: got %q", got)
	}
	p1.send("unsub news")
	p1.expect("ok unsub news")
	p1.send("pub news only for 3")
	p3.expect("msg news only for 3")
	p1.send("sub news")
	p1.expect("ok sub news") // nothing came in between: p1 had left the topic

	// The chat room spans the nodes.
	c1, c3 := dialApp(t, n1, "/chat"), dialApp(t, n3, "/chat")
	for _, a := range []*app{n1, n3} {
		deadline := time.Now().Add(clusterWait)
		for !a.cluster.node.Listening(chatTopic) {
			if time.Now().After(deadline) {
				t.Fatal("chat subscription missing")
			}
			time.Sleep(5 * time.Millisecond)
		}
		flushNode(t, a)
	}
	c1.send(`{"from":"one","text":"hi"}`)
	c1.expect(`{"from":"one","text":"hi"}`)
	c3.expect(`{"from":"one","text":"hi"}`)
	c3.send(`{"from":"three","text":"hello"}`)
	c3.expect(`{"from":"three","text":"hello"}`)
	c1.expect(`{"from":"three","text":"hello"}`)

	// Every node's figures reach every node.
	deadline := time.Now().Add(clusterWait)
	for {
		v := getCluster(t, n1)
		if len(v.Nodes) == 3 && v.Self == "node1" && v.Nodes[2].Name == "node3" && v.Nodes[2].Connections == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/cluster on node1: %+v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getCluster(t *testing.T, a *app) clusterView {
	t.Helper()
	v, err := fetchCluster(a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fetchCluster reads a's /cluster document.
func fetchCluster(a *app) (clusterView, error) {
	var v clusterView
	resp, err := http.Get("http://" + a.srv.Addr() + "/cluster")
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&v)
	return v, err
}

// TestPubsubOverMaxPayload checks that a pub that NATS could not carry
// gets an err answer naming max_payload, and that the connection and the
// node go on working.
func TestPubsubOverMaxPayload(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, MaxPayload: 1024})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(clusterWait) {
		t.Fatal("NATS did not start")
	}
	defer ns.Shutdown()
	cfg := serveConfig(t, "-addr", "127.0.0.1:0", "-max-message", "1048576", "-max-outbound", "1048576", "-handshake-timeout", "5s")
	a, err := startApp(cfg, clusterFlags{natsURL: ns.ClientURL(), node: "n", prefix: "wsloop"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.srv.Shutdown(context.Background()); a.cluster.close() }()
	c := dialApp(t, a, "/pubsub")
	c.send("sub t")
	c.expect("ok sub t")
	flushNode(t, a)
	c.send("pub t " + strings.Repeat("x", 2000))
	if got := c.next(); !strings.HasPrefix(got, "err ") || !strings.Contains(got, "max_payload") {
		t.Fatalf("oversize pub: %q", got)
	}
	c.send("pub t small")
	c.expect("msg t small")
	if st := a.cluster.node.Stats(); !st.Connected || st.Disconnects != 0 {
		t.Errorf("node after the oversize pub: %+v", st)
	}
}

// TestSingleNodeClusterView checks that a node without a cluster samples
// its figures when /cluster is read, from many readers at once, and that
// the view counts a connection that opened after the server started.
func TestSingleNodeClusterView(t *testing.T) {
	a, err := startApp(serveConfig(t, "-addr", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.srv.Shutdown(context.Background()); a.cluster.close() }()
	dialApp(t, a, "/chat")
	var wg sync.WaitGroup
	views := make([]clusterView, 4)
	errs := make([]error, len(views))
	for i := range views {
		wg.Go(func() { views[i], errs[i] = fetchCluster(a) }) // t.Fatal belongs to the test goroutine
	}
	wg.Wait()
	for i, v := range views {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(v.Nodes) != 1 || v.Nodes[0].Name != v.Self || v.Nodes[0].Connections != 1 {
			t.Fatalf("/cluster: %+v, want this node alone with 1 connection", v)
		}
	}
}
