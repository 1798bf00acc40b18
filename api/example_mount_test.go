package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// Mounting wsloop in an existing net/http server: the application keeps its
// own mux, routes and middleware, and the upgraded connections move onto
// wsloop's event loops (no goroutine stays per connection).
func Example_mountInNetHTTP() {
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true}, api.Events{
		OnWebSocketOpenRequest: func(e *api.WebSocketOpenRequestEvent) {
			// e.Request is the *http.Request: what middleware attached to
			// it (an authenticated user, say) is available here.
			if e.Request.Header.Get("X-Token") != "let-me-in" {
				e.StatusCode = http.StatusUnauthorized
			}
		},
		OnDataIn: func(e *api.DataInEvent) {
			_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
		},
	})
	// The event loops need Listen; StopListening leaves only the mounted path.
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	srv.StopListening()
	defer srv.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("/ws", srv.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()

	// Clients, to show it working.
	resp, err := http.Get("http://" + ln.Addr().String() + "/health")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"X-Token": {"let-me-in"}})}
	conn, _, _, err := d.Dial(context.Background(), "ws://"+ln.Addr().String()+"/ws")
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	_ = wsutil.WriteClientText(conn, []byte("hello through net/http"))
	msg, _, _ := wsutil.ReadServerData(conn)
	fmt.Println(string(msg))

	_, _, _, err = ws.Dial(context.Background(), "ws://"+ln.Addr().String()+"/ws")
	fmt.Println(err)
	// Output:
	// ok
	// hello through net/http
	// unexpected HTTP response status: 401
}
