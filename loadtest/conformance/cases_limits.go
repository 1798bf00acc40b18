package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// bigEcho sends one message of payload p (split into frames of frameSize
// bytes if > 0, written in TCP chunks of chop bytes if > 0) and expects the
// echo. A 1009 close is reported as Informational (a server limit).
func bigEcho(op byte, gen func() []byte, frameSize, chop int) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		p := gen() // built on demand: the catalog itself stays cheap
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		fs := []frame{{op: op, fin: true, payload: p}}
		if frameSize > 0 {
			fs = fragments(op, p, frameSize)
		}
		wire := encodeFrames(fs...)
		// The server may need a while to take in a big message before the
		// first echo byte: allow a second per MiB on top of the reply timeout.
		c.idle.Store(int64(t.ReplyTimeout + time.Duration(len(p)>>20)*time.Second))
		start := time.Now()
		done := make(chan struct{})
		go func() { // write concurrently: the echo may start before we finish
			defer close(done)
			c.write(wire, chop, 0)
		}()
		m, err := c.readMessage()
		rtt := time.Since(start)
		<-done
		var ce *closedError
		switch {
		case err != nil && errors.As(err, &ce) && ce.code == 1009:
			v := infof("server refused the %s-byte message with 1009 (its size limit)", sizeName(len(p)))
			v.CloseCode = 1009
			return v
		case err != nil:
			return withClose(failf("waiting for the echo: %v", err), err)
		case m.op != op || !bytes.Equal(m.payload, p):
			return failf("echo mismatch: got %s, want %s message of %d bytes", describe(m), opName(op), len(p))
		}
		detail := fmt.Sprintf("echoed %s bytes in %v (%d frame(s) back, %.1f MB/s round trip)",
			sizeName(len(p)), rtt.Round(time.Microsecond), m.frames, float64(2*len(p))/rtt.Seconds()/1e6)
		cv := c.closeClean(1000)
		if cv.Status != OK {
			cv.Detail = detail + "; " + cv.Detail
			return cv
		}
		out := okf("%s", detail)
		out.CloseCode = cv.CloseCode
		return out
	}
}

// roundTrips sends count messages of n bytes one after the other, each
// after the previous echo, and reports the mean round-trip time.
func roundTrips(op byte, n, count int) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{})
		if !ok {
			return v
		}
		defer c.close()
		p := textPayload(n)
		f := frame{op: op, fin: true, payload: p}
		wire := encodeFrames(f)
		start := time.Now()
		for i := 0; i < count; i++ {
			c.write(wire, 0, 0)
			if err := c.expectMsgs(wantMsg(f)); err != nil {
				return withClose(failf("message %d of %d: %v", i+1, count, err), err)
			}
		}
		el := time.Since(start)
		cv := c.closeClean(1000)
		if cv.Status != OK {
			return cv
		}
		out := okf("%d round trips of %s bytes in %v (mean %v)", count, sizeName(n), el.Round(time.Microsecond), (el / time.Duration(count)).Round(100*time.Nanosecond))
		out.CloseCode = cv.CloseCode
		return out
	}
}

func limitCases() []Case {
	var cs []Case
	kinds := []struct {
		op   byte
		name string
		gen  func(int) []byte
	}{{opText, "text", textPayload}, {opBinary, "binary", binPayload}}
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for k, kd := range kinds {
		for i, n := range sizes {
			cs = append(cs, Case{ID: id(9, k+1, i+1), Quick: n == 64<<10 || n == 1<<20,
				Description: fmt.Sprintf("Send a %s message of %s bytes in one frame; expect it echoed (time recorded).", kd.name, sizeName(n)),
				Run:         bigEcho(kd.op, lazy(kd.gen, n), 0, 0)})
		}
	}
	frameSizes := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for k, kd := range kinds {
		for i, fsz := range frameSizes {
			cs = append(cs, Case{ID: id(9, 3+k, i+1), Quick: fsz == 64 || fsz == 64<<10,
				Description: fmt.Sprintf("Send a %s message of 4M bytes in frames of %s bytes; expect it echoed.", kd.name, sizeName(fsz)),
				Run:         bigEcho(kd.op, lazy(kd.gen, 4<<20), fsz, 0)})
		}
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for k, kd := range kinds {
		for i, ch := range chops {
			cs = append(cs, Case{ID: id(9, 5+k, i+1), Quick: ch == 64,
				Description: fmt.Sprintf("Send a %s message of 1M bytes in TCP writes of %d bytes; expect it echoed.", kd.name, ch),
				Run:         bigEcho(kd.op, lazy(kd.gen, 1<<20), 0, ch)})
		}
	}
	rtSizes := []int{0, 16, 64, 256, 1 << 10, 4 << 10}
	for k, kd := range kinds {
		for i, n := range rtSizes {
			cs = append(cs, Case{ID: id(9, 7+k, i+1), Quick: n == 64,
				Description: fmt.Sprintf("Send 1000 %s messages of %s bytes, each after the previous echo; expect every echo (mean latency recorded).", kd.name, sizeName(n)),
				Run:         roundTrips(kd.op, n, 1000)})
		}
	}
	return cs
}

func autoFragCases() []Case {
	return []Case{
		{ID: "10.1.1", Quick: true, Description: "Send a 64K text message; expect it echoed intact however the server fragments it (frame count recorded).",
			Run: bigEcho(opText, lazy(textPayload, 64<<10), 0, 0)},
		{ID: "10.1.2", Quick: true, Description: "Send a 1M binary message; expect it echoed intact however the server fragments it.",
			Run: bigEcho(opBinary, lazy(binPayload, 1<<20), 0, 0)},
		{ID: "10.1.3", Quick: true, Description: "Send a text message of about 1.1M bytes of 2-, 3- and 4-byte characters; expect it echoed intact (fragments may split code points).",
			Run: bigEcho(opText, func() []byte { return bytes.Repeat([]byte("κόσμε€\U0001F600"), 1<<16) }, 0, 0)},
		{ID: "10.1.4", Quick: false, Description: "Send a 4M text message in 1K frames; expect it echoed intact however the server re-fragments it.",
			Run: bigEcho(opText, lazy(textPayload, 4<<20), 1<<10, 0)},
	}
}

// lazy defers building a payload until the case runs.
func lazy(gen func(int) []byte, n int) func() []byte {
	return func() []byte { return gen(n) }
}
