package codec

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"
)

// mixedFrames is a stream exercising every header form, fragmentation with
// interleaved control frames, empty frames and a final close.
func mixedFrames() []frameSpec {
	return []frameSpec{
		{op: OpText, fin: true, payload: []byte("hello")},
		{op: OpBinary, fin: true, payload: nil},
		{op: OpBinary, fin: true, payload: pattern(125, 1)},
		{op: OpBinary, fin: true, payload: pattern(126, 2)},
		{op: OpText, fin: true, payload: textOf(300)},
		{op: OpPing, fin: true, payload: []byte("p1")},
		{op: OpText, fin: false, payload: textOf(7)},
		{op: OpPing, fin: true, payload: pattern(125, 3)},
		{op: OpContinuation, fin: false, payload: nil},
		{op: OpPong, fin: true, payload: nil},
		{op: OpContinuation, fin: false, payload: []byte("\xe2")}, // a sequence split across fragments
		{op: OpContinuation, fin: true, payload: []byte("\x82\xac!")},
		{op: OpBinary, fin: false, payload: pattern(3, 4)},
		{op: OpContinuation, fin: true, payload: pattern(130, 5)},
		{op: OpClose, fin: true, payload: append([]byte{0x03, 0xe8}, "bye"...)},
	}
}

func TestDecodeStreamEverySplit(t *testing.T) {
	frames := mixedFrames()
	stream := buildStream(frames)
	want := expectTrace(frames, len(stream))
	fail := fatalf(t)
	if err := decodeWhole(DecoderLimits{}, stream, fail).equal(want); err != nil {
		t.Fatalf("whole: %v", err)
	}
	if err := decodeBytewise(DecoderLimits{}, stream, fail).equal(want); err != nil {
		t.Fatalf("byte at a time: %v", err)
	}
	for cut := 0; cut <= len(stream); cut++ {
		if err := decodeSplit(DecoderLimits{}, stream, fail, cut).equal(want); err != nil {
			t.Fatalf("split at %d: %v", cut, err)
		}
	}
	// Three pieces, cuts on a coarse grid.
	for a := 0; a <= len(stream); a += 7 {
		for b := a; b <= len(stream); b += 13 {
			if err := decodeSplit(DecoderLimits{}, stream, fail, a, b).equal(want); err != nil {
				t.Fatalf("split at %d,%d: %v", a, b, err)
			}
		}
	}
}

func TestDecodeLargeFrames(t *testing.T) {
	frames := []frameSpec{
		{op: OpBinary, fin: true, payload: pattern(65535, 9)},   // largest 16-bit length
		{op: OpBinary, fin: true, payload: pattern(65536, 10)},  // smallest 64-bit length
		{op: OpText, fin: false, payload: textOf(70001)},        // 64-bit, fragmented
		{op: OpPing, fin: true, payload: []byte("x")},           // interleaved
		{op: OpContinuation, fin: true, payload: textOf(40000)}, // 16-bit
	}
	stream := buildStream(frames)
	want := expectTrace(frames, len(stream))
	fail := fatalf(t)
	if err := decodeWhole(DecoderLimits{}, stream, fail).equal(want); err != nil {
		t.Fatalf("whole: %v", err)
	}
	if err := decodeBytewise(DecoderLimits{}, stream, fail).equal(want); err != nil {
		t.Fatalf("byte at a time: %v", err)
	}
	// Cuts inside every header and at a spread of payload offsets.
	var cuts []int
	for i := 0; i < 14; i++ {
		cuts = append(cuts, i, 65535+4+i, 65535+4+65536+10+i)
	}
	for i := 15; i < len(stream); i += 997 {
		cuts = append(cuts, i)
	}
	for _, c := range cuts {
		if err := decodeSplit(DecoderLimits{}, stream, fail, c).equal(want); err != nil {
			t.Fatalf("split at %d: %v", c, err)
		}
	}
}

