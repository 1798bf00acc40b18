package engine

import (
	"bytes"
	"errors"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
)

// onHandshakeBytes accumulates the upgrade request until its head is
// complete, answers it, and returns the bytes that follow it (pipelined
// frames), or nil when the connection is still handshaking or was refused.
func (l *loop) onHandshakeBytes(c *Conn, p []byte) []byte {
	max := l.eng.opts.MaxHeaderBytes
	var head, rest []byte
	if c.hs == nil {
		end := codec.HeaderEnd(p)
		switch {
		case end >= 0 && end <= max:
			head, rest = p[:end], p[end:]
		case end > max || len(p) > max:
			l.rejectHandshake(c, codec.ErrHeaderTooLarge)
			return nil
		default:
			c.hs = bytebufferpool.Get()
			c.hs.B = append(c.hs.B, p...)
			return nil
		}
	} else {
		old := len(c.hs.B)
		take := p
		if room := max + 4 - old; len(take) > room {
			take = take[:room]
		}
		c.hs.B = append(c.hs.B, take...)
		from := old - 3
		if from < 0 {
			from = 0
		}
		end := codec.HeaderEnd(c.hs.B[from:])
		if end < 0 || from+end > max {
			if len(c.hs.B) > max {
				l.rejectHandshake(c, codec.ErrHeaderTooLarge)
			}
			return nil
		}
		end += from
		head = c.hs.B[:end]
		// Pipelined bytes: those of this read past the head.
		rest = p[len(take)-(len(c.hs.B)-end):]
	}
	ok := l.answerRequest(c, head)
	if c.hs != nil {
		bytebufferpool.Put(c.hs)
		c.hs = nil
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
	if !e.originAllowed(req.Origin) {
		l.rejectHandshake(c, errForbiddenOrigin)
		return false
	}
	resp := &l.resp
	*resp = OpenResponse{Status: 101, Subprotocol: e.chooseSubprotocol(req), Compress: true}
	c.uri = string(req.URI)
	l.callOpenRequest(c, req, resp)
	if c.state != stateHandshake { // the handler panicked
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
		l.out = codec.AppendErrorResponse(l.out[:0], status, reason, resp.Headers)
		l.writeAndClose(c, l.out)
		return false
	}
	if len(resp.Subprotocol) > 0 && !offered(req, resp.Subprotocol) {
		l.eng.h.Error(c, errors.New("wsloop: chosen subprotocol was not offered; none sent"))
		resp.Subprotocol = nil
	}
	var ext []byte
	var params codec.DeflateParams
	deflate := false
	if e.opts.Deflate.Enabled && resp.Compress {
		ext, params, deflate = codec.NegotiateDeflate(nil, req.Extensions(), e.opts.Deflate)
	}
	l.out = codec.AppendUpgradeResponse(l.out[:0], req.Key, resp.Subprotocol, ext, resp.Headers)
	c.subproto = string(resp.Subprotocol)
	c.exts = string(ext)
	c.dec.Reset(codec.DecoderLimits{
		MaxMessageSize: e.opts.MaxMessageSize,
		AllowRSV1:      deflate,
	})
	c.mu.Lock()
	c.state = stateOpen
	if deflate {
		c.deflParams = params
		c.deflater = codec.NewDeflater(params, e.opts.Deflate.Level)
	}
	c.appendRawLocked(l.out)
	c.mu.Unlock()
	if deflate {
		c.inflater = codec.NewInflater(params)
	}
	e.metrics.Upgraded.Add(1)
	c.connected = true
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

// originAllowed checks the Origin header against Options.Origins.
func (e *Engine) originAllowed(origin []byte) bool {
	if len(e.opts.Origins) == 0 {
		return true
	}
	for _, o := range e.opts.Origins {
		if o == "*" || (len(origin) > 0 && bytes.EqualFold(origin, []byte(o))) {
			return true
		}
	}
	return false
}

// rejectHandshake answers a bad request with its HTTP status and closes.
func (l *loop) rejectHandshake(c *Conn, err error) {
	l.eng.metrics.HandshakeErrors.Add(1)
	status, reason := 400, "bad request"
	var he *codec.HandshakeError
	if errors.As(err, &he) {
		status, reason = he.Status, he.Reason
	}
	l.logf(c, 2, "handshake refused: %d %s", status, reason)
	l.eng.h.Error(c, err)
	l.out = codec.AppendErrorResponse(l.out[:0], status, reason, nil)
	l.writeAndClose(c, l.out)
}

// writeAndClose queues raw bytes and closes TCP once they are written.
func (l *loop) writeAndClose(c *Conn, p []byte) {
	c.mu.Lock()
	if c.state == stateHandshake || c.state == stateOpen {
		c.state = stateClosing
	}
	c.appendRawLocked(p)
	c.mu.Unlock()
	c.closeTCP = true
	l.wheel.schedule(c, ticksFor(l.eng.opts.CloseWait))
}

var errForbiddenOrigin = &codec.HandshakeError{Status: 403, Reason: "origin not allowed"}
