package api

import (
	"os"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

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
	return c.SendMessage(opOf(format), p)
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
// Interrupt aborts it; see engine.Conn.SendReader). If it fails after fragments were sent, the
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
	return c.SendReader(f, st.Size(), path)
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
// OnReadyToSend fires once its queue drains). With a Bridge set, a nil
// filter also sends it to every other node (see Publish); over
// MaxPublishSize it is then refused with ErrPayloadTooLarge.
func (s *Server) Broadcast(format DataFormat, p []byte, filter func(Target) bool) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	if filter == nil {
		if err := s.checkBridgedBroadcast(e, p); err != nil {
			return err
		}
		e.Broadcast(opOf(format), p, nil)
		if b := s.currentBridge(); b != nil {
			b.Broadcast(format, p)
		}
		return nil
	}
	e.Broadcast(opOf(format), p, func(c *engine.Conn) bool { return filter(Target{c}) })
	return nil
}
