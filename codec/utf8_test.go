package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// refFirstInvalid is a reference built on package unicode/utf8: the index
// of the first byte at which p stops being a prefix of some valid UTF-8
// text, or -1 if p is such a prefix.
func refFirstInvalid(p []byte) int {
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		for j := 1; j <= len(p)-i && j <= 4; j++ {
			if !extendable(p[i : i+j]) {
				return i + j - 1
			}
		}
		return -1 // a valid but incomplete tail
	}
	return -1
}

// extendable reports whether the 1-4 bytes in b start one valid encoded
// code point (possibly being all of it).
func extendable(b []byte) bool {
	if utf8.FullRune(b) {
		r, size := utf8.DecodeRune(b)
		return size == len(b) && (r != utf8.RuneError || size == 3)
	}
	// Only the second byte of a sequence has a restricted range; the others
	// are any continuation byte.
	try := func(tail []byte) bool {
		full := append(bytes.Clone(b), tail...)
		for len(full) < 4 && !utf8.FullRune(full) {
			full = append(full, 0x80)
		}
		r, size := utf8.DecodeRune(full)
		return size == len(full) && r != utf8.RuneError
	}
	if len(b) >= 2 {
		return try(nil)
	}
	for c := 0x80; c <= 0xBF; c++ {
		if try([]byte{byte(c)}) {
			return true
		}
	}
	return false
}

// validateAt feeds p to a fresh validator and returns the index of the
// first byte Write rejects, checking the prefix property on the way: Write
// of every prefix up to the failure succeeds.
func validateAt(t *testing.T, p []byte) int {
	t.Helper()
	var v UTF8Validator
	for i := range p {
		if !v.Write(p[i : i+1]) {
			return i
		}
	}
	return -1
}

// wholeAt feeds p in one Write and reports the failure index via prefixes.
func wholeAt(p []byte) int {
	var v UTF8Validator
	if v.Write(p) {
		return -1
	}
	// Smallest k with p[:k] rejected.
	for k := 1; k <= len(p); k++ {
		var w UTF8Validator
		if !w.Write(p[:k]) {
			return k - 1
		}
	}
	return len(p)
}

// invalidCases: every class of invalid sequence, with the index of the
// first invalid byte within seq.
var invalidCases = []struct {
	name string
	seq  string
	at   int
}{
	{"lone continuation 80", "\x80", 0},
	{"lone continuation BF", "\xbf", 0},
	{"C0", "\xc0\x80", 0},
	{"C1", "\xc1\xbf", 0},
	{"overlong 2-byte via C0 slash", "\xc0\xaf", 0},
	{"overlong 3-byte", "\xe0\x80\x80", 1},
	{"overlong 3-byte max", "\xe0\x9f\xbf", 1},
	{"overlong 4-byte", "\xf0\x80\x80\x80", 1},
	{"overlong 4-byte max", "\xf0\x8f\xbf\xbf", 1},
	{"surrogate D800", "\xed\xa0\x80", 1},
	{"surrogate DBFF", "\xed\xaf\xbf", 1},
	{"surrogate DC00", "\xed\xb0\x80", 1},
	{"surrogate DFFF", "\xed\xbf\xbf", 1},
	{"above U+10FFFF F4 90", "\xf4\x90\x80\x80", 1},
	{"above U+10FFFF F4 BF", "\xf4\xbf\xbf\xbf", 1},
	{"F5", "\xf5\x80\x80\x80", 0},
	{"F7", "\xf7\xbf\xbf\xbf", 0},
	{"F8 5-byte", "\xf8\x88\x80\x80\x80", 0},
	{"FC 6-byte", "\xfc\x84\x80\x80\x80\x80", 0},
	{"FE", "\xfe", 0},
	{"FF", "\xff", 0},
	{"2-byte missing continuation", "\xc2A", 1},
	{"3-byte missing 2nd", "\xe2A", 1},
	{"3-byte missing 3rd", "\xe2\x82A", 2},
	{"4-byte missing 4th", "\xf0\x9f\x98A", 3},
	{"lead after lead", "\xc2\xc2\x80", 1},
	{"too many continuations", "\xc2\x80\x80", 2},
}

// truncatedCases end inside a sequence: valid as a prefix, not complete.
var truncatedCases = []string{"\xc2", "\xe2", "\xe2\x82", "\xf0", "\xf0\x9f", "\xf0\x9f\x98", "\xf4\x8f\xbf", "\xed\x9f"}

