package conformance

import (
	"bytes"
	"fmt"
)

// defaultOffer is the offer most browsers send.
const defaultOffer = "permessage-deflate; client_max_window_bits"

// deflateMsg is one message of a compression case.
type deflateMsg struct {
	op        byte
	payload   []byte
	plain     bool // send uncompressed (RSV1 clear) on the compressed connection
	frameSize int  // split the compressed payload into frames of this size
}

// deflateEcho negotiates with offer, sends msgs (compressed unless plain)
// and expects every one echoed. Declining the extension is Unimplemented.
func deflateEcho(offer string, mk func() []deflateMsg) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		msgs := mk()
		c, v, ok := dial(ctx, t, dialOptions{extensions: offer})
		if !ok {
			return v
		}
		defer c.close()
		if c.pmd == nil {
			c.closeClean(1000)
			return Verdict{Status: Unimplemented, Detail: "server declined permessage-deflate (offer " + offer + ")"}
		}
		compressedBack, wireIn, plainIn := 0, 0, 0
		for i, m := range msgs {
			var fs []frame
			if m.plain {
				fs = []frame{{op: m.op, fin: true, payload: m.payload}}
			} else {
				z := c.pmd.compress(m.payload)
				wireIn += len(z)
				plainIn += len(m.payload)
				if m.frameSize > 0 {
					fs = fragments(m.op, z, m.frameSize)
				} else {
					fs = []frame{{op: m.op, fin: true, payload: z}}
				}
				fs[0].rsv = rsv1
			}
			c.send(fs...)
			got, err := c.readMessage()
			if err != nil {
				return withClose(failf("message %d of %d (%s): %v", i+1, len(msgs), c.pmd.params, err), err)
			}
			if got.op != m.op || !bytes.Equal(got.payload, m.payload) {
				return failf("message %d of %d: got %s, want %s of %d bytes", i+1, len(msgs), describe(got), opName(m.op), len(m.payload))
			}
			if got.compressed {
				compressedBack++
			}
		}
		cv := c.closeClean(1000)
		if cv.Status != OK {
			return cv
		}
		ratio := ""
		if plainIn > 0 {
			ratio = fmt.Sprintf(", our compression %.0f%%", 100*float64(wireIn)/float64(plainIn))
		}
		out := okf("negotiated %q; %d message(s) echoed, %d compressed by the server%s", c.pmd.params.String(), len(msgs), compressedBack, ratio)
		out.CloseCode = cv.CloseCode
		return out
	}
}

// deflateViolation negotiates the default offer and sends frames built by
// mk; the server must fail the connection with one of spec's codes.
func deflateViolation(spec failSpec, mk func(p *pmdConn) []frame) func(ctxT, *Target) Verdict {
	return func(ctx ctxT, t *Target) Verdict {
		c, v, ok := dial(ctx, t, dialOptions{extensions: defaultOffer})
		if !ok {
			return v
		}
		defer c.close()
		if c.pmd == nil {
			c.closeClean(1000)
			return Verdict{Status: Unimplemented, Detail: "server declined permessage-deflate"}
		}
		c.send(mk(c.pmd)...)
		return c.expectFailure(spec)
	}
}

// repeatMsgs builds, when the case runs, n messages of gen(size).
func repeatMsgs(op byte, gen func(int) []byte, size, n int) func() []deflateMsg {
	return func() []deflateMsg {
		p := gen(size)
		out := make([]deflateMsg, n)
		for i := range out {
			out[i] = deflateMsg{op: op, payload: p}
		}
		return out
	}
}

// fixed wraps a prepared message list.
func fixed(msgs ...deflateMsg) func() []deflateMsg {
	return func() []deflateMsg { return msgs }
}

