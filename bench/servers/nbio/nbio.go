// Package nbio is the benchmark server written on lesismal/nbio's nbhttp
// engine in its default non-blocking I/O mode: connections are served by
// nbio's poller goroutines (no goroutine per connection), messages arrive
// through Upgrader.OnMessage and writes are queued by nbio without blocking.
package nbio

import (
	"context"
	"net"
	"net/http"

	"github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr until ctx ends;
// with a certificate in cfg it serves wss:// through nbhttp's own
// non-blocking TLS (Config.AddrsTLS and Config.TLSConfig), TLS 1.3 only.
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode, addr := cfg.Mode, cfg.Addr
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
	conf := nbhttp.Config{
		Network:                 "tcp",
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
	}
	if cfg.TLS() {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return err
		}
		conf.AddrsTLS, conf.TLSConfig = []string{addr}, tc
	} else {
		conf.Addrs = []string{addr}
	}
	engine := nbhttp.NewEngine(conf)
	if err := engine.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), serverutil.ShutdownGrace)
	defer cancel()
	_ = engine.Shutdown(sctx)
	return nil
}

// tlsConfig is serverutil.Config.TLSConfig in the types of nbio's
// crypto/tls fork (llib), which its non-blocking TLS needs.
func tlsConfig(cfg serverutil.Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}, nil
}