// truncatedCompletion completes each truncated case.
var truncatedCompletion = map[string]string{
	"\xc2": "\x80", "\xe2": "\x82\xac", "\xe2\x82": "\xac", "\xf0": "\x9f\x98\x80",
	"\xf0\x9f": "\x98\x80", "\xf0\x9f\x98": "\x80", "\xf4\x8f\xbf": "\xbf", "\xed\x9f": "\xbf",
}

func TestUTF8InvalidClasses(t *testing.T) {
	for _, tc := range invalidCases {
		for _, text := range []struct {
			pre, post string
		}{{"", ""}, {"ab", "cd"}, {"0123456789abcdefé", "0123456789abcdef0123"}} {
			p := []byte(text.pre + tc.seq + text.post)
			want := len(text.pre) + tc.at
			if got := refFirstInvalid(p); got != want {
				t.Fatalf("%s: reference says %d, table says %d", tc.name, got, want)
			}
			if got := validateAt(t, p); got != want {
				t.Fatalf("%s %q: byte-wise fails at %d, want %d", tc.name, p, got, want)
			}
			if got := wholeAt(p); got != want {
				t.Fatalf("%s %q: whole fails at %d, want %d", tc.name, p, got, want)
			}
			var v UTF8Validator
			if v.Write(p) || v.Complete() {
				t.Fatalf("%s: accepted", tc.name)
			}
			if v.Write([]byte("a")) {
				t.Fatalf("%s: validator recovered without Reset", tc.name)
			}
			v.Reset()
			if !v.Write([]byte("fine")) || !v.Complete() {
				t.Fatalf("%s: Reset did not clear the failure", tc.name)
			}
		}
	}
	for _, seq := range truncatedCases {
		p := []byte("abc" + seq)
		var v UTF8Validator
		if !v.Write(p) {
			t.Fatalf("%q: truncated sequence rejected early", seq)
		}
		if v.Complete() {
			t.Fatalf("%q: reported complete", seq)
		}
	}
}

func TestUTF8ValidBoundaries(t *testing.T) {
	for _, s := range []string{"", "a", "\x00", "\x7f", "\u0080", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\U00010000", "\U0010ffff", "héllo wörld € 😀 中文"} {
		var v UTF8Validator
		if !v.Write([]byte(s)) || !v.Complete() {
			t.Fatalf("%q rejected", s)
		}
	}
}