func deflateCases() []Case {
	var cs []Case
	sizes := []int{16, 64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20}
	quick := map[int]bool{64: true, 4 << 10: true, 64 << 10: true}
	count := func(n int) int {
		if n > 64<<10 {
			return 2
		}
		return 10
	}
	for i, n := range sizes {
		cs = append(cs, Case{ID: id(12, 1, i+1), Quick: quick[n],
			Description: fmt.Sprintf("Negotiate %q; send %d compressed JSON-like text messages of %s bytes; expect each echoed (decoded with the negotiated window).", defaultOffer, count(n), sizeName(n)),
			Run:         deflateEcho(defaultOffer, repeatMsgs(opText, jsonPayload, n, count(n)))})
	}
	for i, n := range sizes {
		cs = append(cs, Case{ID: id(12, 2, i+1), Quick: quick[n],
			Description: fmt.Sprintf("Negotiate %q; send %d compressed random binary messages of %s bytes (incompressible); expect each echoed.", defaultOffer, count(n), sizeName(n)),
			Run:         deflateEcho(defaultOffer, repeatMsgs(opBinary, binPayload, n, count(n)))})
	}
	mixed := []deflateMsg{
		{op: opText, payload: []byte("plain text on a compressed connection"), plain: true},
		{op: opText, payload: jsonPayload(2000)},
		{op: opBinary, payload: binPayload(300), plain: true},
		{op: opText, payload: jsonPayload(2000)},
	}
	cs = append(cs,
		Case{ID: "12.3.1", Quick: true, Description: "Negotiate permessage-deflate; alternate uncompressed (RSV1 clear) and compressed messages; expect each echoed.",
			Run: deflateEcho(defaultOffer, fixed(mixed...))},
		Case{ID: "12.3.2", Quick: true, Description: "Negotiate permessage-deflate; send an empty compressed text message; expect an empty echo.",
			Run: deflateEcho(defaultOffer, fixed(deflateMsg{op: opText, payload: []byte{}}))},
	)
	for i, fsz := range []int{1, 64, 1 << 10} {
		cs = append(cs, Case{ID: id(12, 4, i+1), Quick: true,
			Description: fmt.Sprintf("Negotiate permessage-deflate; send a compressed 16K text message split into frames of %d bytes (RSV1 on the first only); expect it echoed.", fsz),
			Run:         deflateEcho(defaultOffer, fixed(deflateMsg{op: opText, payload: jsonPayload(16 << 10), frameSize: fsz}))})
	}
	cs = append(cs,
		Case{ID: "12.5.1", Quick: true, Description: "Negotiate permessage-deflate; send the same 4K message 20 times (our context takeover makes later copies tiny back-references); expect each echoed.",
			Run: deflateEcho(defaultOffer, repeatMsgs(opText, jsonPayload, 4<<10, 20))},
		Case{ID: "12.6.1", Quick: true, Description: "Negotiate permessage-deflate; send a fragmented compressed message with RSV1 also on the continuation frame; expect failure with 1002.",
			Run: deflateViolation(failWith(1002), func(p *pmdConn) []frame {
				fs := fragments(opText, p.compress(jsonPayload(1000)), 100)
				for i := range fs {
					fs[i].rsv = rsv1
				}
				return fs
			})},
		Case{ID: "12.6.2", Quick: true, Description: "Negotiate permessage-deflate; send a ping with RSV1; expect failure with 1002.",
			Run: deflateViolation(failWith(1002), func(*pmdConn) []frame {
				return []frame{{op: opPing, fin: true, rsv: rsv1, payload: []byte("ping")}}
			})},
		Case{ID: "12.6.3", Quick: true, Description: "Negotiate permessage-deflate; send a compressed message whose payload is not valid DEFLATE; expect failure (1007 or 1002).",
			Run: deflateViolation(failWith(1007, 1002), func(*pmdConn) []frame {
				return []frame{{op: opText, fin: true, rsv: rsv1, payload: []byte{0xff, 0xff, 0xff, 0xff, 0x00}}}
			})},
		Case{ID: "12.6.4", Quick: true, Description: "Negotiate permessage-deflate; send a compressed text message that inflates to invalid UTF-8; expect failure with 1007.",
			Run: deflateViolation(failWith(1007), func(p *pmdConn) []frame {
				return []frame{{op: opText, fin: true, rsv: rsv1, payload: p.compress([]byte("bad \xed\xa0\x80 utf8"))}}
			})},
		Case{ID: "12.6.5", Quick: true, Description: "Negotiate permessage-deflate; send a compressed message with RSV2 also set; expect failure with 1002.",
			Run: deflateViolation(failWith(1002), func(p *pmdConn) []frame {
				return []frame{{op: opText, fin: true, rsv: rsv1 | rsv2, payload: p.compress([]byte("rsv2"))}}
			})},
	)
	return cs
}

