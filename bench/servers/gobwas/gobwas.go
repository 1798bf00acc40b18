// Package gobwas is the benchmark server written on gobwas/ws the way its
// documentation describes for many connections: the upgrade through
// ws.UpgradeHTTP, then no goroutine per connection at rest. An epoll
// poller (see poller_linux.go) reports a readable connection once, a worker
// from a fixed pool reads one message with wsutil and answers it, and the
// connection is re-armed. Broadcast frames the message once with
// ws.WriteHeader and writes the same bytes to every connection.
package gobwas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Pool sizing: enough workers to hide a read that waits for the rest of a
// large message, few enough to stay cheap.
const (
	workers   = 64
	taskQueue = 4096
	maxMsg    = 64 << 20
)

type conn struct {
	nc      net.Conn
	fd      int
	id      uint32
	wmu     sync.Mutex // serialises writes (echo replies, control replies, broadcasts)
	pending *bytes.Reader
	rw      connRW
}

// connRW is the io.ReadWriter handed to wsutil: reads come first from bytes
// the HTTP server had already buffered, then from the socket; writes go
// through the connection's write lock.
type connRW struct{ c *conn }

func (rw connRW) Read(p []byte) (int, error) {
	c := rw.c
	if c.pending != nil {
		if c.pending.Len() > 0 {
			return c.pending.Read(p)
		}
		c.pending = nil
	}
	return c.nc.Read(p)
}

func (rw connRW) Write(p []byte) (int, error) {
	rw.c.wmu.Lock()
	defer rw.c.wmu.Unlock()
	return rw.c.nc.Write(p)
}

type server struct {
	broadcast bool
	poll      *poller
	work      *pool
	reg       serverutil.Registry[*conn]
	frames    sync.Pool
}

// TLSUnsupported says why this server does not serve TLS: its poller waits
// for the raw socket to become readable and then reads a whole message with
// wsutil, but a TLS connection can hold decrypted bytes in crypto/tls's
// buffer while the socket has nothing to read, so a poller over the fd
// would miss them (and a read of a partial record would block a worker).
const TLSUnsupported = "gobwas's bench server polls raw sockets for readiness; crypto/tls buffers decrypted bytes the poller cannot see"

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr until ctx ends.
// It returns serverutil.ErrNoTLS when cfg asks for TLS (see TLSUnsupported).
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode := cfg.Mode
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	if cfg.TLS() {
		return fmt.Errorf("gobwas: %w: %s", serverutil.ErrNoTLS, TLSUnsupported)
	}
	wsutil.SetMaxMessageSize(maxMsg)
	p, err := newPoller()
	if err != nil {
		return err
	}
	s := &server{broadcast: mode == serverutil.ModeBroadcast, poll: p, work: newPool(workers, taskQueue)}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	mux.HandleFunc("/", s.upgrade)
	err = serverutil.ServeHTTP(ctx, cfg, mux)
	s.poll.Close() // no more readiness callbacks
	s.reg.Each(func(c *conn) { _ = c.nc.Close() })
	s.work.Close()
	return err
}

func (s *server) upgrade(w http.ResponseWriter, r *http.Request) {
	nc, brw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &conn{nc: nc}
	c.rw = connRW{c: c}
	if n := brw.Reader.Buffered(); n > 0 { // frames pipelined behind the upgrade
		b, _ := brw.Reader.Peek(n)
		c.pending = bytes.NewReader(bytes.Clone(b))
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		_ = nc.Close()
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		_ = nc.Close()
		return
	}
	_ = raw.Control(func(fd uintptr) { c.fd = int(fd) })
	s.reg.Add(c)
	if c.pending != nil {
		s.work.Schedule(func() { s.serve(c, true) })
		return
	}
	s.arm(c)
}

// arm registers c with the poller; its callback hands the connection to a
// worker.
func (s *server) arm(c *conn) {
	c.id = s.poll.NewID()
	if err := s.poll.Start(c.fd, c.id, func() { s.work.Schedule(func() { s.serve(c, false) }) }); err != nil {
		s.drop(c, false)
	}
}

// serve reads one message (more while pipelined bytes remain) and answers
// it, then re-arms the connection.
func (s *server) serve(c *conn, first bool) {
	for {
		msg, op, err := wsutil.ReadClientData(c.rw)
		if err != nil {
			s.drop(c, !first)
			return
		}
		if s.broadcast {
			s.fanOut(op, msg)
		} else if err := wsutil.WriteServerMessage(c.rw, op, msg); err != nil {
			s.drop(c, !first)
			return
		}
		if c.pending == nil || c.pending.Len() == 0 {
			break
		}
	}
	c.pending = nil
	if first {
		s.arm(c)
		return
	}
	if err := s.poll.Resume(c.fd, c.id); err != nil {
		s.drop(c, true)
	}
}

func (s *server) drop(c *conn, registered bool) {
	if registered {
		s.poll.Stop(c.fd, c.id)
	}
	s.reg.Remove(c)
	_ = c.nc.Close()
}

func (s *server) fanOut(op ws.OpCode, msg []byte) {
	buf, _ := s.frames.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	_ = ws.WriteHeader(buf, ws.Header{Fin: true, OpCode: op, Length: int64(len(msg))})
	buf.Write(msg)
	frame := buf.Bytes()
	snap := s.reg.Snapshot()
	for _, other := range *snap {
		if _, err := other.rw.Write(frame); err != nil {
			other.abort()
		}
	}
	s.reg.Release(snap)
	s.frames.Put(buf)
}

// abort makes a connection whose write failed readable (EOF), so the worker
// that owns its reads unregisters and closes it; closing it here would drop
// it from epoll silently and leave it registered.
func (c *conn) abort() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.CloseRead()
		return
	}
	_ = c.nc.Close()
}

var _ io.ReadWriter = connRW{}
