package loadtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame builds an unmasked server frame.
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

func (e *events) onData(op byte, p []byte, last bool) {
	e.msg.Write(p)
	if last {
		e.log = append(e.log, fmt.Sprintf("data%d:%s", op, e.msg.String()))
		e.msg.Reset()
	}
}

func (e *events) onControl(op byte, p []byte) {
	e.log = append(e.log, fmt.Sprintf("ctl%d:%x", op, p))
}

func TestFrameReaderSplits(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	big := bytes.Repeat([]byte("y"), 70000)
	var stream []byte
	stream = append(stream, serverFrame(true, opText, []byte("hello"))...)
	stream = append(stream, serverFrame(true, opBin, nil)...)
	stream = append(stream, serverFrame(false, opText, []byte("frag"))...)
	stream = append(stream, serverFrame(true, opPing, []byte("p"))...)
	stream = append(stream, serverFrame(false, opCont, []byte("men"))...)
	stream = append(stream, serverFrame(true, opCont, []byte("ted"))...)
	stream = append(stream, serverFrame(true, opBin, long)...)
	stream = append(stream, serverFrame(true, opBin, big)...)
	stream = append(stream, serverFrame(true, opClose, []byte{0x03, 0xE8})...)
	want := []string{"data1:hello", "data2:", "ctl9:70", "data1:fragmented", "data2:" + string(long), "data2:" + string(big), "ctl8:03e8"}
	for _, step := range []int{1, 2, 3, 7, 13, 125, 4096, len(stream)} {
		t.Run(fmt.Sprint(step), func(t *testing.T) {
			var r frameReader
			var e events
			for i := 0; i < len(stream); i += step {
				if err := r.feed(stream[i:min(i+step, len(stream))], &e); err != nil {
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
	masked := serverFrame(true, opText, []byte("a"))
	masked[1] |= 0x80
	tooBig := make([]byte, 0, 10)
	tooBig = append(tooBig, 0x82, 127)
	tooBig = binary.BigEndian.AppendUint64(tooBig, 1<<40)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"masked", masked, errMaskedServerFrame},
		{"rsv", append([]byte{0xC1, 0}, nil...), errReservedBits},
		{"opcode", []byte{0x83, 0}, errBadOpcode},
		{"orphan continuation", []byte{0x80, 0}, errBadOpcode},
		{"text inside fragmented", append(serverFrame(false, opText, []byte("a")), serverFrame(true, opText, []byte("b"))...), errBadOpcode},
		{"fragmented ping", []byte{0x09, 0}, errBadControl},
		{"long ping", append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...), errBadControl},
		{"too big", tooBig, errMessageTooBig},
		{"huge length", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, errMessageTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := frameReader{maxMessage: 1 << 20}
			var e events
			if err := r.feed(tc.in, &e); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAppendFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 7, 125, 126, 65535, 65536, 100000} {
		payload := bytes.Repeat([]byte{0x5A, 0xA5, 0x01}, n/3+1)[:n]
		frame := appendFrame(nil, opBin, payload, 0xDEADBEEF)
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

func TestPatternAndStamp(t *testing.T) {
	p := newPattern(40)
	a, b := p.payload(0), p.payload(1)
	if bytes.Equal(a, b) || len(a) != 40 {
		t.Fatalf("payloads %q %q", a, b)
	}
	if !p.check(1, 10, b[10:20]) || p.check(0, 10, b[10:20]) || p.check(1, 35, b[30:40]) {
		t.Error("check accepted a wrong chunk or refused a right one")
	}
	st := appendStamp(nil, 123456789, 42)
	ts, seq, ok := parseStamp(st)
	if !ok || ts != 123456789 || seq != 42 || len(st) != stampLen {
		t.Errorf("stamp round trip: %d %d %v", ts, seq, ok)
	}
	if _, _, ok := parseStamp([]byte("LT1zzzz")); ok {
		t.Error("short stamp accepted")
	}
	bad := bytes.Clone(st)
	bad[5] = 'G'
	if _, _, ok := parseStamp(bad); ok {
		t.Error("non-hex stamp accepted")
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	p := newPattern(1024)
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; b.Loop(); i++ {
		buf = appendFrame(buf[:0], opBin, p.payload(uint64(i)), uint32(i))
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) onData(_ byte, p []byte, _ bool) { h.n += len(p) }
func (h *nopHandler) onControl(byte, []byte)          {}

func BenchmarkFrameReader(b *testing.B) {
	// 64 frames of 1 KiB, fed in 1500-byte segments.
	var stream []byte
	for i := 0; i < 64; i++ {
		stream = append(stream, serverFrame(true, opBin, bytes.Repeat([]byte{byte(i)}, 1024))...)
	}
	var r frameReader
	h := &nopHandler{}
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for i := 0; i < len(stream); i += 1500 {
			if err := r.feed(stream[i:min(i+1500, len(stream))], h); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEchoVerify(b *testing.B) {
	p := newPattern(1024)
	var echoed [patternPeriod][]byte
	for i := range echoed {
		echoed[i] = bytes.Clone(p.payload(uint64(i)))
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; b.Loop(); i++ {
		if !p.check(uint64(i), 0, echoed[i%patternPeriod]) {
			b.Fatal("mismatch")
		}
	}
}
