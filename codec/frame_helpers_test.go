package codec

import (
	"bytes"
	"fmt"
	"testing"
	"unicode/utf8"
)

// mark is one observable boundary in a decoded stream: a message start, a
// frame end (possibly also a message end), or a whole control frame. Chunk
// boundaries inside a frame are deliberately not marks: they depend on how
// the input was split.
type mark struct {
	kind       EventKind
	op         OpCode
	start      bool
	frameEnd   bool
	msgEnd     bool
	compressed bool
	at         int // length of the concatenated data payload at this mark
	ctrl       string
	code       uint16
	reason     string
}

func (m mark) String() string {
	if m.kind == EventControl {
		return fmt.Sprintf("ctrl(op=%d %q code=%d reason=%q)", m.op, m.ctrl, m.code, m.reason)
	}
	return fmt.Sprintf("data(op=%d start=%v fend=%v mend=%v comp=%v at=%d)", m.op, m.start, m.frameEnd, m.msgEnd, m.compressed, m.at)
}

// trace is everything observable from decoding a stream.
type trace struct {
	payload []byte
	marks   []mark
	err     error
	errAt   int // absolute stream offset reported with err
	used    int // bytes consumed in total
}

func (t *trace) equal(o *trace) error {
	if !bytes.Equal(t.payload, o.payload) {
		return fmt.Errorf("payload differs: %d bytes vs %d bytes", len(t.payload), len(o.payload))
	}
	if len(t.marks) != len(o.marks) {
		return fmt.Errorf("marks differ:\n%v\nvs\n%v", t.marks, o.marks)
	}
	for i := range t.marks {
		if t.marks[i] != o.marks[i] {
			return fmt.Errorf("mark %d: %v vs %v", i, t.marks[i], o.marks[i])
		}
	}
	if t.err != o.err {
		return fmt.Errorf("error %v vs %v", t.err, o.err)
	}
	if t.err != nil && t.errAt != o.errAt {
		return fmt.Errorf("error offset %d vs %d", t.errAt, o.errAt)
	}
	if t.used != o.used {
		return fmt.Errorf("consumed %d vs %d", t.used, o.used)
	}
	return nil
}

// decodeChunks feeds chunks (slices of one buffer the decoder may modify)
// to a fresh decoder and records the trace. It checks the Next contract on
// every call and reports violations through fail.
func decodeChunks(lim DecoderLimits, chunks [][]byte, fail func(format string, args ...any)) *trace {
	var d Decoder
	d.Reset(lim)
	return decodeWith(&d, chunks, fail)
}

func decodeWith(d *Decoder, chunks [][]byte, fail func(format string, args ...any)) *trace {
	tr := &trace{}
	off := 0
	for _, p := range chunks {
		calls, maxCalls := 0, len(p)+2
		for {
			calls++
			if calls > maxCalls {
				fail("no progress: %d calls on a %d-byte chunk", calls, len(p))
				return tr
			}
			ev, n, err := d.Next(p)
			if n < 0 || n > len(p) {
				fail("n=%d outside [0,%d]", n, len(p))
				return tr
			}
			off += n
			if err != nil {
				if ev.Kind != EventNone {
					fail("event with error")
				}
				tr.err, tr.errAt, tr.used = err, off, off
				// A failed decoder stays failed and consumes nothing.
				if _, n2, err2 := d.Next(p[n:]); err2 != err || n2 != 0 {
					fail("decoder did not stay failed: %v, n=%d", err2, n2)
				}
				return tr
			}
			switch ev.Kind {
			case EventNone:
				if n != len(p) {
					fail("EventNone with n=%d < len(p)=%d", n, len(p))
				}
			case EventData:
				if len(ev.Payload) > 0 && !within(ev.Payload, p[:n]) {
					fail("data payload is not a sub-slice of the consumed input")
				}
				if len(ev.Payload) == 0 && !(ev.FrameEnd) {
					fail("empty data chunk that does not end a frame")
				}
				if ev.MessageStart {
					tr.marks = append(tr.marks, mark{kind: EventData, op: ev.OpCode, start: true, compressed: ev.Compressed, at: len(tr.payload)})
				}
				tr.payload = append(tr.payload, ev.Payload...)
				if ev.FrameEnd || ev.MessageEnd {
					tr.marks = append(tr.marks, mark{kind: EventData, op: ev.OpCode, frameEnd: ev.FrameEnd, msgEnd: ev.MessageEnd, compressed: ev.Compressed, at: len(tr.payload)})
				}
			case EventControl:
				tr.marks = append(tr.marks, mark{kind: EventControl, op: ev.OpCode, ctrl: string(ev.Payload), code: ev.CloseCode, reason: string(ev.CloseReason)})
			default:
				fail("unknown event kind %d", ev.Kind)
			}
			p = p[n:]
			if ev.Kind == EventNone {
				break
			}
		}
	}
	tr.used = off
	return tr
}

