// Package nbio is the benchmark server written on lesismal/nbio's nbhttp
// engine in its default non-blocking I/O mode: connections are served by
// nbio's poller goroutines (no goroutine per connection), messages arrive
// through Upgrader.OnMessage and writes are queued by nbio without blocking.
package nbio

import (
	"context"
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Run serves mode ("echo" or "broadcast") on addr until ctx ends.
func Run(ctx context.Context, addr string, mode string) error {
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	logging.SetLevel(logging.LevelError)
	var reg serverutil.Registry[*websocket.Conn]
	up := websocket.NewUpgrader()
	up.KeepaliveTime = 0 // the other servers have no idle timeout either
	up.MessageLengthLimit = 64 << 20
	up.CheckOrigin = func(*http.Request) bool { return true }
	if mode == serverutil.ModeEcho {
		up.OnMessage(func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
			_ = c.WriteMessage(typ, data)
		})
	} else {
		up.OnOpen(func(c *websocket.Conn) { reg.Add(c) })
		up.OnClose(func(c *websocket.Conn, _ error) { reg.Remove(c) })
		up.OnMessage(func(_ *websocket.Conn, typ websocket.MessageType, data []byte) {
			snap := reg.Snapshot()
			for _, other := range *snap {
				_ = other.WriteMessage(typ, data)
			}
			reg.Release(snap)
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = up.Upgrade(w, r, nil) // errors are answered by the upgrader
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{addr},
		MaxLoad:                 1 << 20,
		Handler:                 mux,
		ReleaseWebsocketPayload: true,
		Listen: func(network, a string) (net.Listener, error) {
			ln, err := net.Listen(network, a)
			if err == nil {
				serverutil.NotifyReady(ctx, ln.Addr())
			}
			return ln, err
		},
	})
	if err := engine.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), serverutil.ShutdownGrace)
	defer cancel()
	_ = engine.Shutdown(sctx)
	return nil
}
