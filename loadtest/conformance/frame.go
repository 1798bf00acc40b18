package conformance

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"unicode/utf8"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
)

// Opcodes, named short for the case tables.
const (
	opCont   = wsclient.OpCont
	opText   = wsclient.OpText
	opBinary = wsclient.OpBinary
	opClose  = wsclient.OpClose
	opPing   = wsclient.OpPing
	opPong   = wsclient.OpPong
)

// RSV bit values for frame.rsv, as a 3-bit number: RSV1 is 4, RSV3 is 1.
const (
	rsv1 byte = 4
	rsv2 byte = 2
	rsv3 byte = 1
)

// maxServerFrame bounds the payload length we accept from the server.
const maxServerFrame = 64 << 20

// frame is a client frame to send. Fields allow deliberately invalid frames.
type frame struct {
	op       byte
	fin      bool
	rsv      byte
	payload  []byte
	unmasked bool   // send without a mask (a protocol violation)
	zeroMask bool   // use the all-zero masking key (valid)
	len64    bool   // encode the length with the 64-bit form even if short
	rawLen   uint64 // if non-zero, the 64-bit length field to send verbatim
}

func textFrame(s string) frame  { return frame{op: opText, fin: true, payload: []byte(s)} }
func binFrame(b []byte) frame   { return frame{op: opBinary, fin: true, payload: b} }
func pingFrame(b []byte) frame  { return frame{op: opPing, fin: true, payload: b} }
func pongFrame(b []byte) frame  { return frame{op: opPong, fin: true, payload: b} }
func closeFrame(b []byte) frame { return frame{op: opClose, fin: true, payload: b} }
func fragment(op byte, fin bool, p []byte) frame {
	return frame{op: op, fin: fin, payload: p}
}

// closeBody builds a close payload with code and reason.
func closeBody(code uint16, reason string) []byte { return wsclient.CloseBody(code, reason) }

// appendEncoded appends the wire form of f to dst.
func (f frame) appendEncoded(dst []byte) []byte {
	h := wsclient.Header{Fin: f.fin, RSV: f.rsv, Op: f.op, Len: uint64(len(f.payload)), Masked: !f.unmasked, Len64: f.len64}
	if f.rawLen != 0 {
		h.Len, h.Len64 = f.rawLen, true
	}
	if h.Masked && !f.zeroMask {
		h.Key = rand.Uint32() | 1
	}
	dst = wsclient.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, f.payload...)
	if h.Masked {
		wsclient.Mask(dst[start:], h.Key)
	}
	return dst
}

// encodeFrames concatenates the wire forms of fs.
func encodeFrames(fs ...frame) []byte {
	n := 0
	for _, f := range fs {
		n += len(f.payload) + 14
	}
	out := make([]byte, 0, n)
	for _, f := range fs {
		out = f.appendEncoded(out)
	}
	return out
}

// send writes frames in one write (or chopped, see conn.write).
func (c *conn) send(fs ...frame) { c.write(encodeFrames(fs...), 0, 0) }

// sendClose sends a close frame with the given payload.
func (c *conn) sendClose(body []byte) {
	c.sentClose = true
	c.send(closeFrame(body))
}

// rframe is a frame received from the server.
type rframe struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

// Errors describing how the server ended or broke the conversation.
var (
	errDropped = errors.New("server closed the TCP connection without a close frame")
	errSilent  = errors.New("no reply from server (timeout)")
)

// closedError reports a close frame from the server.
type closedError struct {
	code    uint16
	hasCode bool
	reason  string
	bad     string // why the close payload itself is invalid, if it is
}

func (e *closedError) Error() string {
	if !e.hasCode {
		return "server sent a close frame without a status code"
	}
	return fmt.Sprintf("server sent close %d %q", e.code, e.reason)
}

// violationError reports a frame from the server that breaks RFC 6455.
type violationError struct{ msg string }

func (e *violationError) Error() string { return "server protocol violation: " + e.msg }

func violation(format string, a ...any) error {
	return &violationError{msg: fmt.Sprintf(format, a...)}
}

