package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// want is an expected message from the server.
type want struct {
	op      byte
	payload []byte
}

func wantText(s string) want { return want{op: opText, payload: []byte(s)} }
func wantBin(b []byte) want  { return want{op: opBinary, payload: b} }
func wantPong(b []byte) want { return want{op: opPong, payload: b} }
func wantMsg(f frame) want   { return want{op: f.op, payload: f.payload} }

func opName(op byte) string {
	switch op {
	case opCont:
		return "continuation"
	case opText:
		return "text"
	case opBinary:
		return "binary"
	case opClose:
		return "close"
	case opPing:
		return "ping"
	case opPong:
		return "pong"
	}
	return fmt.Sprintf("opcode %#x", op)
}

// summary describes a payload briefly for verdict details.
func summary(p []byte) string {
	if len(p) <= 16 {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("%d bytes %q...", len(p), p[:16])
}

func (w want) String() string { return opName(w.op) + " " + summary(w.payload) }

func describe(m message) string {
	return fmt.Sprintf("%s message %s in %d frame(s)", opName(m.op), summary(m.payload), m.frames)
}

// expectMsgs reads one message per w, in order, and compares them.
func (c *conn) expectMsgs(ws ...want) error {
	for i, w := range ws {
		m, err := c.readMessage()
		if err != nil {
			return fmt.Errorf("waiting for %v (%d of %d): %w", w, i+1, len(ws), err)
		}
		if m.op != w.op || !bytes.Equal(m.payload, w.payload) {
			return fmt.Errorf("got %s, want %v", describe(m), w)
		}
	}
	return nil
}

// failSpec lists the close codes accepted after a violation: ok codes give
// OK, lenient codes give NonStrict.
type failSpec struct {
	ok, lenient []uint16
}

func failWith(codes ...uint16) failSpec { return failSpec{ok: codes} }

// closeClean runs the closing handshake from our side with code and judges
// the server's answer.
func (c *conn) closeClean(code uint16) Verdict {
	c.sendClose(closeBody(code, ""))
	m, err := c.readMessage()
	if err == nil {
		return failf("unexpected %s instead of a close reply", describe(m))
	}
	var ce *closedError
	switch {
	case errors.As(err, &ce):
		v := okf("close %d echoed, then TCP closed", code)
		switch {
		case ce.bad != "":
			v = failf("invalid close reply: %s", ce.bad)
		case !ce.hasCode:
			v = nonStrictf("close reply without a status code")
		case ce.code != code:
			v = failf("close reply %d, want %d", ce.code, code)
		}
		v.CloseCode = ce.code
		if !c.waitEOF() {
			v = worse(v, nonStrictf("server did not close TCP within %v after the close handshake", c.t.ReplyTimeout))
		}
		return v
	case errors.Is(err, errDropped):
		return failf("server dropped TCP without answering our close")
	case errors.Is(err, errSilent):
		return failf("no close reply within %v", c.t.ReplyTimeout)
	}
	return failf("%v", err)
}

// expectFailure expects the server to fail the connection now.
func (c *conn) expectFailure(spec failSpec) Verdict {
	m, err := c.readMessage()
	if err == nil {
		return failf("server sent %s instead of failing the connection", describe(m))
	}
	return c.failureFrom(err, spec)
}

// failureFrom judges how the server ended the connection (err from a read).
func (c *conn) failureFrom(err error, spec failSpec) Verdict {
	var ce *closedError
	switch {
	case errors.As(err, &ce):
		var v Verdict
		switch {
		case ce.bad != "":
			v = failf("invalid close frame: %s", ce.bad)
		case !ce.hasCode:
			v = failf("close frame without a status code, want %v", spec.ok)
		case slices.Contains(spec.ok, ce.code):
			v = okf("close %d, then TCP closed", ce.code)
		case slices.Contains(spec.lenient, ce.code):
			v = nonStrictf("close %d (expected %v), then TCP closed", ce.code, spec.ok)
		default:
			v = failf("close code %d, want %v", ce.code, spec.ok)
		}
		v.CloseCode = ce.code
		c.sendClose(closeBody(ce.code, ""))
		if !c.waitEOF() {
			v = worse(v, nonStrictf("server did not close TCP within %v after its close frame", c.t.ReplyTimeout))
		}
		return v
	case errors.Is(err, errDropped):
		return nonStrictf("TCP dropped without a close frame (expected close %v)", spec.ok)
	case errors.Is(err, errSilent):
		return failf("server did not fail the connection within %v", c.t.ReplyTimeout)
	}
	return failf("%v", err)
}

// ended reports whether err means the server ended the connection.
func ended(err error) bool {
	var ce *closedError
	return errors.As(err, &ce) || errors.Is(err, errDropped)
}

// withClose copies the close code of err (if any) into v.
func withClose(v Verdict, err error) Verdict {
	var ce *closedError
	if errors.As(err, &ce) {
		v.CloseCode = ce.code
	}
	return v
}

// awaitActivity waits up to d for the server to send anything or close.
func (c *conn) awaitActivity(d time.Duration) bool {
	old := c.idle.Swap(int64(d))
	_, err := c.br.Peek(1)
	c.idle.Store(old)
	return err == nil || !isTimeout(err)
}

// step is one action of a scripted case.
type step func(c *conn) error

// sendS writes the frames in one write.
func sendS(fs ...frame) step {
	return func(c *conn) error { c.send(fs...); return nil }
}

// chopS writes the frames in chunks of n bytes with pause between chunks.
func chopS(n int, pause time.Duration, fs ...frame) step {
	return func(c *conn) error { c.write(encodeFrames(fs...), n, pause); return nil }
}

// eachS writes every frame separately with pause in between.
func eachS(pause time.Duration, fs ...frame) step {
	return func(c *conn) error {
		for i, f := range fs {
			if i > 0 && pause > 0 {
				time.Sleep(pause)
			}
			c.send(f)
		}
		return nil
	}
}

// expectS expects the messages in order.
func expectS(ws ...want) step {
	return func(c *conn) error { return c.expectMsgs(ws...) }
}

// pauseS sleeps.
func pauseS(d time.Duration) step {
	return func(*conn) error { time.Sleep(d); return nil }
}

// script is a scripted case: steps, then a clean close (fail == nil) or an
// expected failure of the connection.
type script struct {
	opts  dialOptions
	steps []step
	fail  *failSpec
}

func (s script) run(ctx context.Context, t *Target) Verdict {
	c, v, ok := dial(ctx, t, s.opts)
	if !ok {
		return v
	}
	defer c.close()
	for _, st := range s.steps {
		err := st(c)
		if err == nil {
			continue
		}
		if s.fail != nil && ended(err) {
			v := c.failureFrom(err, *s.fail)
			if v.Status == OK {
				v.Status = NonStrict
				v.Detail += "; valid frames sent before the violation were not all answered"
			}
			return v
		}
		return withClose(failf("%v", err), err)
	}
	if s.fail == nil {
		return c.closeClean(1000)
	}
	return c.expectFailure(*s.fail)
}

// okCase returns a script that ends with a clean close.
func okCase(steps ...step) func(context.Context, *Target) Verdict {
	return script{steps: steps}.run
}

// failCase returns a script whose last frames must make the server fail the
// connection with one of codes.
func failCase(spec failSpec, steps ...step) func(context.Context, *Target) Verdict {
	return script{steps: steps, fail: &spec}.run
}

// failFast sends prefix, which already makes the message invalid, and waits
// for the server to fail; only if it does not, rest is sent. Detecting the
// problem only after rest gives NonStrict. With early false the problem is
// only detectable after rest, and no wait happens.
func failFast(prefix, rest []byte, chop int, early bool, spec failSpec) func(context.Context, *Target) Verdict {
	return func(ctx context.Context, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		c.write(prefix, chop, 0)
		if early && c.awaitActivity(t.FailFastWait) {
			return c.expectFailure(spec)
		}
		c.write(rest, chop, 0)
		v = c.expectFailure(spec)
		if early && v.Status == OK {
			v.Status = NonStrict
			v.Detail = fmt.Sprintf("not fail-fast: detected only after the rest of the message (%s)", v.Detail)
		}
		return v
	}
}
