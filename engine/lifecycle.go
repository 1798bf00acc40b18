package engine

import (
	"errors"
	"log/slog"
	"time"

	"github.com/wsloop/wsloop/codec"
)

// The connection lifecycle. Every connection moves through these states,
// forwards only:
//
//	handshake ──▶ open ──▶ closing ──▶ draining ──▶ closed
//	    │          │                      ▲            ▲
//	    │          └──────────────────────┤            │
//	    └──▶ closing (HTTP request) ──────┤            │
//	    └─────────────────────────────────┘            │
//	every state but closed ────────────────────────────┘
//
//   - handshake: TCP (and TLS) open, the upgrade request not answered yet.
//   - open: the WebSocket is open; Send works.
//   - closing: no new data is accepted from the application. For a
//     WebSocket, a close frame was sent (lCloseSent) or received
//     (lCloseRecv) and the closing handshake runs, bounded by CloseWait. A
//     plain HTTP request waits here for HTTPHandler's response.
//   - draining: TCP is closed as soon as the queued output is written
//     (bounded by CloseWait); a lingering close (lLinger, after an HTTP
//     response) first shuts the write side down and discards input for
//     lingerTime.
//   - closed: gnet closed the socket (OnClose ran); nothing touches gc
//     any more.
//
// moveLocked is the only function that writes Conn.state, and it refuses a
// move the table below does not list. Each transition has one function in
// this file: upgraded (→ open), sendClose and recvClose (→ closing),
// drainAndClose (→ draining), closeNow (→ closed, through gnet) and OnClose
// (closed). The rest compose them: startClose, fail, abort, writeAndClose.

// The lifecycle's flags (in Conn.lflags, loop only): what happened on the
// way, where the state alone does not say it.
const (
	lConnected = lLifecycleFirst << iota // Connected was fired (Disconnected will be)
	lCloseSent                           // a close frame was queued
	lCloseRecv                           // the peer's close frame was received
	lFailed                              // a failure was reported: input is ignored
	lLinger                              // the close is a lingering one (after an HTTP response)
	lShutWrite                           // the lingering close shut the write side down
)

// Connection states. Transitions happen on the loop under Conn.mu.
const (
	stateHandshake uint8 = iota
	stateOpen
	stateClosing
	stateDraining
	stateClosed
	numStates
)

// legalMoves[from][to] lists the transitions moveLocked allows.
var legalMoves = [numStates][numStates]bool{
	stateHandshake: {stateOpen: true, stateClosing: true, stateDraining: true, stateClosed: true},
	stateOpen:      {stateClosing: true, stateDraining: true, stateClosed: true},
	stateClosing:   {stateDraining: true, stateClosed: true},
	stateDraining:  {stateClosed: true},
}

// moveLocked moves c to state to if the lifecycle allows it from the
// current state, and reports whether it did. c.mu is held.
func (c *Conn) moveLocked(to uint8) bool {
	if !legalMoves[c.state][to] {
		return false
	}
	c.state = to
	return true
}

// readsFrames reports whether input is still decoded as WebSocket frames:
// until the peer's close frame arrives or a failure, so that the close
// reply is read while closing or draining. Loop only.
func (c *Conn) readsFrames() bool {
	return c.lflags&(lConnected|lCloseRecv|lFailed) == lConnected && c.state != stateClosed
}

// upgraded moves c from handshake to open once its 101 response is queued.
// c.mu is held.
func (c *Conn) upgradedLocked() bool { return c.moveLocked(stateOpen) }

// sendClose queues a close frame (once) and moves an open connection to
// closing. Loop only.
func (l *loop) sendClose(c *Conn, code uint16, reason string) {
	if c.lflags&lCloseSent != 0 {
		return
	}
	setFlag(&c.lflags, lCloseSent, true)
	l.out = codec.AppendCloseFrame(l.out[:0], code, reason)
	c.mu.Lock()
	if c.state == stateOpen {
		c.moveLocked(stateClosing)
	}
	c.appendRawLocked(l.out)
	c.mu.Unlock()
}

// recvClose handles the peer's close frame: an open connection echoes the
// code (an empty close is answered empty) and moves to closing; TCP then
// closes once the reply is written. Loop only.
func (l *loop) recvClose(c *Conn, code uint16, reason []byte) {
	setFlag(&c.lflags, lCloseRecv, true)
	if c.state == stateOpen {
		c.setDisc(code, string(reason))
		if code == codec.CloseNoStatus {
			code = 0
		}
		l.sendClose(c, code, string(reason))
	}
	l.drainAndClose(c)
}

