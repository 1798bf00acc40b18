package codec

import (
	"testing"
)

// benchDecode decodes one masked frame of n bytes per iteration, whole. The
// input is re-masked each time (the decoder unmasks in place) by copying it
// from a pristine frame; SetBytes counts the payload.
func benchDecode(b *testing.B, op OpCode, payload []byte) {
	frame := AppendClientFrame(nil, op, true, false, [4]byte{0xa1, 0xb2, 0xc3, 0xd4}, payload)
	buf := make([]byte, len(frame))
	var d Decoder
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(buf, frame)
		ev, n, err := d.Next(buf)
		if err != nil || n != len(buf) || len(ev.Payload) != len(payload) {
			b.Fatalf("n=%d err=%v", n, err)
		}
	}
}

// BenchmarkDecode64 decodes 64-byte binary frames.
func BenchmarkDecode64(b *testing.B) { benchDecode(b, OpBinary, pattern(64, 1)) }

// BenchmarkDecode1K decodes 1 KiB binary frames.
func BenchmarkDecode1K(b *testing.B) { benchDecode(b, OpBinary, pattern(1024, 1)) }

// BenchmarkDecode16K decodes 16 KiB binary frames.
func BenchmarkDecode16K(b *testing.B) { benchDecode(b, OpBinary, pattern(16<<10, 1)) }

// BenchmarkDecodeText16K decodes 16 KiB text frames (mostly ASCII with some
// multi-byte sequences) with UTF-8 validation.
func BenchmarkDecodeText16K(b *testing.B) { benchDecode(b, OpText, benchText(16<<10, 64)) }

func benchEncode(b *testing.B, n int) {
	payload := pattern(n, 1)
	buf := make([]byte, 0, n+16)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], OpBinary, true, payload)
	}
	if len(buf) != HeaderLen(n)+n {
		b.Fatal("bad frame")
	}
}

// BenchmarkEncode64 frames a 64-byte payload.
func BenchmarkEncode64(b *testing.B) { benchEncode(b, 64) }

// BenchmarkEncode1K frames a 1 KiB payload.
func BenchmarkEncode1K(b *testing.B) { benchEncode(b, 1024) }

// BenchmarkEncode16K frames a 16 KiB payload.
func BenchmarkEncode16K(b *testing.B) { benchEncode(b, 16<<10) }

// benchText returns n bytes of valid UTF-8: ASCII with a multi-byte
// character every `every` bytes (every <= 1: multi-byte text throughout).
func benchText(n, every int) []byte {
	if every <= 1 {
		return textOf(n)
	}
	out := make([]byte, 0, n)
	pieces := []string{"é", "€", "😀", "中"}
	for i := 0; len(out) < n; i++ {
		if i%every == 0 && len(out)+4 <= n {
			out = append(out, pieces[(i/every)%len(pieces)]...)
		} else {
			out = append(out, byte('a'+i%26))
		}
	}
	return out
}

func benchUTF8(b *testing.B, p []byte) {
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	var v UTF8Validator
	for b.Loop() {
		v.Reset()
		if !v.Write(p) || !v.Complete() {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkUTF8ASCII validates 16 KiB of ASCII.
func BenchmarkUTF8ASCII(b *testing.B) { benchUTF8(b, benchText(16<<10, 1<<30)) }

// BenchmarkUTF8Mixed validates 16 KiB of text where most characters are
// multi-byte (Latin-1, CJK, emoji, ASCII).
func BenchmarkUTF8Mixed(b *testing.B) { benchUTF8(b, benchText(16<<10, 1)) }