// TestDecodeChunkFlags checks the per-chunk flags directly on a frame split
// into three pieces.
func TestDecodeChunkFlags(t *testing.T) {
	payload := pattern(100, 7)
	stream := AppendClientFrame(nil, OpBinary, true, false, [4]byte{1, 2, 3, 4}, payload)
	var d Decoder
	buf := bytes.Clone(stream)
	type got struct {
		start, fend, mend bool
		n                 int
	}
	var evs []got
	var out []byte
	for _, c := range [][]byte{buf[:10], buf[10:60], buf[60:]} {
		for {
			ev, n, err := d.Next(c)
			if err != nil {
				t.Fatal(err)
			}
			c = c[n:]
			if ev.Kind == EventNone {
				break
			}
			if ev.OpCode != OpBinary {
				t.Fatalf("opcode %v", ev.OpCode)
			}
			out = append(out, ev.Payload...)
			evs = append(evs, got{ev.MessageStart, ev.FrameEnd, ev.MessageEnd, len(ev.Payload)})
		}
	}
	want := []got{{true, false, false, 4}, {false, false, false, 50}, {false, true, true, 46}}
	if len(evs) != len(want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Fatalf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
	if !bytes.Equal(out, payload) {
		t.Fatal("payload mismatch")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 15, 16, 17, 125, 126, 1000, 65535, 65536, 100000} {
		for _, op := range []OpCode{OpText, OpBinary, OpPing} {
			if op == OpPing && n > 125 {
				continue
			}
			payload := pattern(n, byte(n))
			if op == OpText {
				payload = textOf(n)
			}
			orig := bytes.Clone(payload)
			frame := AppendClientFrame(nil, op, true, false, [4]byte{0xde, 0xad, 0xbe, 0xef}, payload)
			if !bytes.Equal(payload, orig) {
				t.Fatal("AppendClientFrame modified its input")
			}
			if n >= 4 && bytes.Equal(frame[len(frame)-n:], payload) {
				t.Fatalf("n=%d: payload not masked on the wire", n)
			}
			var d Decoder
			ev, used, err := d.Next(frame)
			if err != nil || used != len(frame) {
				t.Fatalf("n=%d op=%v: err=%v used=%d/%d", n, op, err, used, len(frame))
			}
			if !bytes.Equal(ev.Payload, orig) || ev.OpCode != op {
				t.Fatalf("n=%d op=%v: payload/opcode mismatch", n, op)
			}
		}
	}
}

// rawFrame builds a frame with explicit header bytes: b0, b1 (the mask bit
// is added if mask is non-nil), an explicit extended length, and payload
// (masked with mask if given).
func rawFrame(b0, len7 byte, ext []byte, mask []byte, payload []byte) []byte {
	b1 := len7
	if mask != nil {
		b1 |= 0x80
	}
	out := append([]byte{b0, b1}, ext...)
	out = append(out, mask...)
	start := len(out)
	out = append(out, payload...)
	for i := range payload {
		if mask != nil {
			out[start+i] ^= mask[i%4]
		}
	}
	return out
}

var testMask = []byte{0x11, 0x22, 0x33, 0x44}

func cf(op OpCode, fin, rsv1 bool, payload []byte) []byte {
	return AppendClientFrame(nil, op, fin, rsv1, [4]byte{0x11, 0x22, 0x33, 0x44}, payload)
}

func sf(op OpCode, fin bool, payload []byte) []byte { return AppendFrame(nil, op, fin, payload) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDecodeRules(t *testing.T) {
	server := DecoderLimits{}
	deflate := DecoderLimits{AllowRSV1: true}
	client := DecoderLimits{ClientSide: true}
	small := DecoderLimits{MaxMessageSize: 10, MaxFrameSize: 6}
	smallMsg := DecoderLimits{MaxMessageSize: 10}
	ok := []byte("ok")
	tests := []struct {
		name   string
		lim    DecoderLimits
		stream []byte
		err    *ProtocolError
		errAt  int // 0: not checked
		events int // events before the error (or in total)
	}{
		{"masked text", server, cf(OpText, true, false, ok), nil, 0, 1},
		{"unmasked client frame", server, sf(OpText, true, ok), ErrUnmaskedFrame, 2, 0},
		{"unmasked ping", server, sf(OpPing, true, nil), ErrUnmaskedFrame, 2, 0},
		{"client side unmasked ok", client, cat(sf(OpText, true, ok), sf(OpPing, true, ok)), nil, 0, 2},
		{"client side masked", client, cf(OpText, true, false, ok), ErrMaskedFrame, 2, 0},
		{"rsv2", server, rawFrame(0x80|0x20|1, 0, nil, testMask, nil), ErrReservedBits, 1, 0},
		{"rsv3", server, rawFrame(0x80|0x10|2, 0, nil, testMask, nil), ErrReservedBits, 1, 0},
		{"rsv2 with deflate", deflate, rawFrame(0x80|0x20|1, 0, nil, testMask, nil), ErrReservedBits, 1, 0},
		{"rsv2 on ping", server, rawFrame(0x80|0x20|9, 0, nil, testMask, nil), ErrReservedBits, 1, 0},
		{"rsv1 without deflate", server, cf(OpText, true, true, ok), ErrUnexpectedRSV1, 1, 0},
		{"rsv1 with deflate", deflate, cf(OpBinary, true, true, ok), nil, 0, 1},
		{"rsv1 on continuation", deflate, cat(cf(OpText, false, true, ok), cf(OpContinuation, true, true, ok)), ErrUnexpectedRSV1, 9, 1},
		{"rsv1 on ping", deflate, cf(OpPing, true, true, nil), ErrUnexpectedRSV1, 1, 0},
		{"rsv1 on close", deflate, cf(OpClose, true, true, nil), ErrUnexpectedRSV1, 1, 0},
		{"ping without fin", server, cf(OpPing, false, false, nil), ErrFragmentedControl, 1, 0},
		{"close without fin", server, cf(OpClose, false, false, nil), ErrFragmentedControl, 1, 0},
		{"ping 125", server, cf(OpPing, true, false, pattern(125, 0)), nil, 0, 1},
		{"ping 126", server, cf(OpPing, true, false, pattern(126, 0)), ErrControlTooLong, 2, 0},
		{"pong 16-bit length", server, rawFrame(0x80|0xA, 126, []byte{0, 5}, testMask, pattern(5, 0)), ErrControlTooLong, 2, 0},
		{"continuation first", server, cf(OpContinuation, true, false, ok), ErrUnexpectedContinuation, 1, 0},
		{"continuation after complete message", server, cat(cf(OpText, true, false, ok), cf(OpContinuation, true, false, ok)), ErrUnexpectedContinuation, 9, 1},
		{"text inside fragmented", server, cat(cf(OpText, false, false, ok), cf(OpText, true, false, ok)), ErrExpectedContinuation, 9, 1},
		{"binary inside fragmented", server, cat(cf(OpBinary, false, false, ok), cf(OpBinary, true, false, ok)), ErrExpectedContinuation, 9, 1},
		{"ping between fragments", server, cat(cf(OpText, false, false, ok), cf(OpPing, true, false, ok), cf(OpContinuation, true, false, ok)), nil, 0, 3},
		{"close between fragments", server, cat(cf(OpText, false, false, ok), cf(OpClose, true, false, nil)), nil, 0, 2},
		{"64-bit length top bit", server, rawFrame(0x82, 127, []byte{0x80, 0, 0, 0, 0, 0, 0, 1}, testMask, nil), ErrLengthOverflow, 3, 0},
		{"non-minimal 16-bit length", server, rawFrame(0x82, 126, []byte{0, 3}, testMask, []byte("abc")), nil, 0, 1},
		{"non-minimal 64-bit length", server, rawFrame(0x82, 127, []byte{0, 0, 0, 0, 0, 0, 0, 3}, testMask, []byte("abc")), nil, 0, 1},
		{"frame at limit", small, cf(OpBinary, true, false, pattern(6, 0)), nil, 0, 1},
		{"frame over limit", small, cf(OpBinary, true, false, pattern(7, 0)), ErrFrameTooBig, 2, 0},
		{"message at limit", small, cat(cf(OpBinary, false, false, pattern(5, 0)), cf(OpContinuation, true, false, pattern(5, 0))), nil, 0, 2},
		{"message over limit", small, cat(cf(OpBinary, false, false, pattern(5, 0)), cf(OpContinuation, true, false, pattern(6, 0))), ErrMessageTooBig, 13, 1},
		{"limit is per message", small, cat(cf(OpBinary, true, false, pattern(6, 0)), cf(OpBinary, true, false, pattern(6, 0)), cf(OpText, false, false, pattern(4, 0x41)), cf(OpContinuation, true, false, pattern(6, 0x41))), nil, 0, 4},
		{"frame size defaults to message size", smallMsg, cf(OpBinary, true, false, pattern(10, 0)), nil, 0, 1},
		{"frame size defaults to message size, over", smallMsg, cf(OpBinary, true, false, pattern(11, 0)), ErrMessageTooBig, 2, 0},
		{"control frames not counted", small, cat(cf(OpBinary, false, false, pattern(5, 0)), cf(OpPing, true, false, pattern(100, 0)), cf(OpContinuation, true, false, pattern(5, 0))), nil, 0, 3},
		{"default limit", server, rawFrame(0x82, 127, []byte{0, 0, 0, 0, 1, 0, 0, 1}, testMask, nil), ErrMessageTooBig, 10, 0},
		{"default limit exact", server, rawFrame(0x82, 127, []byte{0, 0, 0, 0, 1, 0, 0, 0}, testMask, nil), nil, 0, 0},
		{"close empty", server, cf(OpClose, true, false, nil), nil, 0, 1},
		{"close one byte", server, cf(OpClose, true, false, []byte{3}), ErrCloseBodyTooShort, 7, 0},
		{"close code 999", server, cf(OpClose, true, false, []byte{0x03, 0xe7}), ErrInvalidCloseCode, 8, 0},
		{"close code 1005", server, cf(OpClose, true, false, []byte{0x03, 0xed}), ErrInvalidCloseCode, 8, 0},
		{"close code 3000 with reason", server, cf(OpClose, true, false, []byte("\x0b\xb8bye \xc3\xa9")), nil, 0, 1},
		{"close invalid reason", server, cf(OpClose, true, false, []byte("\x03\xe8a\xff")), ErrInvalidCloseReason, 10, 0},
		{"close truncated reason", server, cf(OpClose, true, false, []byte("\x03\xe8a\xe2\x82")), ErrInvalidCloseReason, 11, 0},
		{"text invalid utf8", server, cf(OpText, true, false, []byte("ab\xffcd")), ErrInvalidUTF8, 9, 0},
		{"text truncated at end", server, cf(OpText, true, false, []byte("ab\xe2\x82")), ErrInvalidUTF8, 10, 0},
		{"binary not checked", server, cf(OpBinary, true, false, []byte("ab\xffcd")), nil, 0, 1},
		{"compressed text not checked", deflate, cat(cf(OpText, false, true, []byte("\xff")), cf(OpContinuation, true, false, []byte("\xe2"))), nil, 0, 2},
		{"sequence across fragments", server, cat(cf(OpText, false, false, []byte("\xf0\x9f")), cf(OpPing, true, false, nil), cf(OpContinuation, true, false, []byte("\x98\x80"))), nil, 0, 3},
		{"incomplete at fragment end is fine", server, cf(OpText, false, false, []byte("\xf0\x9f")), nil, 0, 1},
		{"invalid mid fragment", server, cat(cf(OpText, false, false, []byte("\xf0\x9f")), cf(OpContinuation, true, false, []byte("\x41"))), ErrInvalidUTF8, 15, 1},
	}
	for op := 3; op <= 15; op++ {
		if op >= 8 && op <= 10 {
			continue
		}
		tests = append(tests, struct {
			name   string
			lim    DecoderLimits
			stream []byte
			err    *ProtocolError
			errAt  int
			events int
		}{"reserved opcode", server, rawFrame(0x80|byte(op), 0, nil, testMask, nil), ErrReservedOpCode, 1, 0})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fail := fatalf(t)
			tr := decodeWhole(tc.lim, tc.stream, fail)
			var wantErr error
			if tc.err != nil {
				wantErr = tc.err
			}
			if tr.err != wantErr {
				t.Fatalf("err = %v, want %v", tr.err, wantErr)
			}
			if tc.errAt != 0 && tr.errAt != tc.errAt {
				t.Fatalf("error at offset %d, want %d", tr.errAt, tc.errAt)
			}
			events := 0
			for _, m := range tr.marks {
				if m.kind == EventControl || m.frameEnd {
					events++
				}
			}
			if events != tc.events {
				t.Fatalf("%d complete frames, want %d: %v", events, tc.events, tr.marks)
			}
			if tc.err != nil {
				var pe *ProtocolError
				if !errors.As(tr.err, &pe) || pe.Code != tc.err.Code {
					t.Fatalf("error %v lacks code %d", tr.err, tc.err.Code)
				}
			}
			// The outcome does not depend on how the bytes arrive.
			if err := decodeBytewise(tc.lim, tc.stream, fail).equal(tr); err != nil {
				t.Fatalf("byte at a time differs: %v", err)
			}
			for cut := 0; cut <= len(tc.stream); cut++ {
				if err := decodeSplit(tc.lim, tc.stream, fail, cut).equal(tr); err != nil {
					t.Fatalf("split at %d differs: %v", cut, err)
				}
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	want := map[*ProtocolError]uint16{
		ErrUnmaskedFrame: 1002, ErrMaskedFrame: 1002, ErrReservedBits: 1002, ErrUnexpectedRSV1: 1002,
		ErrReservedOpCode: 1002, ErrFragmentedControl: 1002, ErrControlTooLong: 1002,
		ErrUnexpectedContinuation: 1002, ErrExpectedContinuation: 1002, ErrLengthOverflow: 1002,
		ErrFrameTooBig: 1009, ErrMessageTooBig: 1009, ErrInvalidUTF8: 1007,
		ErrCloseBodyTooShort: 1002, ErrInvalidCloseCode: 1002, ErrInvalidCloseReason: 1007,
	}
	if len(want) != len(decoderErrors)-1 {
		t.Fatalf("%d errors registered, %d checked", len(decoderErrors)-1, len(want))
	}
	for e, code := range want {
		if e.Code != code {
			t.Errorf("%q: code %d, want %d", e.Reason, e.Code, code)
		}
		if decoderErrors[errorIndex(e)] != e {
			t.Errorf("%q: index round trip failed", e.Reason)
		}
	}
}

func TestCloseEvent(t *testing.T) {
	var d Decoder
	ev, _, err := d.Next(cf(OpClose, true, false, []byte("\x03\xe9going")))
	if err != nil || ev.Kind != EventControl || ev.OpCode != OpClose || ev.CloseCode != 1001 || string(ev.CloseReason) != "going" {
		t.Fatalf("got %+v, %v", ev, err)
	}
	ev, _, err = d.Next(cf(OpClose, true, false, nil))
	if err != nil || ev.CloseCode != CloseNoStatus || len(ev.CloseReason) != 0 {
		t.Fatalf("empty close: %+v, %v", ev, err)
	}
}

// TestCloseCodesOnWire sends every code 0..5000 (and a few above) in a close
// frame and checks acceptance against the rule.
func TestCloseCodesOnWire(t *testing.T) {
	for code := 0; code <= 5100; code++ {
		valid := (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
		var d Decoder
		frame := cf(OpClose, true, false, []byte{byte(code >> 8), byte(code)})
		ev, _, err := d.Next(frame)
		if valid && (err != nil || ev.CloseCode != uint16(code)) {
			t.Fatalf("code %d rejected: %v", code, err)
		}
		if !valid && err != ErrInvalidCloseCode {
			t.Fatalf("code %d: err %v, want ErrInvalidCloseCode", code, err)
		}
	}
}

func TestControlBufferPooled(t *testing.T) {
	payload := pattern(125, 3)
	frame := cf(OpPing, true, false, payload)
	var d Decoder
	if _, n, err := d.Next(frame[:40]); err != nil || n != 40 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if d.ctrl == nil {
		t.Fatal("partial control payload not buffered")
	}
	ev, n, err := d.Next(frame[40:])
	if err != nil || n != len(frame)-40 || ev.Kind != EventControl || !bytes.Equal(ev.Payload, payload) {
		t.Fatalf("ping: n=%d err=%v", n, err)
	}
	// The buffer goes back to the pool on the next call.
	if _, _, err := d.Next(nil); err != nil {
		t.Fatal(err)
	}
	if d.ctrl != nil || d.ctrlLen != 0 {
		t.Fatal("control buffer held after the event was consumed")
	}
	// Reset releases a buffer held by an incomplete control frame.
	if _, _, err := d.Next(frame[:20]); err != nil {
		t.Fatal(err)
	}
	d.Reset(DecoderLimits{})
	if d.ctrl != nil {
		t.Fatal("Reset kept the control buffer")
	}
	// A whole control frame in one call needs no buffer.
	ev, _, err = d.Next(bytes.Clone(frame))
	if err != nil || d.ctrl != nil || !bytes.Equal(ev.Payload, payload) {
		t.Fatalf("whole ping: err=%v buffered=%v", err, d.ctrl != nil)
	}
}

func TestDecoderSize(t *testing.T) {
	if s := unsafe.Sizeof(Decoder{}); s > 64 {
		t.Fatalf("Decoder is %d bytes, budget 64", s)
	}
}

func TestDefaultDecoderLimits(t *testing.T) {
	l := DefaultDecoderLimits()
	if l.MaxMessageSize != 16<<20 || l.MaxFrameSize != 16<<20 || l.AllowRSV1 || l.ClientSide {
		t.Fatalf("%+v", l)
	}
	var d Decoder
	d.Reset(DecoderLimits{MaxMessageSize: 4})
	if d.Err() != nil {
		t.Fatal("fresh decoder has an error")
	}
	_, _, err := d.Next(cf(OpBinary, true, false, pattern(5, 0)))
	if err != ErrMessageTooBig || d.Err() != ErrMessageTooBig {
		t.Fatalf("err %v", err)
	}
	d.Reset(DecoderLimits{MaxMessageSize: 5})
	if _, _, err := d.Next(cf(OpBinary, true, false, pattern(5, 0))); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}

func TestDecodeZeroAllocs(t *testing.T) {
	data := cf(OpText, true, false, textOf(1000))
	ping := cf(OpPing, true, false, pattern(100, 1))
	buf := make([]byte, len(data))
	var d Decoder
	allocs := testing.AllocsPerRun(200, func() {
		copy(buf, data)
		if _, _, err := d.Next(buf); err != nil {
			t.Fatal(err)
		}
		// A ping split in two: uses the pooled buffer.
		copy(buf, ping)
		d.Next(buf[:50])
		if _, _, err := d.Next(buf[50:len(ping)]); err != nil {
			t.Fatal(err)
		}
		d.Next(nil)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per run", allocs)
	}
	var failed Decoder
	allocs = testing.AllocsPerRun(100, func() {
		failed.Reset(DecoderLimits{})
		copy(buf, data)
		buf[0] = 0x83 // reserved opcode
		if _, _, err := failed.Next(buf); err != ErrReservedOpCode {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("error path: %v allocs per run", allocs)
	}
}

// TestDecodeCompressedStream: with permessage-deflate, RSV1 on a message's
// first frame marks every chunk of that message Compressed, and compressed
// text is left for the caller to validate after inflating.
func TestDecodeCompressedStream(t *testing.T) {
	frames := []frameSpec{
		{op: OpText, fin: false, rsv1: true, payload: []byte("\xff\xfe deflated")},
		{op: OpPing, fin: true, payload: []byte("x")},
		{op: OpContinuation, fin: true, payload: pattern(200, 3)},
		{op: OpText, fin: true, payload: []byte("plain é")},
		{op: OpBinary, fin: true, rsv1: true, payload: nil},
	}
	stream := buildStream(frames)
	want := expectTrace(frames, len(stream))
	lim := DecoderLimits{AllowRSV1: true}
	fail := fatalf(t)
	for cut := 0; cut <= len(stream); cut++ {
		if err := decodeSplit(lim, stream, fail, cut).equal(want); err != nil {
			t.Fatalf("split at %d: %v", cut, err)
		}
	}
	if err := decodeBytewise(lim, stream, fail).equal(want); err != nil {
		t.Fatalf("byte at a time: %v", err)
	}
}

func TestFrameRemaining(t *testing.T) {
	frame := maskedFrameForRemaining(1000)
	var d Decoder
	if got := d.FrameRemaining(); got != 0 {
		t.Fatalf("fresh decoder: %d", got)
	}
	// Header plus 100 payload bytes: 900 are announced but not here yet.
	ev, _, err := d.Next(frame[:8+100])
	if err != nil || ev.Kind != EventData || len(ev.Payload) != 100 {
		t.Fatalf("first chunk: %+v %v", ev, err)
	}
	if got := d.FrameRemaining(); got != 900 {
		t.Fatalf("after 100 of 1000: %d, want 900", got)
	}
	ev, _, err = d.Next(frame[8+100:])
	if err != nil || !ev.FrameEnd {
		t.Fatalf("last chunk: %+v %v", ev, err)
	}
	if got := d.FrameRemaining(); got != 0 {
		t.Fatalf("after the frame: %d, want 0", got)
	}
}

// maskedFrameForRemaining builds a masked FIN binary frame of n zero bytes
// (a 16-bit length: 4 header bytes plus a 4-byte mask).
func maskedFrameForRemaining(n int) []byte {
	f := []byte{0x82, 0x80 | 126, byte(n >> 8), byte(n), 1, 2, 3, 4}
	return append(f, make([]byte, n)...)
}
