package conformance

import (
	"context"
	"errors"
	"fmt"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"slices"
	"strings"
)

// rawHandshake writes a request (edited by edit) and reads the response
// head; it never judges the response.
func rawHandshake(ctx context.Context, t *Target, edit func(*request), chop int) (*conn, error) {
	c, err := dialTCP(ctx, *t)
	if err != nil {
		return nil, &dialError{err}
	}
	c.key = wsclient.NewKey()
	req := newRequest(c.ep, c.key)
	if edit != nil {
		edit(req)
	}
	c.write(req.bytes(), chop, 0)
	if err := c.readResponse(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// rejectCase expects the server to refuse the handshake: a status in okCodes
// gives OK, another non-101 status or a plain TCP close NonStrict, and a 101
// Failed. check may refine the verdict from the response.
func rejectCase(edit func(*request), okCodes []int, check func(*conn, Verdict) Verdict) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, err := rawHandshake(ctx, t, edit, 0)
		var de *dialError
		if errors.As(err, &de) {
			return failf("%v", de.err)
		}
		if err != nil {
			if ended(classifyReadErr(unwrapAll(err))) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset") {
				return nonStrictf("connection closed without an HTTP response (want %v)", okCodes)
			}
			return failf("%v", err)
		}
		defer c.close()
		var v Verdict
		switch {
		case c.status == 101:
			v = failf("accepted the invalid request: %q", c.statusLine)
		case slices.Contains(okCodes, c.status):
			v = okf("refused with %q", c.statusLine)
		case c.status >= 400:
			v = nonStrictf("refused with %q, want %v", c.statusLine, okCodes)
		default:
			v = failf("unexpected response %q, want %v", c.statusLine, okCodes)
		}
		if check != nil {
			v = check(c, v)
		}
		return v
	}
}

// dialError marks a failure to reach the server at all.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// unwrapAll returns the innermost wrapped error.
func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		next := u.Unwrap()
		if next == nil {
			return err
		}
		err = next
	}
}

// echoAfter dials with o, then expects a text message to be echoed.
func echoAfter(o dialOptions, check func(*conn) Verdict) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, o)
		if !ok {
			return v
		}
		defer c.close()
		var pre Verdict
		if check != nil {
			pre = check(c)
		}
		c.send(textFrame("after handshake"))
		if err := c.expectMsgs(wantText("after handshake")); err != nil {
			return withClose(failf("%v", err), err)
		}
		v = c.closeClean(1000)
		if v.Status == OK && pre.Detail != "" {
			pre.CloseCode = v.CloseCode
			return pre
		}
		return worse(v, pre)
	}
}

