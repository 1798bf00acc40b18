package conformance

import (
	"errors"
	"strings"
)

func closeCases() []Case {
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }
	fail := failWith(1002)

	add(Case{ID: "7.1.1", Description: "Send a text message, expect the echo, then close with 1000; expect the close echoed and TCP closed.",
		Run: okCase(sendS(textFrame("Hello")), expectS(wantText("Hello")))})
	add(Case{ID: "7.1.2", Description: "Send two close frames in a row; expect one close reply (1000) and TCP closed.",
		Run: closeThen(nil, closeFrame(closeBody(1000, "")))})
	add(Case{ID: "7.1.3", Description: "Send a close frame, then a ping; expect the close reply and no pong.",
		Run: closeThen(nil, pingFrame([]byte("after close")))})
	add(Case{ID: "7.1.4", Description: "Send a close frame, then a text message; expect the close reply and no echo.",
		Run: closeThen(nil, textFrame("after close"))})
	add(Case{ID: "7.1.5", Description: "Start a fragmented message, send a close frame, then the final fragment; expect the close reply and no echo.",
		Run: closeThen([]frame{fragment(opText, false, []byte("frag"))}, fragment(opCont, true, []byte("ment")))})
	add(Case{ID: "7.1.6", Description: "Send a 256 KiB text message immediately followed by a close; expect the echo (optional) and the close reply (Informational).",
		Run: bigThenClose})

	add(Case{ID: "7.3.1", Description: "Send a close frame with an empty payload; expect a close reply (empty or 1000) and TCP closed.",
		Run: emptyClose})
	add(Case{ID: "7.3.2", Description: "Send a close frame with a 1-byte payload; expect failure with 1002.",
		Run: failCase(fail, sendS(closeFrame([]byte{0x03})))})
	add(Case{ID: "7.3.3", Description: "Send a close frame with code 1000 and no reason; expect the close echoed.",
		Run: closeCode(1000, "")})
	add(Case{ID: "7.3.4", Description: "Send a close frame with code 1000 and a short reason; expect the close echoed.",
		Run: closeCode(1000, "Goodbye, everyone")})
	add(Case{ID: "7.3.5", Description: "Send a close frame with code 1000 and a 123-byte reason (the maximum); expect the close echoed.",
		Run: closeCode(1000, strings.Repeat("r", 123))})
	add(Case{ID: "7.3.6", Description: "Send a close frame with code 1000 and a 124-byte reason (payload 126 bytes); expect failure with 1002.",
		Run: failCase(fail, sendS(closeFrame(closeBody(1000, strings.Repeat("r", 124)))))})
	add(Case{ID: "7.3.7", Description: "Send a close frame with code 1000 and a multi-byte UTF-8 reason; expect the close echoed.",
		Run: closeCode(1000, "κόσμε 世界")})
	add(Case{ID: "7.5.1", Description: "Send a close frame with code 1000 and a reason that is not valid UTF-8; expect failure with 1007 (1002 is NON-STRICT).",
		Run: failCase(failSpec{ok: []uint16{1007}, lenient: []uint16{1002}}, sendS(closeFrame(closeBody(1000, "bad \xed\xa0\x80 reason"))))})

	valid := []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}
	for i, code := range valid {
		add(Case{ID: id(7, 7, i+1), Description: "Send a close frame with valid code " + itoa(int(code)) + "; expect a close reply echoing it (or 1000) and TCP closed.",
			Run: closeCode(code, "")})
	}
	for i, code := range []uint16{1012, 1013, 1014} {
		add(Case{ID: id(7, 8, i+1), Description: "Send a close frame with IANA-registered code " + itoa(int(code)) + " (not in RFC 6455); expect it echoed (OK) or failure with 1002 (NON-STRICT).",
			Run: registeredCode(code)})
	}
	invalid := []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	for i, code := range invalid {
		add(Case{ID: id(7, 9, i+1), Description: "Send a close frame with invalid code " + itoa(int(code)) + "; expect failure with 1002.",
			Run: failCase(fail, sendS(closeFrame(closeBody(code, ""))))})
	}
	return cs
}

