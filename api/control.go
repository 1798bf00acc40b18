package api

import "time"

// The per-connection operations besides sending. Each looks the connection
// up (ErrServerClosed, ErrNotConnected) and calls the engine.Conn method of
// the same name.

// Ping sends a ping with payload (at most 125 bytes); the pong arrives as
// OnDataIn with DataPong.
func (s *Server) Ping(id ConnID, payload []byte) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.Ping(payload)
}

// Disconnect closes the connection with DisconnectStatusCode and
// DisconnectStatusDescription.
func (s *Server) Disconnect(id ConnID) error { return s.DisconnectWith(id, 0, "") }

// DisconnectWith closes the connection with code and reason (code 0 uses
// the configured DisconnectStatusCode). Messages queued before are written
// first.
func (s *Server) DisconnectWith(id ConnID, code int, reason string) error {
	if code < 0 || code > 0xffff {
		return ErrBadCloseCode
	}
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.Disconnect(uint16(code), reason)
}

// Interrupt aborts a Send or SendFile waiting for room on the connection;
// it returns ErrInterrupted.
func (s *Server) Interrupt(id ConnID) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.Interrupt()
}

// SetAcceptData pauses (false) or resumes (true) reading from a connection.
func (s *Server) SetAcceptData(id ConnID, accept bool) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	return c.SetAcceptData(accept)
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
