package engine

import (
	"log/slog"

	"bytes"
	"errors"

	"github.com/wsloop/wsloop/codec"
)

// onHandshakeBytes accumulates the upgrade request until its head is
// complete, answers it, and returns the bytes that follow it (pipelined
// frames), or nil when the connection is still handshaking or was refused.
func (l *loop) onHandshakeBytes(c *Conn, p []byte) []byte {
	max := l.eng.opts.MaxHeaderBytes
	var head, rest []byte
	var x *connExtra
	if x = c.x.Load(); x == nil || x.hs == nil {
		end := codec.HeaderEnd(p)
		switch {
		case end >= 0 && end <= max:
			head, rest = p[:end], p[end:]
		case end > max || len(p) > max:
			l.rejectHandshake(c, codec.ErrHeaderTooLarge)
			return nil
		default: // the head is split across reads
			x = c.ext()
			x.hs = getBuf()
			x.hs.B = append(x.hs.B, p...)
			return nil
		}
	} else {
		old := len(x.hs.B)
		take := p
		if room := max + 4 - old; len(take) > room {
			take = take[:room]
		}
		x.hs.B = append(x.hs.B, take...)
		from := old - 3
		if from < 0 {
			from = 0
		}
		end := codec.HeaderEnd(x.hs.B[from:])
		if end < 0 || from+end > max {
			if len(x.hs.B) > max {
				l.rejectHandshake(c, codec.ErrHeaderTooLarge)
			}
			return nil
		}
		end += from
		head = x.hs.B[:end]
		// Pipelined bytes: those of this read past the head.
		rest = p[len(take)-(len(x.hs.B)-end):]
	}
	ok := l.answerRequest(c, head)
	if x != nil && x.hs != nil {
		putBuf(x.hs)
		x.hs = nil
	}
	if !ok {
		return nil
	}
	if rest == nil {
		rest = p[:0]
	}
	return rest
}

// answerRequest parses and validates the request head, asks the handler,
// and writes the 101 or an error response. It reports whether the
// WebSocket is open.
func (l *loop) answerRequest(c *Conn, head []byte) bool {
	e := l.eng
	req := &l.req
	if err := req.Parse(head); err != nil {
		l.rejectHandshake(c, err)
		return false
	}
	if !req.IsWebSocket() {
		l.serveHTTP(c, req)
		return false
	}
	if err := req.Validate(); err != nil {
		l.rejectHandshake(c, err)
		return false
	}
	resp := &l.resp
	*resp = OpenResponse{Status: 101, Subprotocol: e.chooseSubprotocol(req), Compress: true}
	originErr := e.checkOrigin(req)
	if originErr != nil {
		// The handler sees the refusal and may overturn it.
		resp.Status, resp.Reason = errForbiddenOrigin.Status, errForbiddenOrigin.Reason
	}
	l.callOpenRequest(c, req, resp)
	if c.state != stateHandshake { // the handler panicked
		return false
	}
	if originErr != nil && resp.Status == errForbiddenOrigin.Status && resp.Reason == errForbiddenOrigin.Reason {
		l.rejectHandshake(c, originErr)
		return false
	}
	if resp.Status != 101 {
		status := resp.Status
		if status < 400 || status > 599 {
			status = 403
		}
		reason := resp.Reason
		if reason == "" {
			reason = "rejected"
		}
		e.metrics.HandshakeErrors.Add(1)
		e.metrics.refuse(RefusedApplication)
		l.out = codec.AppendErrorResponse(l.out[:0], status, reason, resp.Headers)
		l.writeAndClose(c, l.out)
		return false
	}
	if len(resp.Subprotocol) > 0 && !offered(req, resp.Subprotocol) {
		l.userError(c, errSubprotocolNotOffered)
		resp.Subprotocol = nil
	}
	var ext []byte
	var params codec.DeflateParams
	deflate := false
	if e.opts.Deflate.Enabled && resp.Compress {
		ext, params, deflate = codec.NegotiateDeflate(nil, req.Extensions(), e.opts.Deflate)
	}
	l.out = codec.AppendUpgradeResponse(l.out[:0], req.Key, resp.Subprotocol, ext, resp.Headers)
	if len(resp.Subprotocol) > 0 || deflate {
		x := c.ext()
		x.subproto = string(resp.Subprotocol)
		x.exts = string(ext)
	}
	c.dec.Reset(codec.DecoderLimits{
		MaxMessageSize: e.opts.MaxMessageSize,
		AllowRSV1:      deflate,
	})
	c.mu.Lock()
	c.upgradedLocked()
	if deflate {
		x := c.ext()
		x.deflParams = params
		x.deflater = codec.NewDeflater(params, e.opts.Deflate.Level)
		x.inflater = codec.NewInflater(params)
	}
	c.appendRawLocked(l.out)
	c.mu.Unlock()
	e.metrics.Upgraded.Add(1)
	e.metrics.OpenWebSockets.Add(1)
	setFlag(&c.lflags, lConnected, true)
	l.armOpenTimers(c)
	l.callConnected(c)
	return c.state == stateOpen
}

func offered(req *codec.Request, proto []byte) bool {
	for p := range req.Protocols() {
		if bytes.Equal(p, proto) {
			return true
		}
	}
	return false
}

// chooseSubprotocol picks the first of the server's subprotocols that the
// client offered.
func (e *Engine) chooseSubprotocol(req *codec.Request) []byte {
	for _, want := range e.opts.Subprotocols {
		for p := range req.Protocols() {
			if string(p) == want {
				return p
			}
		}
	}
	return nil
}

// rejectHandshake answers a bad request with its HTTP status and closes.
func (l *loop) rejectHandshake(c *Conn, err error) {
	l.eng.metrics.HandshakeErrors.Add(1)
	l.eng.metrics.refuse(refuseReasonOf(err))
	status, reason := 400, "bad request"
	var he *codec.HandshakeError
	if errors.As(err, &he) {
		status, reason = he.Status, he.Reason
	}
	if 2 <= l.logLevel() {
		l.log(c, 2, "handshake refused", slog.Int("status", status), slog.String("reason", reason))
	}
	l.userError(c, err)
	l.out = codec.AppendErrorResponse(l.out[:0], status, reason, nil)
	l.writeAndClose(c, l.out)
}

// errSubprotocolNotOffered reports an OpenRequest handler that chose a
// subprotocol the client did not offer; the 101 is sent without one.
var errSubprotocolNotOffered = errors.New("wsloop: chosen subprotocol was not offered; none sent")
