package api

import (
	"context"
	"iter"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/wsloop/wsloop/engine"
)

// Server is a WebSocket server: the WebSocketServer component in Go. Create
// it with New, start it with Listen, stop it with Shutdown. All methods are
// safe to call from any goroutine.
type Server struct {
	mu       sync.Mutex
	cfg      Config
	events   Events
	eng      *engine.Engine
	logLevel atomic.Int32
	bridge   atomic.Pointer[Bridge] // see SetBridge
}

// New returns a server with the given settings and event handlers. Nothing
// is bound until Listen.
func New(cfg Config, events Events) *Server {
	s := &Server{cfg: cfg, events: events}
	s.logLevel.Store(int32(cfg.LogLevel))
	return s
}

// Listen binds LocalHost:LocalPort, starts the event loops and returns once
// the server accepts connections.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eng != nil && s.eng.Running() {
		return ErrAlreadyListening
	}
	opts, err := s.engineOptions()
	if err != nil {
		return err
	}
	eng, err := engine.New(opts, &dispatcher{s: s})
	if err != nil {
		return err
	}
	if err := eng.Start(); err != nil {
		return err
	}
	s.eng = eng
	return nil
}

func (s *Server) engine() *engine.Engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eng
}

// Listening reports whether the server accepts new connections.
func (s *Server) Listening() bool {
	e := s.engine()
	return e != nil && e.Listening()
}

// StopListening stops accepting new connections; open ones carry on. New
// connections are closed at accept, before any byte is read, until
// StartListening (gnet keeps its socket bound while its loops run; Shutdown
// releases the port).
func (s *Server) StopListening() {
	if e := s.engine(); e != nil {
		e.SetListening(false)
	}
}

// StartListening resumes accepting after StopListening.
func (s *Server) StartListening() {
	if e := s.engine(); e != nil && e.Running() {
		e.SetListening(true)
	}
}

// LocalPort returns the bound port (useful with LocalPort 0), or 0.
func (s *Server) LocalPort() int {
	if e := s.engine(); e != nil {
		return e.Port()
	}
	return 0
}

// Addr returns "host:port" of the listener, for building URLs.
func (s *Server) Addr() string {
	host := s.cfg.LocalHost
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	} else if host == "::" {
		host = "::1"
	}
	return net.JoinHostPort(host, strconv.Itoa(s.LocalPort()))
}

// Shutdown closes every connection with 1001 (Going Away), waits for the
// close replies and for queued messages to drain until ctx ends, then stops
// the event loops and releases the port. Messages accepted by Send before
// Shutdown are written before the close frame.
func (s *Server) Shutdown(ctx context.Context) error {
	e := s.engine()
	if e == nil {
		return nil
	}
	return e.Shutdown(ctx)
}

// DoEvents exists for parity with the component, whose single-threaded
// editions need it to pump events. wsloop's event loops deliver events by
// themselves, so it returns at once.
func (s *Server) DoEvents() {}

// conn looks up an open connection.
func (s *Server) conn(id ConnID) (*engine.Conn, error) {
	e := s.engine()
	if e == nil {
		return nil, ErrServerClosed
	}
	c := e.Conn(uint64(id))
	if c == nil {
		return nil, ErrNotConnected
	}
	return c, nil
}

// ConnectionCount returns the number of open connections (TCP accepted,
// including those still handshaking).
func (s *Server) ConnectionCount() int {
	e := s.engine()
	if e == nil {
		return 0
	}
	return e.ConnectionCount()
}

// Connection returns a snapshot of one connection.
func (s *Server) Connection(id ConnID) (ConnectionInfo, bool) {
	c, err := s.conn(id)
	if err != nil {
		return ConnectionInfo{}, false
	}
	return infoOf(c), true
}

// Connections iterates over snapshots of all connections.
func (s *Server) Connections() iter.Seq[ConnectionInfo] {
	return func(yield func(ConnectionInfo) bool) {
		e := s.engine()
		if e == nil {
			return
		}
		e.Each(func(c *engine.Conn) bool { return yield(infoOf(c)) })
	}
}

// Metrics returns a snapshot of the server's counters.
func (s *Server) Metrics() Metrics {
	e := s.engine()
	if e == nil {
		return Metrics{}
	}
	return metricsOf(e)
}
