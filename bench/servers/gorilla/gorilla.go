// Package gorilla is the benchmark server written on gorilla/websocket the
// way its documentation recommends: one goroutine per connection reading
// (and, in echo mode, writing), a shared write-buffer pool for many mostly
// idle connections, and for broadcast the chat example's hub shape: a
// buffered send channel and a writer goroutine per connection, with the
// message framed once as a PreparedMessage.
package gorilla

import (
	"context"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// sendQueue is the per-connection broadcast queue length; a connection that
// falls this far behind is closed, as in gorilla's chat example.
const sendQueue = 256

type client struct {
	conn   *websocket.Conn
	mu     sync.Mutex // guards closed and sends on send
	closed bool
	send   chan *websocket.PreparedMessage
}

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr, over TLS when
// cfg has a certificate, until ctx ends.
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode := cfg.Mode
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	var (
		reg serverutil.Registry[*client]
		all sync.WaitGroup
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.SetReadLimit(64 << 20)
		all.Add(1)
		defer all.Done()
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		defer stop()
		if mode == serverutil.ModeEcho {
			echo(c)
			return
		}
		broadcast(c, &reg)
	})
	err := serverutil.ServeHTTP(ctx, cfg, mux)
	all.Wait()
	return err
}

func echo(c *websocket.Conn) {
	defer c.Close()
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}

func broadcast(c *websocket.Conn, reg *serverutil.Registry[*client]) {
	cl := &client{conn: c, send: make(chan *websocket.PreparedMessage, sendQueue)}
	reg.Add(cl)
	done := make(chan struct{})
	go func() { // writePump
		defer close(done)
		for pm := range cl.send {
			if err := c.WritePreparedMessage(pm); err != nil {
				_ = c.Close()
				for range cl.send { // drain until the reader closes send
				}
				return
			}
		}
	}()
	defer func() {
		reg.Remove(cl)
		cl.mu.Lock()
		cl.closed = true
		close(cl.send)
		cl.mu.Unlock()
		<-done
		_ = c.Close()
	}()
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		pm, err := websocket.NewPreparedMessage(typ, msg)
		if err != nil {
			return
		}
		snap := reg.Snapshot()
		for _, other := range *snap {
			other.trySend(pm)
		}
		reg.Release(snap)
	}
}

// trySend queues pm or, when the queue is full, closes the connection (its
// reader then unregisters it).
func (cl *client) trySend(pm *websocket.PreparedMessage) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.closed {
		return
	}
	select {
	case cl.send <- pm:
	default:
		_ = cl.conn.Close()
	}
}
