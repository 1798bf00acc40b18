package wsclient

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame builds an unmasked server frame with gobwas/ws, an independent
// encoder.
func serverFrame(fin bool, op byte, payload []byte) []byte {
	var b bytes.Buffer
	_ = ws.WriteHeader(&b, ws.Header{Fin: fin, OpCode: ws.OpCode(op), Length: int64(len(payload))})
	b.Write(payload)
	return b.Bytes()
}

// recorder of parsed events.
type events struct {
	log []string
	msg bytes.Buffer
}

func (e *events) OnData(op byte, p []byte, last bool) {
	e.msg.Write(p)
	if last {
		e.log = append(e.log, fmt.Sprintf("data%d:%s", op, e.msg.String()))
		e.msg.Reset()
	}
}

func (e *events) OnControl(op byte, p []byte) {
	e.log = append(e.log, fmt.Sprintf("ctl%d:%x", op, p))
}

func TestFrameReaderSplits(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	big := bytes.Repeat([]byte("y"), 70000)
	var stream []byte
	stream = append(stream, serverFrame(true, OpText, []byte("hello"))...)
	stream = append(stream, serverFrame(true, OpBinary, nil)...)
	stream = append(stream, serverFrame(false, OpText, []byte("frag"))...)
	stream = append(stream, serverFrame(true, OpPing, []byte("p"))...)
	stream = append(stream, serverFrame(false, OpCont, []byte("men"))...)
	stream = append(stream, serverFrame(true, OpCont, []byte("ted"))...)
	stream = append(stream, serverFrame(true, OpBinary, long)...)
	stream = append(stream, serverFrame(true, OpBinary, big)...)
	stream = append(stream, serverFrame(true, OpClose, []byte{0x03, 0xE8})...)
	want := []string{"data1:hello", "data2:", "ctl9:70", "data1:fragmented", "data2:" + string(long), "data2:" + string(big), "ctl8:03e8"}
	for _, step := range []int{1, 2, 3, 7, 13, 125, 4096, len(stream)} {
		t.Run(fmt.Sprint(step), func(t *testing.T) {
			var r Reader
			var e events
			for i := 0; i < len(stream); i += step {
				if err := r.Feed(stream[i:min(i+step, len(stream))], &e); err != nil {
					t.Fatalf("feed at %d: %v", i, err)
				}
			}
			if len(e.log) != len(want) {
				t.Fatalf("got %d events, want %d", len(e.log), len(want))
			}
			for i := range want {
				if e.log[i] != want[i] {
					t.Errorf("event %d = %.40q, want %.40q", i, e.log[i], want[i])
				}
			}
		})
	}
}