// TestUTF8AgainstStdlib compares with unicode/utf8 on every 1- and 2-byte
// input, on 3- and 4-byte inputs over boundary bytes, and on random texts
// split at random points.
func TestUTF8AgainstStdlib(t *testing.T) {
	check := func(p []byte) {
		var v UTF8Validator
		ok := v.Write(p) && v.Complete()
		if ok != utf8.Valid(p) {
			t.Fatalf("%q: got %v, utf8.Valid %v", p, ok, !ok)
		}
		if got, want := wholeAt(p), refFirstInvalid(p); got != want {
			t.Fatalf("%q: fails at %d, reference %d", p, got, want)
		}
	}
	for a := 0; a < 256; a++ {
		check([]byte{byte(a)})
		for b := 0; b < 256; b++ {
			check([]byte{byte(a), byte(b)})
		}
	}
	edges := []byte{0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff}
	for _, a := range edges {
		for _, b := range edges {
			for _, c := range edges {
				check([]byte{a, b, c})
				for _, d := range edges {
					check([]byte{a, b, c, d})
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		p := []byte(string(textOf(rng.IntN(200))))
		if rng.IntN(2) == 0 && len(p) > 0 {
			p[rng.IntN(len(p))] = byte(rng.IntN(256))
		}
		cut := rng.IntN(len(p) + 1)
		var v UTF8Validator
		ok := v.Write(p[:cut]) && v.Write(p[cut:]) && v.Complete()
		if ok != utf8.Valid(p) {
			t.Fatalf("%q split at %d: got %v", p, cut, ok)
		}
	}
}

// TestDecoderUTF8FailPoint puts every invalid class in a text message, as
// one frame and as two fragments split at every payload position, feeds it
// whole, byte by byte and split at every offset, and checks the error is
// reported at the first invalid byte and only valid bytes were delivered.
func TestDecoderUTF8FailPoint(t *testing.T) {
	fail := fatalf(t)
	for _, tc := range invalidCases {
		payload := []byte("ab€" + tc.seq + "cd")
		bad := len("ab€") + tc.at
		for fragCut := -1; fragCut <= len(payload); fragCut++ {
			var frames []frameSpec
			if fragCut < 0 {
				frames = []frameSpec{{op: OpText, fin: true, payload: payload}}
			} else {
				frames = []frameSpec{
					{op: OpText, fin: false, payload: payload[:fragCut]},
					{op: OpPing, fin: true, payload: []byte("!")},
					{op: OpContinuation, fin: true, payload: payload[fragCut:]},
				}
			}
			stream := buildStream(frames)
			// Stream offset of the invalid byte.
			badAt := HeaderLen(len(payload)) + 4 + bad
			if fragCut >= 0 {
				badAt = 6 + bad
				if bad >= fragCut {
					badAt += 6 + 1 + 6
				}
			}
			whole := decodeWhole(DecoderLimits{}, stream, fail)
			if whole.err != ErrInvalidUTF8 || whole.errAt != badAt+1 {
				t.Fatalf("%s frag %d: err %v at %d, want ErrInvalidUTF8 at %d", tc.name, fragCut, whole.err, whole.errAt, badAt+1)
			}
			if !bytes.Equal(whole.payload, payload[:bad]) {
				t.Fatalf("%s frag %d: delivered %q, want %q", tc.name, fragCut, whole.payload, payload[:bad])
			}
			if err := decodeBytewise(DecoderLimits{}, stream, fail).equal(whole); err != nil {
				t.Fatalf("%s frag %d byte-wise: %v", tc.name, fragCut, err)
			}
			for cut := 0; cut <= len(stream); cut++ {
				if err := decodeSplit(DecoderLimits{}, stream, fail, cut).equal(whole); err != nil {
					t.Fatalf("%s frag %d split %d: %v", tc.name, fragCut, cut, err)
				}
			}
		}
	}
}

// TestDecoderUTF8Truncated: a message that ends inside a sequence fails at
// its last byte; a fragment that does is fine.
func TestDecoderUTF8Truncated(t *testing.T) {
	fail := fatalf(t)
	for _, seq := range truncatedCases {
		payload := []byte("xyz" + seq)
		for _, frames := range [][]frameSpec{
			{{op: OpText, fin: true, payload: payload}},
			{{op: OpText, fin: false, payload: payload}, {op: OpContinuation, fin: true, payload: nil}},
			{{op: OpText, fin: false, payload: payload[:2]}, {op: OpContinuation, fin: true, payload: payload[2:]}},
		} {
			stream := buildStream(frames)
			whole := decodeWhole(DecoderLimits{}, stream, fail)
			if whole.err != ErrInvalidUTF8 || whole.errAt != len(stream) {
				t.Fatalf("%q: err %v at %d, want ErrInvalidUTF8 at %d", seq, whole.err, whole.errAt, len(stream))
			}
			for _, m := range whole.marks {
				if m.msgEnd {
					t.Fatalf("%q: MessageEnd delivered for an invalid message", seq)
				}
			}
			if err := decodeBytewise(DecoderLimits{}, stream, fail).equal(whole); err != nil {
				t.Fatalf("%q byte-wise: %v", seq, err)
			}
			for cut := 0; cut <= len(stream); cut++ {
				if err := decodeSplit(DecoderLimits{}, stream, fail, cut).equal(whole); err != nil {
					t.Fatalf("%q split %d: %v", seq, cut, err)
				}
			}
		}
		// Completed in the next fragment (after an interleaved ping): valid.
		frames := []frameSpec{
			{op: OpText, fin: false, payload: payload},
			{op: OpPing, fin: true, payload: nil},
			{op: OpContinuation, fin: true, payload: []byte(truncatedCompletion[seq])},
		}
		if !utf8.ValidString(string(payload) + truncatedCompletion[seq]) {
			t.Fatalf("%q: bad completion in table", seq)
		}
		stream := buildStream(frames)
		if err := decodeBytewise(DecoderLimits{}, stream, fail).equal(expectTrace(frames, len(stream))); err != nil {
			t.Fatalf("%q completed: %v", seq, err)
		}
	}
}
