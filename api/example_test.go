package api_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// An echo server: every message goes back to its sender with the same type.
func Example_echo() {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			// Data is only valid during the call; SendMessage copies it.
			_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
		},
	})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	// A client, to show it working.
	conn, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/echo")
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	_ = wsutil.WriteClientText(conn, []byte("hello"))
	msg, op, _ := wsutil.ReadServerData(conn)
	fmt.Println(string(msg), op == ws.OpText)
	// Output: hello true
}

// A chat room: every message is broadcast to every connection, framed once.
func Example_broadcast() {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			_ = srv.Broadcast(e.DataFormat, e.Data, nil)
		},
	})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	var clients []net.Conn
	for range 3 {
		c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/chat")
		if err != nil {
			panic(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for srv.ConnectionCount() < 3 {
		time.Sleep(time.Millisecond)
	}
	_ = wsutil.WriteClientText(clients[0], []byte("hi all"))
	for _, c := range clients {
		msg, _, _ := wsutil.ReadServerData(c)
		fmt.Println(string(msg))
	}
	// Output:
	// hi all
	// hi all
	// hi all
}
