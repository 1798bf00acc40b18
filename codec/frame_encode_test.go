package codec

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeaderLen(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {1 << 40, 10},
	} {
		if got := HeaderLen(tc.n); got != tc.want {
			t.Errorf("HeaderLen(%d) = %d, want %d", tc.n, got, tc.want)
		}
		if got := len(AppendHeader(nil, OpBinary, true, false, tc.n)); got != tc.want {
			t.Errorf("len(AppendHeader(%d)) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestAppendHeaderBytes(t *testing.T) {
	for _, tc := range []struct {
		op        OpCode
		fin, rsv1 bool
		n         int
		want      []byte
	}{
		{OpText, true, false, 5, []byte{0x81, 5}},
		{OpBinary, false, false, 0, []byte{0x02, 0}},
		{OpText, true, true, 125, []byte{0xc1, 125}},
		{OpContinuation, true, false, 126, []byte{0x80, 126, 0, 126}},
		{OpBinary, false, true, 65535, []byte{0x42, 126, 0xff, 0xff}},
		{OpBinary, true, false, 65536, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{OpPing, true, false, 3, []byte{0x89, 3}},
		{OpClose, true, false, 2, []byte{0x88, 2}},
	} {
		got := AppendHeader([]byte("x"), tc.op, tc.fin, tc.rsv1, tc.n)
		if !bytes.Equal(got, append([]byte("x"), tc.want...)) {
			t.Errorf("AppendHeader(%v,%v,%v,%d) = %x, want x%x", tc.op, tc.fin, tc.rsv1, tc.n, got, tc.want)
		}
	}
}

// TestAppendFrameDecodes decodes server frames with a client-side decoder.
func TestAppendFrameDecodes(t *testing.T) {
	var stream []byte
	var frames []frameSpec
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		p := pattern(n, byte(n))
		stream = AppendFrame(stream, OpBinary, n != 1, p)
		frames = append(frames, frameSpec{op: OpBinary, fin: n != 1, payload: p})
		if n == 1 {
			stream = AppendFrame(stream, OpPong, true, []byte("pp"))
			frames = append(frames, frameSpec{op: OpPong, fin: true, payload: []byte("pp")})
			stream = AppendFrame(stream, OpContinuation, true, nil)
			frames = append(frames, frameSpec{op: OpContinuation, fin: true})
		}
	}
	stream = AppendCloseFrame(stream, CloseGoingAway, "bye")
	frames = append(frames, frameSpec{op: OpClose, fin: true, payload: []byte("\x03\xe9bye")})
	lim := DecoderLimits{ClientSide: true}
	fail := fatalf(t)
	want := expectTrace(frames, len(stream))
	if err := decodeWhole(lim, stream, fail).equal(want); err != nil {
		t.Fatal(err)
	}
	if err := decodeBytewise(lim, stream, fail).equal(want); err != nil {
		t.Fatal(err)
	}
}

func TestAppendCloseFrame(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes, 2-byte sequences
	tests := []struct {
		name   string
		code   uint16
		reason string
		body   string
	}{
		{"no code", 0, "ignored", ""},
		{"code only", 1000, "", "\x03\xe8"},
		{"code and reason", 1001, "going away", "\x03\xe9going away"},
		{"reason exactly 123", 3000, strings.Repeat("a", 123), "\x0b\xb8" + strings.Repeat("a", 123)},
		{"ascii cut", 3000, strings.Repeat("a", 200), "\x0b\xb8" + strings.Repeat("a", 123)},
		{"cut at boundary", 1011, long, "\x03\xf3" + long[:122]},
		{"4-byte cut", 1000, "a" + strings.Repeat("😀", 40), "\x03\xe8a" + strings.Repeat("😀", 30)},
	}
	for _, tc := range tests {
		got := AppendCloseFrame(nil, tc.code, tc.reason)
		want := AppendFrame(nil, OpClose, true, []byte(tc.body))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.name, got, want)
		}
		if body := got[2:]; len(body) > 125 || len(body) >= 2 && !utf8.Valid(body[2:]) {
			t.Errorf("%s: body too long or reason not valid UTF-8", tc.name)
		}
		// The server's own close frames pass a client-side decoder.
		var d Decoder
		d.Reset(DecoderLimits{ClientSide: true})
		ev, _, err := d.Next(got)
		if err != nil || ev.Kind != EventControl {
			t.Errorf("%s: decode: %v", tc.name, err)
		}
	}
}

func TestAppendClientFrameMasked(t *testing.T) {
	payload := []byte("Hello")
	got := AppendClientFrame(nil, OpText, true, false, [4]byte{0x37, 0xfa, 0x21, 0x3d}, payload)
	// The masked "Hello" example from RFC 6455 section 5.7.
	want := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	if !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
	got = AppendClientFrame(nil, OpBinary, false, true, [4]byte{1, 2, 3, 4}, pattern(300, 0))
	if got[0] != 0x42 || got[1] != 0x80|126 || got[2] != 1 || got[3] != 44 {
		t.Fatalf("header %x", got[:8])
	}
}

func TestEncodeZeroAllocs(t *testing.T) {
	payload := pattern(1000, 1)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendFrame(buf[:0], OpBinary, true, payload)
		b = AppendCloseFrame(b, 1000, "bye")
		b = AppendHeader(b, OpText, true, true, 70000)
		_ = AppendClientFrame(b, OpText, true, false, [4]byte{1, 2, 3, 4}, payload[:100])
	})
	if allocs != 0 {
		t.Fatalf("%v allocs", allocs)
	}
}

func TestAppendHeaderNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	AppendHeader(nil, OpText, true, false, -1)
}