// startClose begins a server-initiated closing handshake. With
// WaitForCloseReply the TCP connection stays open until the peer's close
// arrives or CloseWait passes; otherwise it is closed once the close frame
// is written. Loop only.
func (l *loop) startClose(c *Conn, code uint16, reason string) {
	if c.state != stateOpen {
		return
	}
	c.setDisc(code, reason)
	l.sendClose(c, code, reason)
	if l.eng.opts.WaitForCloseReply {
		l.scheduleIn(c, ticksFor(l.eng.opts.CloseWait))
	} else {
		l.drainAndClose(c)
	}
	if c.holds()&(holdParked|holdPlaintext) != 0 {
		// AcceptData no longer holds input back once closing: deliver
		// what waited for it, then read the peer's close reply.
		l.post(func(l *loop) { l.resumeInput(c) })
	}
}

// fail reports a protocol or processing error and closes with its code,
// without waiting for the peer's close reply. Loop only.
func (l *loop) fail(c *Conn, err error) {
	if c.lflags&lFailed != 0 {
		return
	}
	code, reason := codec.CloseProtocolError, "protocol error"
	var pe *codec.ProtocolError
	if errors.As(err, &pe) {
		code, reason = pe.Code, pe.Reason
	}
	l.eng.metrics.protocolError(code)
	if 2 <= l.logLevel() {
		l.log(c, 2, "protocol error", slog.Int("code", int(code)), slog.String("reason", err.Error()))
	}
	l.userError(c, err)
	l.abort(c, code, reason)
}

// abort ends c after a failure: input is ignored from now on, an open
// WebSocket gets a close frame with code, and TCP closes once the queued
// output is written. c may be nil. Loop only.
func (l *loop) abort(c *Conn, code uint16, reason string) {
	if c == nil || c.state == stateClosed {
		return
	}
	setFlag(&c.lflags, lFailed, true)
	if c.state == stateOpen {
		c.setDisc(code, reason)
		l.sendClose(c, code, reason)
	}
	l.drainAndClose(c)
}

// drainAndClose moves c to draining: TCP closes once its queued output is
// written, within CloseWait. A connection that has nothing queued is
// listed for a flush, whose afterWrite closes it now. Loop only.
func (l *loop) drainAndClose(c *Conn) {
	c.mu.Lock()
	c.moveLocked(stateDraining)
	c.markReadyLocked()
	c.mu.Unlock()
	if c.lflags&lShutWrite == 0 { // a lingering close keeps its own deadline
		l.scheduleIn(c, ticksFor(l.eng.opts.CloseWait))
	}
}

// writeAndClose queues an HTTP response and closes the connection once it
// is written, with a lingering close: the write side is shut down and
// input is discarded for a moment before the socket closes, so that a
// client still sending (a huge header, a request body) reads the response
// instead of losing it to the RST that closing with unread input causes.
// Loop only.
func (l *loop) writeAndClose(c *Conn, p []byte) {
	c.mu.Lock()
	c.appendRawLocked(p)
	c.mu.Unlock()
	setFlag(&c.lflags, lLinger, true)
	l.drainAndClose(c)
}

// lingerTime bounds how long a lingering close drains input.
const lingerTime = time.Second

// drained runs when a draining connection has written everything: it
// closes TCP, or, for a lingering close, shuts the write side down and
// closes after lingerTime (input meanwhile is discarded). Loop only.
func (l *loop) drained(c *Conn) {
	if c.lflags&lLinger == 0 {
		l.closeNow(c)
		return
	}
	if c.lflags&lShutWrite != 0 {
		return
	}
	setFlag(&c.lflags, lShutWrite, true)
	if c.tls != nil {
		l.sendCloseNotify(c)
	}
	shutdownWrite(c.gc)
	l.scheduleIn(c, ticksFor(lingerTime))
}

// closeNow closes TCP at once (buffered output gets one write attempt);
// gnet's OnClose then moves c to closed. Loop only.
func (l *loop) closeNow(c *Conn) {
	if c.state == stateClosed {
		return
	}
	if c.tls != nil && c.lflags&lLinger == 0 {
		l.sendCloseNotify(c) // TLS: close_notify before the TCP FIN
		if c.state == stateClosed {
			return
		}
	}
	_ = l.el.Close(c.gc)
}