func handshakeCases() []Case {
	bad400 := []int{400}
	del := func(k string) func(*request) { return func(r *request) { r.del(k) } }
	set := func(k, v string) func(*request) { return func(r *request) { r.set(k, v) } }
	pipelined := encodeFrames(textFrame("pipelined"))
	return []Case{
		{ID: "H.1", Description: "Send a valid upgrade request; expect 101 with Upgrade, Connection and the right Sec-WebSocket-Accept, then an echo.",
			Run: echoAfter(dialOptions{}, nil)},
		{ID: "H.2", Description: "Send an upgrade request without Host; expect 400.",
			Run: rejectCase(del("Host"), bad400, nil)},
		{ID: "H.3", Description: "Send an upgrade request without Sec-WebSocket-Key; expect 400.",
			Run: rejectCase(del("Sec-WebSocket-Key"), bad400, nil)},
		{ID: "H.4", Description: "Send a Sec-WebSocket-Key that decodes to 15 bytes; expect 400.",
			Run: rejectCase(set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"), bad400, nil)},
		{ID: "H.5", Description: "Send a Sec-WebSocket-Key that decodes to 17 bytes; expect 400.",
			Run: rejectCase(set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA="), bad400, nil)},
		{ID: "H.6", Description: "Send a 24-character Sec-WebSocket-Key that is not base64; expect 400.",
			Run: rejectCase(set("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="), bad400, nil)},
		{ID: "H.7", Description: "Send Sec-WebSocket-Version: 8; expect 426 with Sec-WebSocket-Version: 13.",
			Run: rejectCase(set("Sec-WebSocket-Version", "8"), []int{426}, func(c *conn, v Verdict) Verdict {
				if !hasToken(c.header.Values("Sec-Websocket-Version"), "13") {
					return worse(v, failf("%q without Sec-WebSocket-Version: 13 (RFC 6455 section 4.4)", c.statusLine))
				}
				return v
			})},
		{ID: "H.8", Description: "Send an upgrade request without Sec-WebSocket-Version; expect 400 or 426.",
			Run: rejectCase(del("Sec-WebSocket-Version"), []int{400, 426}, nil)},
		{ID: "H.9", Description: "Send the upgrade request with method POST; expect 405 or 400.",
			Run: rejectCase(func(r *request) { r.method = "POST"; r.set("Content-Length", "0") }, []int{405, 400}, nil)},
		{ID: "H.10", Description: "Send the upgrade request as HTTP/1.0; expect 400 or 505.",
			Run: rejectCase(func(r *request) { r.proto = "HTTP/1.0" }, []int{400, 505}, nil)},
		{ID: "H.11", Description: "Send an upgrade request with a 256 KiB header; expect 431 (another refusal or a TCP close is NON-STRICT).",
			Run: rejectCase(set("X-Huge", strings.Repeat("h", 256<<10)), []int{431}, nil)},
		{ID: "H.12", Description: "Offer subprotocols \"chat, superchat\"; expect none or exactly one of them chosen, then an echo.",
			Run: echoAfter(dialOptions{protocols: "chat, superchat"}, func(c *conn) Verdict {
				if p := c.header.Get("Sec-Websocket-Protocol"); p != "" {
					return okf("chose subprotocol %q", p)
				}
				return okf("chose no subprotocol")
			})},
		{ID: "H.13", Description: "Offer subprotocols in two Sec-WebSocket-Protocol header lines; expect none or one of them, then an echo.",
			Run: echoAfter(dialOptions{protocols: "v1.wsloop, v2.wsloop", edit: func(r *request) {
				r.del("Sec-WebSocket-Protocol")
				r.headers = append(r.headers, [2]string{"Sec-WebSocket-Protocol", "v1.wsloop"}, [2]string{"Sec-WebSocket-Protocol", "v2.wsloop"})
			}}, nil)},
		{ID: "H.14", Description: "Send Upgrade: foo instead of websocket; expect 400 (or another refusal).",
			Run: rejectCase(set("Upgrade", "foo"), []int{400, 426}, nil)},
		{ID: "H.15", Description: "Send Connection: keep-alive without the upgrade token; expect 400 (or another refusal).",
			Run: rejectCase(set("Connection", "keep-alive"), []int{400, 426}, nil)},
		{ID: "H.16", Description: "Send a text frame in the same TCP write right after the request headers; expect 101 and the frame echoed.",
			Run: echoPipelined(pipelined)},
		{ID: "H.17", Description: "Send the upgrade request one byte per TCP write; expect 101 and an echo.",
			Run: echoAfter(dialOptions{chop: 1}, nil)},
		{ID: "H.18", Description: "Send header names and values in unusual case with Connection: keep-alive, Upgrade; expect 101 and an echo.",
			Run: echoAfter(dialOptions{edit: func(r *request) {
				r.set("upgrade", "WebSocket")
				r.set("CONNECTION", "keep-alive, Upgrade")
				key := r.get("Sec-WebSocket-Key")
				r.del("Sec-WebSocket-Key")
				r.headers = append(r.headers, [2]string{"sec-websocket-key", key})
			}}, nil)},
		{ID: "H.19", Description: "Send a header line without a colon; expect 400.",
			Run: rejectCase(func(r *request) { r.headers = append(r.headers, [2]string{"Broken header line", ""}); fixColonless(r) }, bad400, nil)},
		{ID: "H.20", Description: "Send two Sec-WebSocket-Key headers; expect 400.",
			Run: rejectCase(func(r *request) { r.headers = append(r.headers, [2]string{"Sec-WebSocket-Key", wsclient.NewKey()}) }, bad400, nil)},
	}
}

// fixColonless turns a header entry with an empty value into a raw line
// without a colon (request.bytes always writes "k: v").
func fixColonless(r *request) {
	for i, h := range r.headers {
		if h[1] == "" && strings.Contains(h[0], " ") {
			r.headers[i] = [2]string{h[0], "\x00nocolon"}
		}
	}
}

func echoPipelined(frameBytes []byte) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{pipelined: frameBytes})
		if !ok {
			return v
		}
		defer c.close()
		if err := c.expectMsgs(wantText("pipelined")); err != nil {
			return withClose(failf("frame sent with the request: %v", err), err)
		}
		v = c.closeClean(1000)
		if v.Status == OK {
			v.Detail = fmt.Sprintf("pipelined frame echoed; %s", v.Detail)
		}
		return v
	}
}
