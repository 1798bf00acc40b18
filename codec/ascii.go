package codec

import "strings"

// ASCII helpers shared by the HTTP upgrade parser and the
// permessage-deflate negotiation.

// equalFold reports whether b equals s, ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// Byte classes for byteClass.
const (
	classToken  = 1 << iota // tchar (RFC 9110 section 5.6.2)
	classValue              // field-vchar, SP, HTAB, obs-text
	classBase64             // standard base64 alphabet (without '=')
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] |= classToken | classBase64
		case strings.IndexByte("!#$%&'*.^_`|~-", byte(c)) >= 0:
			t[c] |= classToken
		}
		if c == '+' {
			t[c] |= classToken | classBase64
		}
		if c == '/' {
			t[c] |= classBase64
		}
		if c == '\t' || (c >= ' ' && c != 0x7f) {
			t[c] |= classValue
		}
	}
	return t
}()

// isTchar reports whether c is an RFC 9110 token character.
func isTchar(c byte) bool { return byteClass[c]&classToken != 0 }
