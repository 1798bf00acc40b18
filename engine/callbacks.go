package engine

import (
	"log/slog"

	"github.com/wsloop/wsloop/codec"
)

// Each handler call goes through one of these wrappers: a panic in user
// code closes only that connection (1011) and is reported as an Error.

func (l *loop) recoverPanic(c *Conn) {
	r := recover()
	if r == nil {
		return
	}
	l.eng.metrics.Panics.Add(1)
	err := &PanicError{Value: r}
	func() {
		defer func() { _ = recover() }() // a panicking Error handler is ignored
		l.eng.h.Error(c, err)
	}()
	if c == nil || c.state == stateClosed {
		return
	}
	setFlag(&c.lflags, lFailed, true)
	if c.state == stateOpen {
		c.setDisc(codec.CloseInternalError, "internal error")
		l.sendClose(c, codec.CloseInternalError, "internal error")
	}
	l.closeAfterFlush(c)
}

func (l *loop) callOpenRequest(c *Conn, req *codec.Request, resp *OpenResponse) {
	defer l.recoverPanic(c)
	l.eng.h.OpenRequest(c, req, resp)
}

func (l *loop) callConnected(c *Conn) {
	defer l.recoverPanic(c)
	l.eng.h.Connected(c)
}

func (l *loop) callData(c *Conn, op codec.OpCode, p []byte, eom bool) {
	defer l.recoverPanic(c)
	l.eng.h.Data(c, op, p, eom)
}

func (l *loop) callReadyToSend(c *Conn) {
	defer l.recoverPanic(c)
	l.eng.h.ReadyToSend(c)
}

func (l *loop) callDisconnected(c *Conn, code uint16, reason string) {
	defer l.recoverPanic(nil)
	l.eng.h.Disconnected(c, code, reason)
}

// logf reports through Handler.Log when the level is enabled.
func (l *loop) log(c *Conn, level int, msg string, attrs ...slog.Attr) {
	if level > l.eng.h.LogLevel() {
		return
	}
	defer l.recoverPanic(nil)
	l.eng.h.Log(c, level, msg, attrs...)
}
