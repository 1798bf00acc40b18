package api

import (
	"context"
	"fmt"
	"iter"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsloop/wsloop/codec"
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
	eng, err := engine.New(opts, &adapter{s: s})
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

// Send sends p as one binary message. It copies p before returning. With
// the connection's Timeout at 0 a full outbound queue returns ErrWouldBlock
// (OnReadyToSend follows); otherwise Send waits up to Timeout. Do not wait
// in event handlers: keep Timeout 0 for sends made there.
func (s *Server) Send(id ConnID, p []byte) error { return s.SendMessage(id, DataBinary, p) }

// SendText sends text as one text message (text must be valid UTF-8).
func (s *Server) SendText(id ConnID, text string) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.Send(codec.OpText, stringBytes(text), engine.CompressAuto)
}

// SendMessage sends p as one message of the given format (DataText or
// DataBinary). It is how an echo handler answers with the same type.
func (s *Server) SendMessage(id ConnID, format DataFormat, p []byte) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	if c.StreamRemaining() > 0 {
		return c.SendPiece(p, false)
	}
	return c.Send(opOf(format), p, engine.CompressAuto)
}

// SendUncompressed sends p without permessage-deflate even when it was
// negotiated (for data that is already compressed).
func (s *Server) SendUncompressed(id ConnID, format DataFormat, p []byte) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.Send(opOf(format), p, engine.CompressOff)
}

// Ping sends a ping with payload (at most 125 bytes); the pong arrives as
// OnDataIn with DataPong.
func (s *Server) Ping(id ConnID, payload []byte) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	return e.Ping(uint64(id), payload)
}

// Disconnect closes the connection with DisconnectStatusCode and
// DisconnectStatusDescription.
func (s *Server) Disconnect(id ConnID) error { return s.DisconnectWith(id, 0, "") }

// DisconnectWith closes the connection with code and reason (code 0 uses
// the configured DisconnectStatusCode). Messages queued before are written
// first.
func (s *Server) DisconnectWith(id ConnID, code int, reason string) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	if code < 0 || code > 0xffff {
		return ErrBadCloseCode
	}
	return e.Disconnect(uint64(id), uint16(code), reason)
}

// Interrupt aborts a Send or SendFile waiting for room on the connection;
// it returns ErrInterrupted.
func (s *Server) Interrupt(id ConnID) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	return e.Interrupt(uint64(id))
}

// SetAcceptData pauses (false) or resumes (true) reading from a connection.
func (s *Server) SetAcceptData(id ConnID, accept bool) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	return e.SetAcceptData(uint64(id), accept)
}

// SetTimeout sets a connection's Send timeout (0 = non-blocking).
func (s *Server) SetTimeout(id ConnID, d time.Duration) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	c.SetTimeout(d)
	return nil
}

// SetUserData attaches an application value to a connection.
func (s *Server) SetUserData(id ConnID, v any) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	c.SetUserData(v)
	return nil
}

// UserData returns the value set by SetUserData (nil if none or unknown ID).
func (s *Server) UserData(id ConnID) any {
	c, err := s.conn(id)
	if err != nil {
		return nil
	}
	return c.UserData()
}

// Target is the view of a connection given to a Broadcast filter.
type Target struct{ c *engine.Conn }

// ID returns the connection's ID.
func (t Target) ID() ConnID { return ConnID(t.c.ID()) }

// SubProtocol returns the connection's negotiated subprotocol.
func (t Target) SubProtocol() string { return t.c.Subprotocol() }

// UserData returns the value set with Server.SetUserData (for example a
// room name chosen in OnWebSocketOpenRequest from the RequestURI).
func (t Target) UserData() any { return t.c.UserData() }

// Broadcast sends one message to every open connection for which filter
// returns true (nil = all). The frame is built (and compressed) once and
// each event loop gets one task for all its connections. filter runs on the
// event loops and must not block. It returns at once; each connection gets
// the message in order with what was sent to it before. A receiver whose
// outbound queue is full is closed with 1008 (CloseSlowConsumer) or skipped
// for this message (WouldBlock: Metrics.BroadcastDropped counts it, and
// OnReadyToSend fires once its queue drains).
func (s *Server) Broadcast(format DataFormat, p []byte, filter func(Target) bool) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	var f func(*engine.Conn) bool
	if filter != nil {
		f = func(c *engine.Conn) bool { return filter(Target{c}) }
	}
	e.Broadcast(opOf(format), p, f)
	return nil
}

// SetMessageLength announces a message of n bytes that the following Send
// or SendMessage calls on the connection deliver piece by piece, each sent
// as a fragment right away (the component's MessageLength setting).
func (s *Server) SetMessageLength(id ConnID, format DataFormat, n int64) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.SetMessageLength(opOf(format), n)
}

// SendFile streams a file as one binary message, in fragments of 64 KiB,
// never reading it whole into memory and waiting for room in the outbound
// queue between fragments (bounded by the connection's Timeout when set;
// Interrupt aborts it). If it fails after fragments were sent, the
// connection is closed with 1011, since the peer can no longer get a valid
// message. Broadcasts meanwhile follow the file; other sends return
// ErrStreamInProgress. It blocks: never call it from an event handler.
func (s *Server) SendFile(id ConnID, path string) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	c.BeginInterruptible()
	defer c.EndInterruptible()
	if err := c.SetMessageLength(codec.OpBinary, st.Size()); err != nil {
		return err
	}
	if st.Size() == 0 {
		return c.Send(codec.OpBinary, nil, engine.CompressOff)
	}
	buf := make([]byte, 64<<10)
	for left := st.Size(); left > 0; {
		n, err := f.Read(buf[:min(int64(len(buf)), left)])
		if n > 0 {
			if err := c.SendPiece(buf[:n], true); err != nil {
				c.AbortStream()
				return err
			}
			left -= int64(n)
		}
		if err != nil && left > 0 {
			c.AbortStream()
			return fmt.Errorf("wsloop: reading %s: %w", path, err)
		}
	}
	return nil
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