// within reports whether sub lies inside buf's memory.
func within(sub, buf []byte) bool {
	if len(sub) == 0 {
		return true
	}
	for i := range buf {
		if &buf[i] == &sub[0] {
			return i+len(sub) <= len(buf)
		}
	}
	return false
}

// decodeWhole decodes a copy of stream in one call sequence.
func decodeWhole(lim DecoderLimits, stream []byte, fail func(string, ...any)) *trace {
	buf := bytes.Clone(stream)
	return decodeChunks(lim, [][]byte{buf}, fail)
}

// decodeSplit decodes a copy of stream cut at the given offsets.
func decodeSplit(lim DecoderLimits, stream []byte, fail func(string, ...any), cuts ...int) *trace {
	buf := bytes.Clone(stream)
	var chunks [][]byte
	prev := 0
	for _, c := range cuts {
		chunks = append(chunks, buf[prev:c])
		prev = c
	}
	chunks = append(chunks, buf[prev:])
	return decodeChunks(lim, chunks, fail)
}

// decodeBytewise decodes a copy of stream one byte per call.
func decodeBytewise(lim DecoderLimits, stream []byte, fail func(string, ...any)) *trace {
	buf := bytes.Clone(stream)
	chunks := make([][]byte, len(buf))
	for i := range buf {
		chunks[i] = buf[i : i+1]
	}
	return decodeChunks(lim, chunks, fail)
}

// frameSpec describes one client frame of a test stream.
type frameSpec struct {
	op      OpCode
	fin     bool
	rsv1    bool
	payload []byte
}

// buildStream encodes frames as masked client frames, each with its own mask.
func buildStream(frames []frameSpec) []byte {
	var out []byte
	for i, f := range frames {
		mask := [4]byte{byte(i*37 + 1), byte(i*11 + 0x5a), 0xc3, byte(0x10 + i)}
		out = AppendClientFrame(out, f.op, f.fin, f.rsv1, mask, f.payload)
	}
	return out
}

// expectTrace computes, independently of the decoder, the trace a valid
// frame sequence must produce.
func expectTrace(frames []frameSpec, streamLen int) *trace {
	tr := &trace{used: streamLen}
	var msgOp OpCode
	var comp, inMsg bool
	for _, f := range frames {
		if f.op >= OpClose {
			m := mark{kind: EventControl, op: f.op, ctrl: string(f.payload)}
			if f.op == OpClose {
				m.code = CloseNoStatus
				if len(f.payload) >= 2 {
					m.code = uint16(f.payload[0])<<8 | uint16(f.payload[1])
					m.reason = string(f.payload[2:])
				}
			}
			tr.marks = append(tr.marks, m)
			continue
		}
		if !inMsg {
			msgOp, comp, inMsg = f.op, f.rsv1, true
			tr.marks = append(tr.marks, mark{kind: EventData, op: msgOp, start: true, compressed: comp, at: len(tr.payload)})
		}
		tr.payload = append(tr.payload, f.payload...)
		tr.marks = append(tr.marks, mark{kind: EventData, op: msgOp, frameEnd: true, msgEnd: f.fin, compressed: comp, at: len(tr.payload)})
		if f.fin {
			inMsg = false
		}
	}
	return tr
}

// pattern returns n bytes of varied binary content.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// textOf returns n bytes of valid UTF-8 mixing 1-4 byte sequences.
func textOf(n int) []byte {
	pieces := []string{"a", "é", "€", "😀", "z", " ", "ß", "中"}
	var b []byte
	for i := 0; len(b) < n; i++ {
		p := pieces[i%len(pieces)]
		if len(b)+len(p) > n {
			p = "."
		}
		b = append(b, p...)
	}
	if !utf8.Valid(b) {
		panic("textOf")
	}
	return b
}

// fatalf adapts t.Fatalf for the decode helpers.
func fatalf(t testing.TB) func(string, ...any) {
	return func(f string, a ...any) { t.Helper(); t.Fatalf(f, a...) }
}
