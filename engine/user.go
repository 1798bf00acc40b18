package engine

import (
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/internal/guard"
)

// PanicError reports a panic in an event callback (Handler methods, the
// HTTPHandler, a Broadcast filter, TLS hooks). The connection it happened
// on is closed, with 1011 when its WebSocket was open.
type PanicError = guard.PanicError

// user is the engine's only way into user code. It holds the Handler and
// the HTTPHandler inside guards, so that loop code cannot call them except
// through these methods, and every method recovers a panic:
//
//   - in Error or Log (and LogLevel) the panic is counted in
//     Metrics.Panics and dropped: reporting it would call the same code;
//   - in Accept the connection is refused;
//   - anywhere else it is counted, reported once through Error, and only
//     the connection concerned is closed (1011 when its WebSocket is open,
//     after the output queued before the panic).
type user struct {
	h    guard.Guard[Handler]
	http guard.Guard[http.Handler]
	// hasHTTP and tls say which optional parts h and http implement.
	hasHTTP bool
	tls     bool
}

func newUser(h Handler, hh http.Handler) user {
	_, tls := h.(TLSHandler)
	return user{h: guard.New(h), http: guard.New(hh), hasHTTP: hh != nil, tls: tls}
}

// countPanic records a panic that is dropped or reported elsewhere.
func (e *Engine) countPanic() { e.metrics.Panics.Add(1) }

// failPanic handles a panic in user code (or in engine code run on behalf
// of a connection) on the loop: count it, report it once, and close only c
// (c may be nil). Loop only.
func (l *loop) failPanic(c *Conn, p *PanicError) {
	l.eng.countPanic()
	l.userError(c, p)
	l.abort(c, codec.CloseInternalError, "internal error")
}

// contain is deferred by loop entry points (tasks, the read path) as the
// last line of defence against a panic in engine or codec code: the
// connection concerned is failed like after a handler panic.
func (l *loop) contain(c *Conn) {
	if r := recover(); r != nil {
		l.failPanic(c, &PanicError{Value: r, Stack: debug.Stack()})
	}
}

// accept asks Handler.Accept about a new TCP connection; a panic refuses it.
func (e *Engine) accept(remote, local netip.AddrPort) bool {
	ok := false
	if p := e.user.h.Call(func(h Handler) { ok = h.Accept(remote, local) }); p != nil {
		e.countPanic()
		e.userErrorOff(p)
		return false
	}
	return ok
}

// userErrorOff reports an engine-level error (no connection) from outside
// a loop callback.
func (e *Engine) userErrorOff(err error) {
	if p := e.user.h.Call(func(h Handler) { h.Error(nil, err) }); p != nil {
		e.countPanic()
	}
}

func (l *loop) callOpenRequest(c *Conn, req *codec.Request, resp *OpenResponse) {
	if p := l.eng.user.h.Call(func(h Handler) { h.OpenRequest(c, req, resp) }); p != nil {
		l.failPanic(c, p)
	}
}

func (l *loop) callConnected(c *Conn) {
	if p := l.eng.user.h.Call(func(h Handler) { h.Connected(c) }); p != nil {
		l.failPanic(c, p)
	}
}

func (l *loop) callData(c *Conn, op codec.OpCode, data []byte, eom bool) {
	if p := l.eng.user.h.Call(func(h Handler) { h.Data(c, op, data, eom) }); p != nil {
		l.failPanic(c, p)
	}
}

func (l *loop) callReadyToSend(c *Conn) {
	if p := l.eng.user.h.Call(func(h Handler) { h.ReadyToSend(c) }); p != nil {
		l.failPanic(c, p)
	}
}

// callDisconnected runs once c is closed: a panic is counted and reported.
func (l *loop) callDisconnected(c *Conn, code uint16, reason string) {
	if l.logLevel() >= 2 { // verbose: never a line per connection at the default level
		in, out, _, _, _ := c.Stats()
		l.log(c, 2, "disconnected", slog.Int("code", int(code)), slog.String("reason", reason),
			slog.Uint64("bytes_in", in), slog.Uint64("bytes_out", out))
	}
	if p := l.eng.user.h.Call(func(h Handler) { h.Disconnected(c, code, reason) }); p != nil {
		l.failPanic(c, p)
	}
}

// callTLSHandshake reports the end of c's TLS handshake to a TLSHandler.
func (l *loop) callTLSHandshake(c *Conn, err error) {
	if err == nil {
		l.eng.metrics.TLSHandshakes.Add(1)
	} else {
		l.eng.metrics.TLSHandshakeFailures.Add(1)
	}
	if !l.eng.user.tls {
		return
	}
	if p := l.eng.user.h.Call(func(h Handler) { h.(TLSHandler).TLSHandshake(c, err) }); p != nil {
		l.failPanic(c, p)
	}
}

// callFilter asks a Broadcast filter about c; a panic skips c and fails it.
func (l *loop) callFilter(f *guard.Guard[func(*Conn) bool], c *Conn) bool {
	ok := false
	if p := f.Call(func(fn func(*Conn) bool) { ok = fn(c) }); p != nil {
		l.failPanic(c, p)
		return false
	}
	return ok
}

// userError reports err on c (nil for engine-level errors) through
// Handler.Error; a panic there is counted and dropped.
func (l *loop) userError(c *Conn, err error) {
	// A connection's error is verbose (a flood of bad clients must not
	// flood the log); an error of the server itself is info.
	if level := 1 + btoi(c != nil); l.logLevel() >= level {
		l.log(c, level, "error", slog.String("reason", err.Error()))
	}
	if p := l.eng.user.h.Call(func(h Handler) { h.Error(c, err) }); p != nil {
		l.eng.countPanic()
	}
}

// logLevel is the highest level the handler wants; a panic counts as 0.
func (l *loop) logLevel() int {
	level := 0
	if p := l.eng.user.h.Call(func(h Handler) { level = h.LogLevel() }); p != nil {
		l.eng.countPanic()
		return 0
	}
	return level
}

// log reports through Handler.Log when the level is enabled; a panic is
// counted and dropped. Callers that build attributes check logLevel first.
func (l *loop) log(c *Conn, level int, msg string, attrs ...slog.Attr) {
	if level > l.logLevel() {
		return
	}
	if p := l.eng.user.h.Call(func(h Handler) { h.Log(c, level, msg, attrs...) }); p != nil {
		l.eng.countPanic()
	}
}

// serveHTTP runs the HTTPHandler (on its own goroutine, not a loop) and
// returns the panic it raised, if any.
func (u *user) serveHTTP(w http.ResponseWriter, r *http.Request) *PanicError {
	return u.http.Call(func(h http.Handler) { h.ServeHTTP(w, r) })
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
