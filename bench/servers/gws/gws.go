// Package gws is the benchmark server written on lxzan/gws in its
// event-handler style: an Upgrader with an Event implementation, one
// ReadLoop goroutine per connection as gws requires, non-blocking writes,
// and broadcast through gws.Broadcaster, which frames a message once.
package gws

import (
	"context"
	"net/http"
	"sync"

	"github.com/lxzan/gws"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

type handler struct {
	gws.BuiltinEventHandler
	broadcast bool
	reg       serverutil.Registry[*gws.Conn]
}

func (h *handler) OnOpen(c *gws.Conn) {
	if h.broadcast {
		h.reg.Add(c)
	}
}

func (h *handler) OnClose(c *gws.Conn, _ error) {
	if h.broadcast {
		h.reg.Remove(c)
	}
}

func (h *handler) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }

func (h *handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	if !h.broadcast {
		_ = c.WriteMessage(m.Opcode, m.Bytes())
		return
	}
	b := gws.NewBroadcaster(m.Opcode, m.Bytes())
	snap := h.reg.Snapshot()
	for _, other := range *snap {
		_ = b.Broadcast(other)
	}
	h.reg.Release(snap)
	_ = b.Close()
}

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr, over TLS when
// cfg has a certificate, until ctx ends.
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode := cfg.Mode
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	h := &handler{broadcast: mode == serverutil.ModeBroadcast}
	up := gws.NewUpgrader(h, &gws.ServerOption{
		ReadMaxPayloadSize: 64 << 20,
		Recovery:           gws.Recovery,
	})
	var all sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		all.Add(1)
		go func() {
			defer all.Done()
			stop := context.AfterFunc(ctx, func() { _ = c.NetConn().Close() })
			defer stop()
			c.ReadLoop()
		}()
	})
	err := serverutil.ServeHTTP(ctx, cfg, mux)
	all.Wait()
	return err
}