func negotiationCases() []Case {
	msgs := []deflateMsg{
		{op: opText, payload: jsonPayload(2 << 10)},
		{op: opBinary, payload: binPayload(1 << 10)},
		{op: opText, payload: jsonPayload(2 << 10)},
		{op: opText, payload: jsonPayload(40 << 10)},
		{op: opText, payload: jsonPayload(2 << 10)},
		// A random 20000-byte block twice: a compressor that ignores a
		// negotiated window below 32 KiB reaches 20000 bytes back.
		{op: opBinary, payload: append(binPayload(20000), binPayload(20000)...)},
	}
	var cs []Case
	add := func(idv, offer, desc string, quick bool) {
		cs = append(cs, Case{ID: idv, Quick: quick,
			Description: "Offer " + fmt.Sprintf("%q", offer) + "; " + desc,
			Run:         deflateEcho(offer, fixed(msgs...))})
	}
	const tail = "expect a valid response (or a decline: UNIMPLEMENTED) and 6 messages echoed."
	add("13.1.1", "permessage-deflate", tail, true)
	add("13.1.2", "permessage-deflate; client_max_window_bits", tail, true)
	add("13.1.3", "permessage-deflate; client_no_context_takeover", tail, true)
	add("13.1.4", "permessage-deflate; server_no_context_takeover", tail, true)
	add("13.1.5", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", tail, true)
	for b := 9; b <= 15; b++ {
		add(id(13, 2, b-8), fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", b),
			"expect any client_max_window_bits in the response to be at most the offer; the echo must decode.", b == 9 || b == 15)
	}
	for b := 9; b <= 15; b++ {
		add(id(13, 3, b-8), fmt.Sprintf("permessage-deflate; server_max_window_bits=%d, permessage-deflate", b),
			"expect the first offer accepted with server_max_window_bits at most the offer (server frames must not reach farther back), or the fallback.", b == 9 || b == 15)
	}
	for b := 9; b <= 15; b++ {
		add(id(13, 4, b-8), fmt.Sprintf("permessage-deflate; server_max_window_bits=%d; client_max_window_bits=%d; server_no_context_takeover; client_no_context_takeover", b, b),
			tail, b == 9 || b == 12)
	}
	add("13.5.1", "permessage-deflate; x-unknown-param=1, permessage-deflate; client_max_window_bits",
		"the first offer has an unknown parameter and must be declined; expect the second accepted or none.", true)
	add("13.5.2", "permessage-deflate; server_max_window_bits=7, permessage-deflate",
		"the first offer has an invalid window (7) and must be declined; expect the second accepted or none.", true)
	add("13.5.3", "permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate",
		"the first offer repeats a parameter and must be declined; expect the second accepted or none.", true)
	add("13.5.4", "x-wsloop-unknown-extension, permessage-deflate",
		"the unknown extension must not be accepted.", true)
	cs = append(cs, Case{ID: "13.5.5", Quick: true,
		Description: "Offer only \"x-wsloop-unknown-extension\"; expect no extension in the response and a normal echo.",
		Run: func(ctx ctxT, t *Target) Verdict {
			c, v, ok := dial(ctx, t, dialOptions{extensions: "x-wsloop-unknown-extension"})
			if !ok {
				return v
			}
			defer c.close()
			c.send(textFrame("no extension"))
			if err := c.expectMsgs(wantText("no extension")); err != nil {
				return withClose(failf("%v", err), err)
			}
			return c.closeClean(1000)
		}})
	return cs
}
