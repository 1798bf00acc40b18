package cluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/cluster"
)

// Two servers (nodes) share topics over NATS: a publish on node A reaches
// a subscriber connected to node B. Here NATS runs in the process; in
// production each node would point Options.URL at a NATS cluster.
func Example() {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		panic("NATS did not start")
	}
	defer ns.Shutdown()

	// node starts a server that subscribes every connection to "news".
	node := func(name string) (*api.Server, *cluster.Node) {
		var srv *api.Server
		srv = api.New(api.Config{LocalHost: "127.0.0.1"}, api.Events{
			OnConnected: func(e *api.ConnectedEvent) { _ = srv.Subscribe(e.ConnectionID, "news") },
		})
		n, err := cluster.Join(srv, cluster.Options{URL: ns.ClientURL(), Name: name}) // before Listen
		if err != nil {
			panic(err)
		}
		if err := srv.Listen(); err != nil {
			panic(err)
		}
		return srv, n
	}
	a, nodeA := node("a")
	defer nodeA.Close()
	defer a.Shutdown(context.Background())
	b, nodeB := node("b")
	defer nodeB.Close()
	defer b.Shutdown(context.Background())

	conn, _, _, err := ws.Dial(context.Background(), "ws://"+b.Addr()+"/")
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	for !nodeB.Listening("news") { // B subscribes the connection on its loop
		time.Sleep(time.Millisecond)
	}
	_ = nodeB.Flush(context.Background()) // B's interest is known to NATS

	_ = a.Publish("news", api.DataText, []byte("hello from node a"))
	msg, _, _ := wsutil.ReadServerData(conn)
	fmt.Println(string(msg))
	// Output: hello from node a
}
