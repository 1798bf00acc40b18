package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
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

// permessage-deflate with its limits: a message may inflate to at most
// MaxDecompressedSize (1009 beyond, so a compression bomb costs almost
// nothing), and messages inflating beyond InlineInflateSize are inflated by
// a worker goroutine instead of the event loop.
func Example_compression() {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true, Compression: api.Compression{
		Enabled:             true,
		MaxDecompressedSize: 1 << 20,  // 1 MiB per message
		InlineInflateSize:   64 << 10, // larger ones go to a worker
	}}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			fmt.Printf("%d bytes\n", len(e.Data))
			_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data[:5]) // compressed if negotiated and above the threshold
		},
	})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	// A client that offers permessage-deflate and sends a compressed message.
	d := ws.Dialer{Extensions: []httphead.Option{wsflate.Parameters{}.Option()}}
	conn, _, _, err := d.Dial(context.Background(), "ws://"+srv.Addr()+"/")
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	msg := bytes.Repeat([]byte("hello "), 50000) // 300 KB: inflated by a worker
	f, err := wsflate.CompressFrame(ws.NewBinaryFrame(msg))
	if err != nil {
		panic(err)
	}
	if err := ws.WriteFrame(conn, ws.MaskFrameInPlace(f)); err != nil {
		panic(err)
	}
	reply, err := ws.ReadFrame(conn)
	if err != nil {
		panic(err)
	}
	if reply, err = wsflate.DecompressFrame(reply); err != nil { // a no-op on an uncompressed frame
		panic(err)
	}
	fmt.Printf("%q, inflated off the loop: %d\n", reply.Payload, srv.Metrics().InflatedOffLoop)
	// Output:
	// 300000 bytes
	// "hello", inflated off the loop: 1
}

// Limits for a server facing browsers on the internet: upgrades from the
// app's own origins only, a memory budget for the whole server, and
// per-address limits. A cross-origin upgrade gets 403.
func Example_limits() {
	srv := api.New(api.Config{
		LocalHost:           "127.0.0.1",
		BufferMessage:       true,
		Origins:             []string{"app.example.com", "*.example.com"}, // besides the same origin
		MaxBufferedBytes:    256 << 20,                                    // 1013 beyond, after BufferWaitTimeout
		BufferWaitTimeout:   5 * time.Second,
		MaxConnectionsPerIP: 100, // 503 beyond
		HandshakeRatePerIP:  20,  // new connections per second per address; 429 beyond
		HandshakeBurstPerIP: 50,
	}, api.Events{})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	dial := func(origin string) {
		h := ws.HandshakeHeaderHTTP{"Origin": []string{origin}}
		_, _, _, err := ws.Dialer{Header: h}.Dial(context.Background(), "ws://"+srv.Addr()+"/")
		var status ws.StatusError
		switch {
		case err == nil:
			fmt.Println(origin, "accepted")
		case errors.As(err, &status):
			fmt.Println(origin, "refused:", int(status))
		}
	}
	dial("https://chat.example.com")
	dial("https://evil.example")
	// Output:
	// https://chat.example.com accepted
	// https://evil.example refused: 403
}

// Topics: a connection subscribes to named topics, and a publish reaches
// every subscriber of its topic, framed once per event loop. Here "join
// ROOM" subscribes and anything else is said to the room "lobby".
func Example_topics() {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			if room, ok := strings.CutPrefix(string(e.Data), "join "); ok {
				// Names map to NATS subjects: letters, digits, '-', '_', '.'.
				if err := srv.Subscribe(e.ConnectionID, room); err != nil {
					_ = srv.SendText(e.ConnectionID, err.Error())
					return
				}
				_ = srv.SendText(e.ConnectionID, "joined "+room)
				return
			}
			_ = srv.Publish("lobby", e.DataFormat, e.Data)
		},
	})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	say := func(c net.Conn, text string) string {
		_ = wsutil.WriteClientText(c, []byte(text))
		reply, _, _ := wsutil.ReadServerData(c)
		return string(reply)
	}
	var clients []net.Conn
	for _, room := range []string{"lobby", "lobby", "kitchen"} {
		c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
		if err != nil {
			panic(err)
		}
		defer c.Close()
		fmt.Println(say(c, "join "+room)) // once the reply is here, publishes reach c
		clients = append(clients, c)
	}
	fmt.Println(say(clients[2], "join no spaces"))
	fmt.Println("lobby subscribers:", srv.Subscribers("lobby"))

	_ = wsutil.WriteClientText(clients[2], []byte("hello lobby")) // the kitchen speaks to the lobby
	for _, c := range clients[:2] {
		msg, _, _ := wsutil.ReadServerData(c)
		fmt.Println(string(msg))
	}
	// Output:
	// joined lobby
	// joined lobby
	// joined kitchen
	// wsloop: topic name invalid (letters, digits, '-', '_', and '.' between non-empty tokens)
	// lobby subscribers: 2
	// hello lobby
	// hello lobby
}
