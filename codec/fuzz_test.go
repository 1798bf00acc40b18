package codec

import (
	"testing"
	"unicode/utf8"
)

// fuzzLimits derives decoder limits from the fuzzed mode.
func fuzzLimits(mode uint16) DecoderLimits {
	l := DecoderLimits{AllowRSV1: mode&1 != 0, ClientSide: mode&2 != 0}
	if mode&4 != 0 {
		l.MaxMessageSize, l.MaxFrameSize = 200, 100
	}
	return l
}

// fuzzSeeds are valid and invalid streams to start from.
func fuzzSeeds() [][]byte {
	seeds := [][]byte{
		buildStream(mixedFrames()),
		cat(cf(OpText, false, true, []byte("\xff")), cf(OpPing, true, false, []byte("p")), cf(OpContinuation, true, false, []byte("zz"))),
		cat(sf(OpText, true, []byte("server")), sf(OpPong, true, nil)),
		cf(OpText, true, false, []byte("ab\xed\xa0\x80cd")),
		cf(OpClose, true, false, []byte("\x03\xe8ok")),
		cf(OpClose, true, false, []byte{0x03}),
		rawFrame(0x82, 127, []byte{0, 0, 0, 0, 0, 0, 0, 3}, testMask, []byte("abc")),
		rawFrame(0x82, 127, []byte{0x80, 0, 0, 0, 0, 0, 0, 1}, testMask, nil),
		cat(cf(OpBinary, false, false, pattern(90, 1)), cf(OpContinuation, true, false, pattern(120, 2))),
	}
	return seeds
}

// FuzzDecoder checks that no input makes the decoder panic or break the
// Next contract, and that decoding whole, split at a fuzzed point, and one
// byte at a time give the same payloads, boundaries and error.
func FuzzDecoder(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(s, uint16(len(s)/2), uint16(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16, mode uint16) {
		lim := fuzzLimits(mode)
		fail := fatalf(t)
		whole := decodeWhole(lim, data, fail)
		cut := int(split) % (len(data) + 1)
		if err := decodeSplit(lim, data, fail, cut).equal(whole); err != nil {
			t.Fatalf("split at %d: %v", cut, err)
		}
		if len(data) <= 4096 {
			if err := decodeBytewise(lim, data, fail).equal(whole); err != nil {
				t.Fatalf("byte at a time: %v", err)
			}
		}
	})
}

// FuzzUTF8Validator compares the validator with unicode/utf8 and the
// reference fail point, writing the input in two pieces.
func FuzzUTF8Validator(f *testing.F) {
	f.Add([]byte("héllo €😀"), uint16(3))
	f.Add([]byte("ab\xf4\x90\x80\x80"), uint16(3))
	f.Fuzz(func(t *testing.T, p []byte, split uint16) {
		cut := int(split) % (len(p) + 1)
		var v UTF8Validator
		okA := v.Write(p[:cut])
		okB := okA && v.Write(p[cut:])
		want := refFirstInvalid(p)
		if (want < 0) != okB {
			t.Fatalf("%q: Write ok=%v, reference fail point %d", p, okB, want)
		}
		if want >= 0 && okA != (want >= cut) {
			t.Fatalf("%q cut %d: first Write ok=%v, reference fail point %d", p, cut, okA, want)
		}
		if okB && v.Complete() != utf8.Valid(p) {
			t.Fatalf("%q: Complete=%v, utf8.Valid=%v", p, v.Complete(), utf8.Valid(p))
		}
		if got := wholeAt(p); got != want {
			t.Fatalf("%q: fails at %d, reference %d", p, got, want)
		}
	})
}