// closeThen sends before, our close (1000), and after in one write; the
// server must answer with a close and ignore everything after ours.
func closeThen(before []frame, after frame) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		fs := append(append([]frame{}, before...), closeFrame(closeBody(1000, "")), after)
		c.sentClose = true
		c.send(fs...)
		return c.judgeCloseReply(1000, 1000)
	}
}

// judgeCloseReply reads the server's answer to a close we sent, accepting
// the codes want (OK) and alt (OK too, e.g. 1000).
func (c *conn) judgeCloseReply(want, alt uint16) Verdict {
	m, err := c.readMessage()
	if err == nil {
		return failf("unexpected %s after our close", describe(m))
	}
	var ce *closedError
	if !errors.As(err, &ce) {
		if errors.Is(err, errDropped) {
			return failf("server dropped TCP without answering our close")
		}
		return failf("waiting for the close reply: %v", err)
	}
	var v Verdict
	switch {
	case ce.bad != "":
		v = failf("invalid close reply: %s", ce.bad)
	case !ce.hasCode:
		v = nonStrictf("close reply without a status code")
	case ce.code == want || ce.code == alt:
		v = okf("close %d answered with %d, then TCP closed", want, ce.code)
	default:
		v = failf("close reply %d, want %d", ce.code, want)
	}
	v.CloseCode = ce.code
	if !c.waitEOF() {
		v = worse(v, nonStrictf("server did not close TCP within %v after the close handshake", c.t.ReplyTimeout))
	}
	return v
}

func closeCode(code uint16, reason string) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		c.sendClose(closeBody(code, reason))
		return c.judgeCloseReply(code, 1000)
	}
}

func registeredCode(code uint16) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		c.sendClose(closeBody(code, ""))
		v = c.judgeCloseReply(code, 1000)
		if v.Status == Failed && v.CloseCode == 1002 {
			v = nonStrictf("rejected registered code %d with 1002", code)
			v.CloseCode = 1002
		}
		return v
	}
}

func emptyClose(ctx ctxT, t *Target) Verdict {
	c, v, ok := dial(ctx, t, dialOptions{})
	if !ok {
		return v
	}
	defer c.close()
	c.sendClose(nil)
	v = c.judgeCloseReply(1000, 1000)
	if v.Status == NonStrict && v.CloseCode == 0 && strings.Contains(v.Detail, "without a status code") {
		v = okf("empty close answered with an empty close, then TCP closed")
	}
	return v
}

func bigThenClose(ctx ctxT, t *Target) Verdict {
	c, v, ok := dial(ctx, t, dialOptions{})
	if !ok {
		return v
	}
	defer c.close()
	p := textPayload(256 << 10)
	c.sentClose = true
	c.send(frame{op: opText, fin: true, payload: p}, closeFrame(closeBody(1000, "")))
	echoed := false
	m, err := c.readMessage()
	if err == nil {
		if m.op != opText || string(m.payload) != string(p) {
			return failf("got %s, want the echo or the close reply", describe(m))
		}
		echoed = true
	} else {
		c.cur = nil
	}
	if echoed {
		v = c.judgeCloseReply(1000, 1000)
	} else {
		v = c.judgeCloseReplyFrom(err)
	}
	if v.Status == OK {
		if echoed {
			v = infof("echoed the message before answering the close")
		} else {
			v = infof("answered the close without echoing the pending message")
		}
	}
	return v
}

// judgeCloseReplyFrom judges an already-read close reply in err.
func (c *conn) judgeCloseReplyFrom(err error) Verdict {
	var ce *closedError
	if errors.As(err, &ce) && ce.bad == "" && (ce.code == 1000 || !ce.hasCode) {
		v := okf("close reply %d", ce.code)
		v.CloseCode = ce.code
		if !c.waitEOF() {
			v = worse(v, nonStrictf("server did not close TCP after the close handshake"))
		}
		return v
	}
	return withClose(failf("waiting for the echo or close reply: %v", err), err)
}
