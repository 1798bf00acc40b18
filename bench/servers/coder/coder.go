// Package coder is the benchmark server written on coder/websocket the way
// its documentation shows: one goroutine per connection that reads with a
// context and writes back, and for broadcast the chat example's subscriber
// shape: a buffered message channel and a writer goroutine per connection,
// closing a subscriber that falls too far behind.
package coder

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// sendQueue is the per-connection broadcast queue length.
const sendQueue = 256

type message struct {
	typ  websocket.MessageType
	data []byte
}

type subscriber struct {
	conn   *websocket.Conn
	mu     sync.Mutex // guards closed and sends on msgs
	closed bool
	msgs   chan message
}

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr, over TLS when
// cfg has a certificate, until ctx ends.
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode := cfg.Mode
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	var (
		reg serverutil.Registry[*subscriber]
		all sync.WaitGroup
	)
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		all.Add(1)
		defer all.Done()
		c.SetReadLimit(64 << 20)
		if mode == serverutil.ModeEcho {
			echo(ctx, c)
			return
		}
		broadcast(ctx, c, &reg)
	})
	err := serverutil.ServeHTTP(ctx, cfg, mux)
	all.Wait()
	return err
}

func echo(ctx context.Context, c *websocket.Conn) {
	defer c.CloseNow()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

func broadcast(ctx context.Context, c *websocket.Conn, reg *serverutil.Registry[*subscriber]) {
	defer c.CloseNow()
	s := &subscriber{conn: c, msgs: make(chan message, sendQueue)}
	reg.Add(s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range s.msgs {
			if err := c.Write(ctx, m.typ, m.data); err != nil {
				_ = c.CloseNow()
				for range s.msgs { // drain until the reader closes msgs
				}
				return
			}
		}
	}()
	defer func() {
		reg.Remove(s)
		s.mu.Lock()
		s.closed = true
		close(s.msgs)
		s.mu.Unlock()
		<-done
	}()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		m := message{typ: typ, data: data} // Read returns a fresh slice, safe to share
		snap := reg.Snapshot()
		for _, other := range *snap {
			other.publish(m)
		}
		reg.Release(snap)
	}
}

// publish queues m or closes a subscriber whose queue is full.
func (s *subscriber) publish(m message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.msgs <- m:
	default:
		_ = s.conn.CloseNow()
	}
}
