package conformance

// utf8FailPoint returns how many leading bytes of b a streaming validator
// needs to know that b is not valid UTF-8 (RFC 3629): the index of the
// offending byte plus one, or len(b) when b only ends in the middle of a
// sequence. It returns -1 if b is valid.
func utf8FailPoint(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		var n int
		lo, hi := byte(0x80), byte(0xBF)
		switch {
		case c < 0x80:
			i++
			continue
		case c >= 0xC2 && c <= 0xDF:
			n = 1
		case c == 0xE0:
			n, lo = 2, 0xA0
		case c == 0xED:
			n, hi = 2, 0x9F
		case c >= 0xE1 && c <= 0xEF:
			n = 2
		case c == 0xF0:
			n, lo = 3, 0x90
		case c == 0xF4:
			n, hi = 3, 0x8F
		case c >= 0xF1 && c <= 0xF3:
			n = 3
		default:
			return i + 1
		}
		for k := 1; k <= n; k++ {
			if i+k >= len(b) {
				return len(b)
			}
			d := b[i+k]
			if d < lo || d > hi {
				return i + k + 1
			}
			lo, hi = 0x80, 0xBF
		}
		i += n + 1
	}
	return -1
}

// utf8Vector is a named UTF-8 test string.
type utf8Vector struct {
	name  string
	data  string
	quick bool
}

// validUTF8 are valid strings, including every boundary of RFC 3629.
var validUTF8 = []utf8Vector{
	{"Greek word with accents", "κόσμε", true},
	{"mixed scripts", "Hello, 世界! Привет, мир! مرحبا", true},
	{"emoji (4-byte sequences)", "\U0001F600\U0001F680 ok", true},
	{"U+0000 NUL", "\x00", false},
	{"U+007F", "\x7f", false},
	{"U+0080 (first 2-byte)", "\xc2\x80", false},
	{"U+07FF (last 2-byte)", "\xdf\xbf", false},
	{"U+0800 (first 3-byte)", "\xe0\xa0\x80", false},
	{"U+D7FF (below surrogates)", "\xed\x9f\xbf", true},
	{"U+E000 (above surrogates)", "\xee\x80\x80", false},
	{"U+FFFD replacement character", "\xef\xbf\xbd", false},
	{"U+FFFE and U+FFFF noncharacters (valid UTF-8)", "\xef\xbf\xbe\xef\xbf\xbf", false},
	{"U+FDD0 noncharacter", "\xef\xb7\x90", false},
	{"U+10000 (first 4-byte)", "\xf0\x90\x80\x80", false},
	{"U+10FFFF (last code point)", "\xf4\x8f\xbf\xbf", true},
	{"all 2-, 3- and 4-byte lead classes", "\xc3\xa9\xe1\x80\x80\xec\xbf\xbf\xf1\x80\x80\x80\xf3\xbf\xbf\xbf", false},
}

// invalidUTF8 are invalid strings covering every class of error.
var invalidUTF8 = []utf8Vector{
	{"lone continuation byte 0x80", "\x80", true},
	{"lone continuation byte 0xBF", "\xbf", false},
	{"two continuation bytes after ASCII", "ab\x80\xbf", false},
	{"continuation byte after a complete sequence", "\xc3\xa9\x80", true},
	{"2-byte lead followed by ASCII", "\xc3 x", true},
	{"3-byte lead followed by ASCII", "\xe1\x80 x", false},
	{"4-byte lead followed by ASCII", "\xf1\x80\x80 x", false},
	{"truncated 2-byte sequence at end", "ok\xc3", true},
	{"truncated 3-byte sequence at end", "ok\xe1\x80", false},
	{"truncated 4-byte sequence at end", "ok\xf1\x80\x80", true},
	{"impossible byte 0xFE", "\xfe", true},
	{"impossible byte 0xFF", "ab\xff", false},
	{"overlong '/' in 2 bytes", "\xc0\xaf", true},
	{"overlong '/' in 3 bytes", "\xe0\x80\xaf", false},
	{"overlong '/' in 4 bytes", "\xf0\x80\x80\xaf", false},
	{"overlong NUL (C0 80)", "\xc0\x80", true},
	{"maximal overlong 2-byte (C1 BF)", "\xc1\xbf", false},
	{"maximal overlong 3-byte (E0 9F BF)", "\xe0\x9f\xbf", true},
	{"maximal overlong 4-byte (F0 8F BF BF)", "\xf0\x8f\xbf\xbf", false},
	{"high surrogate U+D800", "\xed\xa0\x80", true},
	{"low surrogate U+DFFF", "\xed\xbf\xbf", false},
	{"surrogate pair (CESU-8)", "\xed\xa0\x80\xed\xb0\x80", false},
	{"surrogate inside valid text", "κόσμε\xed\xa0\x80edited", true},
	{"U+110000 (above U+10FFFF)", "\xf4\x90\x80\x80", true},
	{"lead byte F5", "\xf5\x80\x80\x80", false},
	{"lead byte F7 (old 4-byte max)", "\xf7\xbf\xbf\xbf", false},
	{"5-byte sequence", "\xf8\x88\x80\x80\x80", true},
	{"6-byte sequence", "\xfc\x84\x80\x80\x80\x80", false},
	{"invalid byte in the middle of a long valid text", "Hello, world! This is valid until \xff and valid again.", true},
}