func TestFrameReaderErrors(t *testing.T) {
	masked := serverFrame(true, OpText, []byte("a"))
	masked[1] |= 0x80
	tooBig := make([]byte, 0, 10)
	tooBig = append(tooBig, 0x82, 127)
	tooBig = binary.BigEndian.AppendUint64(tooBig, 1<<40)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"masked", masked, "masked"},
		{"rsv", append([]byte{0xC1, 0}, nil...), "RSV"},
		{"opcode", []byte{0x83, 0}, "reserved opcode"},
		{"orphan continuation", []byte{0x80, 0}, "continuation"},
		{"text inside fragmented", append(serverFrame(false, OpText, []byte("a")), serverFrame(true, OpText, []byte("b"))...), "new data frame"},
		{"fragmented ping", []byte{0x09, 0}, "fragmented control"},
		{"long ping", append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...), "control frame with 200"},
		{"too big", tooBig, "size limit"},
		{"huge length", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, "most significant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Reader{MaxMessage: 1 << 20}
			var e events
			if err := r.Feed(tc.in, &e); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAppendFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 7, 125, 126, 65535, 65536, 100000} {
		payload := bytes.Repeat([]byte{0x5A, 0xA5, 0x01}, n/3+1)[:n]
		frame := AppendFrame(nil, OpBinary, payload, 0xDEADBEEF)
		f, err := ws.ReadFrame(bytes.NewReader(frame))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !f.Header.Masked || !f.Header.Fin || f.Header.OpCode != ws.OpBinary {
			t.Fatalf("n=%d: header %+v", n, f.Header)
		}
		ws.Cipher(f.Payload, f.Header.Mask, 0)
		if !bytes.Equal(f.Payload, payload) {
			t.Fatalf("n=%d: payload differs after unmasking", n)
		}
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	p := bytes.Repeat([]byte("p"), 1024)
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; b.Loop(); i++ {
		buf = AppendFrame(buf[:0], OpBinary, p, uint32(i))
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) OnData(_ byte, p []byte, _ bool) { h.n += len(p) }
func (h *nopHandler) OnControl(byte, []byte)          {}

func BenchmarkFrameReader(b *testing.B) {
	// 64 frames of 1 KiB, fed in 1500-byte segments.
	var stream []byte
	for i := 0; i < 64; i++ {
		stream = append(stream, serverFrame(true, OpBinary, bytes.Repeat([]byte{byte(i)}, 1024))...)
	}
	var r Reader
	h := &nopHandler{}
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for i := 0; i < len(stream); i += 1500 {
			if err := r.Feed(stream[i:min(i+1500, len(stream))], h); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestReadHeaderAndRules(t *testing.T) {
	var buf [14]byte
	for _, h := range []Header{
		{Fin: true, Op: OpText, Len: 5},
		{Fin: false, Op: OpBinary, Len: 300, RSV: 4},
		{Fin: true, Op: OpClose, Len: 2, Masked: true, Key: 0x01020304},
		{Fin: true, Op: OpPing, Len: 3, Len64: true},
		{Fin: true, Op: OpBinary, Len: 1 << 20},
	} {
		got, err := ReadHeader(bytes.NewReader(AppendHeader(nil, h)), &buf)
		if err != nil {
			t.Fatalf("%+v: %v", h, err)
		}
		if got.Fin != h.Fin || got.Op != h.Op || got.Len != h.Len || got.RSV != h.RSV || got.Masked != h.Masked || got.Key != h.Key {
			t.Errorf("wrote %+v, read %+v", h, got)
		}
	}
	tests := []struct {
		h    FrameHeader
		rsv  byte
		want string
	}{
		{FrameHeader{Fin: true, Op: OpText}, 0, ""},
		{FrameHeader{Fin: true, Op: OpText, RSV: 4}, 4, ""},
		{FrameHeader{Fin: true, Op: OpText, RSV: 4}, 0, "RSV"},
		{FrameHeader{Fin: true, Op: OpText, Masked: true}, 0, "masked"},
		{FrameHeader{Fin: true, Op: 0x3}, 0, "reserved opcode"},
		{FrameHeader{Fin: false, Op: OpPing}, 0, "fragmented control"},
		{FrameHeader{Fin: true, Op: OpPong, Len: 126}, 0, "126-byte"},
	}
	for _, tc := range tests {
		err := CheckServerHeader(tc.h, tc.rsv)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err %v, want %q", tc.h, err, tc.want)
		}
	}
}

func TestCloseRulesAndAcceptKey(t *testing.T) {
	// The example of RFC 6455 section 1.3.
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey = %q", got)
	}
	if a, b := NewKey(), NewKey(); a == b || len(a) != 24 {
		t.Errorf("NewKey gave %q and %q", a, b)
	}
	for code, ok := range map[uint16]bool{999: false, 1000: true, 1003: true, 1004: false, 1005: false, 1006: false,
		1007: true, 1014: true, 1015: false, 2999: false, 3000: true, 4999: true, 5000: false} {
		if ValidCloseCode(code) != ok {
			t.Errorf("ValidCloseCode(%d) = %v", code, !ok)
		}
	}
	if CloseCode(nil) != CloseNoStatus || CloseCode(CloseBody(1001, "x")) != 1001 {
		t.Error("CloseCode")
	}
	for p, bad := range map[string]bool{"": false, "\x03": true, "\x03\xe8ok": false, "\x03\xedok": true, "\x03\xe8\xff": true} {
		if err := CheckClosePayload([]byte(p)); (err != nil) != bad {
			t.Errorf("CheckClosePayload(%q) = %v", p, err)
		}
	}
}

// Mask agrees with a byte-by-byte XOR at every length and offset.
func TestMaskMatchesDefinition(t *testing.T) {
	key := uint32(0xA1B2C3D4)
	k := [4]byte{0xA1, 0xB2, 0xC3, 0xD4}
	for n := 0; n < 70; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		got := bytes.Clone(b)
		Mask(got, key)
		for i := range b {
			if got[i] != b[i]^k[i%4] {
				t.Fatalf("n=%d: byte %d = %#x, want %#x", n, i, got[i], b[i]^k[i%4])
			}
		}
	}
}

func BenchmarkMask(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		Mask(buf, 0x01020304)
	}
}
