package codec

import "unicode/utf8"

// UTF8Validator checks UTF-8 incrementally: bytes may be written in any
// number of pieces, split anywhere, and the first byte that cannot belong to
// valid UTF-8 is reported at once, even when the sequence it belongs to is
// not complete yet (for example 0xF4 0x90 fails at 0x90, because no code point
// above U+10FFFF exists). Overlong encodings, surrogates (U+D800..U+DFFF),
// code points above U+10FFFF and the bytes 0xC0, 0xC1 and 0xF5..0xFF are
// rejected. The zero value is ready to use.
//
// The caller uses it for compressed text messages, which the decoder cannot
// check before they are inflated.
type UTF8Validator struct {
	state uint8
}

// DFA states. A state says which bytes may come next.
const (
	u8Accept  = iota // between code points
	u8Need1          // one continuation byte 80..BF left
	u8Need2          // two continuation bytes 80..BF left
	u8AfterE0        // 3-byte lead E0: next A0..BF (no overlong)
	u8AfterED        // 3-byte lead ED: next 80..9F (no surrogate)
	u8AfterF0        // 4-byte lead F0: next 90..BF (no overlong)
	u8AfterF1        // 4-byte lead F1..F3: next 80..BF
	u8AfterF4        // 4-byte lead F4: next 80..8F (no code point > U+10FFFF)
	u8Reject         // sticky failure
	u8States
)

// u8Next is the transition table: u8Next[state][b] is the state after b.
// It has 16 rows so that indexing with state&15 needs no bounds check.
var u8Next = buildUTF8Table()

func buildUTF8Table() *[16][256]uint8 {
	t := new([16][256]uint8)
	for s := range t {
		for b := range t[s] {
			t[s][b] = u8Reject
		}
	}
	set := func(from uint8, lo, hi int, to uint8) {
		for b := lo; b <= hi; b++ {
			t[from][b] = to
		}
	}
	set(u8Accept, 0x00, 0x7F, u8Accept)
	set(u8Accept, 0xC2, 0xDF, u8Need1)
	set(u8Accept, 0xE0, 0xE0, u8AfterE0)
	set(u8Accept, 0xE1, 0xEC, u8Need2)
	set(u8Accept, 0xED, 0xED, u8AfterED)
	set(u8Accept, 0xEE, 0xEF, u8Need2)
	set(u8Accept, 0xF0, 0xF0, u8AfterF0)
	set(u8Accept, 0xF1, 0xF3, u8AfterF1)
	set(u8Accept, 0xF4, 0xF4, u8AfterF4)
	set(u8Need1, 0x80, 0xBF, u8Accept)
	set(u8Need2, 0x80, 0xBF, u8Need1)
	set(u8AfterE0, 0xA0, 0xBF, u8Need1)
	set(u8AfterED, 0x80, 0x9F, u8Need1)
	set(u8AfterF0, 0x90, 0xBF, u8Need2)
	set(u8AfterF1, 0x80, 0xBF, u8Need2)
	set(u8AfterF4, 0x80, 0x8F, u8Need2)
	return t
}

// Write validates the next piece of the text. It returns false at the first
// byte that makes the text invalid; after that the validator stays failed
// until Reset.
func (v *UTF8Validator) Write(p []byte) bool {
	return v.validate(p) < 0
}

// Complete reports whether the text written so far ends between code points
// (and has not failed): true means a message may end here.
func (v *UTF8Validator) Complete() bool { return v.state == u8Accept }

// Reset makes the validator ready for a new text.
func (v *UTF8Validator) Reset() { v.state = u8Accept }

// validate feeds p and returns the index of the first invalid byte, or -1.
//
// The bulk of p is checked with utf8.Valid, which the standard library
// vectorises (tens of GB/s on ASCII); the DFA handles a sequence split
// from the previous piece, the last few bytes (which may be an incomplete
// sequence continued in the next piece), and, if the bulk is invalid, finds
// the exact first invalid byte.
func (v *UTF8Validator) validate(p []byte) int {
	s := v.state
	if s == u8Reject {
		return 0
	}
	t := u8Next
	i, n := 0, len(p)
	// Finish a sequence begun in an earlier piece.
	for s != u8Accept && i < n {
		s = t[s&15][p[i]]
		if s == u8Reject {
			v.state = u8Reject
			return i
		}
		i++
	}
	if s != u8Accept {
		v.state = s
		return -1
	}
	// p[i:] starts between code points. Leave out a possibly incomplete
	// final sequence: back up to the lead byte among the last 3 bytes.
	j := n
	for k := n - 1; k >= i && k >= n-3; k-- {
		c := p[k]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 {
			j = k
			break
		}
	}
	if !utf8.Valid(p[i:j]) {
		j = i // invalid somewhere: let the DFA find where
	}
	for ; j < n; j++ {
		s = t[s&15][p[j]]
		if s == u8Reject {
			v.state = u8Reject
			return j
		}
	}
	v.state = s
	return -1
}
