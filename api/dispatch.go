package api

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

// dispatcher turns engine callbacks into the public events. It is the only
// place that knows both the engine and the event structs. The engine calls
// it only through its recovering wrapper, so a panic in an event handler
// reached from here never unwinds into an event loop; the engine also
// writes the "error:" and "disconnected with" log lines itself.
type dispatcher struct{ s *Server }

// loopEvents are the event structs reused on one event loop.
type loopEvents struct {
	data      DataInEvent
	connected ConnectedEvent
	disc      DisconnectedEvent
	err       ErrorEvent
	log       LogEvent
	ready     ReadyToSendEvent
	open      WebSocketOpenRequestEvent
}

func (a *dispatcher) events(c *engine.Conn) *loopEvents {
	p := c.LoopLocal()
	if le, ok := (*p).(*loopEvents); ok {
		return le
	}
	le := &loopEvents{}
	*p = le
	return le
}

func (a *dispatcher) Accept(remote, _ netip.AddrPort) bool {
	fn := a.s.events.OnConnectionRequest
	if fn == nil {
		return true
	}
	ev := ConnectionRequestEvent{Address: remote.Addr().Unmap().String(), Port: int(remote.Port()), Accept: true}
	fn(&ev)
	return ev.Accept
}

func (a *dispatcher) OpenRequest(c *engine.Conn, req *codec.Request, resp *engine.OpenResponse) {
	fn := a.s.events.OnWebSocketOpenRequest
	if fn == nil {
		return
	}
	ev := &a.events(c).open
	subs, exts := ev.SubProtocols[:0], ev.Extensions[:0]
	for p := range req.Protocols() {
		subs = append(subs, string(p))
	}
	for x := range req.Extensions() {
		exts = append(exts, string(x))
	}
	*ev = WebSocketOpenRequestEvent{
		ConnectionID: ConnID(c.ID()),
		RequestURI:   string(req.URI),
		Host:         string(req.Host),
		Origin:       string(req.Origin),
		SubProtocols: subs,
		Extensions:   exts,
		StatusCode:   resp.Status,
		Reason:       resp.Reason,
		SubProtocol:  string(resp.Subprotocol),
		Request:      c.HTTPRequest(),
		header:       func(name string) string { return string(req.Header(name)) },
	}
	fn(ev)
	resp.Status = ev.StatusCode
	resp.Reason = ev.Reason
	resp.Subprotocol = []byte(ev.SubProtocol)
	resp.Compress = !ev.DisableCompression
	if len(ev.ResponseHeaders) > 0 {
		var h []byte
		for name, values := range ev.ResponseHeaders {
			for _, v := range values {
				h = codec.AppendHeaderLine(h, name, v)
			}
		}
		resp.Headers = h
	}
	ev.ResponseHeaders = nil
	ev.Request = nil
	ev.header = nil
}

func (a *dispatcher) Connected(c *engine.Conn) {
	fn := a.s.events.OnConnected
	if fn == nil {
		return
	}
	ev := &a.events(c).connected
	*ev = ConnectedEvent{ConnectionID: ConnID(c.ID()), StatusCode: 101, Description: "Switching Protocols"}
	fn(ev)
}

func (a *dispatcher) Data(c *engine.Conn, op codec.OpCode, data []byte, eom bool) {
	fn := a.s.events.OnDataIn
	if fn == nil {
		return
	}
	ev := &a.events(c).data
	ev.ConnectionID, ev.DataFormat, ev.Data, ev.EOM = ConnID(c.ID()), formatOf(op), data, eom
	fn(ev)
	ev.Data = nil
}

func (a *dispatcher) Disconnected(c *engine.Conn, code uint16, reason string) {
	fn := a.s.events.OnDisconnected
	if fn == nil {
		return
	}
	ev := &a.events(c).disc
	*ev = DisconnectedEvent{ConnectionID: ConnID(c.ID()), StatusCode: int(code), Description: reason}
	fn(ev)
}

func (a *dispatcher) Error(c *engine.Conn, err error) {
	fn := a.s.events.OnError
	if fn == nil {
		return
	}
	ev := &ErrorEvent{}
	if c != nil {
		ev = &a.events(c).err
		*ev = ErrorEvent{ConnectionID: ConnID(c.ID())}
	}
	ev.Code, ev.Description, ev.Err = errorCode(err), err.Error(), err
	if isTooBig(err) {
		ev.Err = &wrapped{err: err, is: ErrMessageTooBig}
	}
	fn(ev)
	ev.Err = nil
}

func (a *dispatcher) ReadyToSend(c *engine.Conn) {
	fn := a.s.events.OnReadyToSend
	if fn == nil {
		return
	}
	ev := &a.events(c).ready
	ev.ConnectionID = ConnID(c.ID())
	fn(ev)
}

var logTypes = [...]string{"", "Info", "Verbose", "Debug"}

// slogLevels maps LogLevel 1 (info), 2 (verbose) and 3 (debug) to slog
// levels: a Config.Logger whose handler shows Info prints level 1 only.
var slogLevels = [...]slog.Level{0, slog.LevelInfo, slog.LevelDebug, slog.LevelDebug - 4}

// SlogLevel returns the slog level that Config.Logger's handler must
// enable to print wsloop's log lines up to LogLevel level (1 info,
// 2 verbose, 3 debug).
func SlogLevel(level int) slog.Level { return slogLevels[max(1, min(level, 3))] }

func (a *dispatcher) Log(c *engine.Conn, level int, msg string, attrs ...slog.Attr) {
	if level < 1 || level > 3 || int32(level) > a.s.logLevel.Load() {
		return
	}
	var id ConnID
	if c != nil {
		id = ConnID(c.ID())
	}
	if l := a.s.cfg.Logger; l != nil {
		all := make([]slog.Attr, 0, len(attrs)+2)
		if c != nil {
			all = append(all, slog.Uint64("conn", uint64(id)))
			if ra := c.RemoteAddr(); ra != nil {
				all = append(all, slog.String("remote", ra.String()))
			}
		}
		all = append(all, attrs...)
		l.LogAttrs(context.Background(), slogLevels[level], msg, all...)
	}
	if fn := a.s.events.OnLog; fn != nil {
		ev := &LogEvent{}
		if c != nil {
			ev = &a.events(c).log
		}
		// The component's LogEvent has one text: the message, then the
		// attributes as key=value.
		text := msg
		for _, at := range attrs {
			text += " " + at.String()
		}
		*ev = LogEvent{ConnectionID: id, LogLevel: level, Message: text, LogType: logTypes[level]}
		fn(ev)
	}
}

func (a *dispatcher) LogLevel() int { return int(a.s.logLevel.Load()) }

// wrapped makes an error match a second sentinel with errors.Is.
type wrapped struct {
	err error
	is  error
}

func (w *wrapped) Error() string        { return w.err.Error() }
func (w *wrapped) Unwrap() error        { return w.err }
func (w *wrapped) Is(target error) bool { return target == w.is }