// classifyReadErr maps transport errors to errDropped or errSilent.
func classifyReadErr(err error) error {
	switch {
	case err == nil:
		return nil
	case isTimeout(err):
		return errSilent
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return errDropped
	default:
		var oe interface{ Timeout() bool }
		if errors.As(err, &oe) && oe.Timeout() {
			return errSilent
		}
		return errDropped
	}
}

// readFrame reads one frame from the server and checks the rules that do
// not depend on connection state.
func (c *conn) readFrame() (rframe, error) {
	var buf [14]byte
	h, err := wsclient.ReadHeader(c.br, &buf)
	if errors.Is(err, wsclient.ErrTooLong) {
		return rframe{}, violation("%v", err)
	}
	if err != nil {
		return rframe{}, classifyReadErr(err)
	}
	f := rframe{fin: h.Fin, rsv: h.RSV, op: h.Op}
	n := h.Len
	if n > maxServerFrame {
		return f, violation("frame of %d bytes exceeds the client limit %d", n, maxServerFrame)
	}
	// RSV bits depend on the negotiated extensions: readMessage checks them.
	if err := wsclient.CheckServerHeader(h, 7); err != nil {
		return f, violation("%v", err)
	}
	if n <= 1<<20 {
		f.payload = make([]byte, n)
		if _, err := io.ReadFull(c.br, f.payload); err != nil {
			return f, classifyReadErr(err)
		}
	} else {
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, c.br, int64(n)); err != nil {
			return f, classifyReadErr(err)
		}
		f.payload = buf.Bytes()
	}
	return f, nil
}

// message is a whole message (or a single control frame) from the server.
type message struct {
	op         byte
	payload    []byte
	frames     int
	compressed bool
}

// readMessage returns the next data message or pong. Pings are answered
// (unless we already sent a close); a close frame ends with *closedError.
func (c *conn) readMessage() (message, error) {
	for {
		f, err := c.readFrame()
		if err != nil {
			return message{}, err
		}
		allowed := byte(0)
		if c.pmd != nil && f.op != opCont && f.op < 8 {
			allowed = rsv1
		}
		if f.rsv&^allowed != 0 {
			return message{}, violation("RSV bits %03b set on opcode %#x without a negotiated meaning", f.rsv, f.op)
		}
		switch f.op {
		case opPing:
			if !c.sentClose {
				c.send(pongFrame(f.payload))
			}
			continue
		case opPong:
			// A pong may arrive between the fragments of a message; the
			// message in progress stays in c.cur for the next call.
			return message{op: opPong, payload: f.payload, frames: 1}, nil
		case opClose:
			return message{}, parseClose(f.payload)
		case opCont:
			if c.cur == nil {
				return message{}, violation("continuation frame without a message in progress")
			}
		default: // text or binary
			if c.cur != nil {
				return message{}, violation("new data frame (opcode %#x) while a fragmented message is in progress", f.op)
			}
			c.cur = &message{op: f.op, compressed: f.rsv&rsv1 != 0}
		}
		m := c.cur
		m.frames++
		m.payload = append(m.payload, f.payload...)
		if len(m.payload) > maxServerFrame {
			return message{}, violation("message exceeds the client limit %d", maxServerFrame)
		}
		if !f.fin {
			continue
		}
		c.cur = nil
		if m.compressed {
			out, err := c.pmd.decompress(m.payload)
			if err != nil {
				return *m, violation("compressed message does not decode: %v", err)
			}
			m.payload = out
		}
		if m.op == opText && !utf8.Valid(m.payload) {
			return *m, violation("text message with invalid UTF-8")
		}
		return *m, nil
	}
}

// parseClose interprets a close payload from the server.
func parseClose(p []byte) *closedError {
	e := &closedError{}
	switch {
	case len(p) == 0:
		return e
	case len(p) == 1:
		e.bad = "close payload of 1 byte"
		return e
	}
	e.hasCode = true
	e.code = binary.BigEndian.Uint16(p)
	e.reason = string(p[2:])
	if err := wsclient.CheckClosePayload(p); err != nil {
		e.bad = err.Error()
	}
	return e
}
