package loadtest

import "bytes"

// patternPeriod is the period of the echo payload pattern.
const patternPeriod = 26

// pattern holds the printable bytes from which echo payloads are cut: the
// payload of message seq is tmpl[seq%26 : seq%26+size]. Each message differs
// from its neighbours, is valid UTF-8 (so it can go as text), and the echo is
// verified without storing what was sent.
type pattern struct {
	size int
	tmpl []byte
}

func newPattern(size int) pattern {
	t := make([]byte, size+patternPeriod)
	for i := range t {
		t[i] = 'a' + byte(i%patternPeriod)
	}
	return pattern{size: size, tmpl: t}
}

// payload returns the payload of message seq (shared, read-only).
func (p *pattern) payload(seq uint64) []byte {
	o := int(seq % patternPeriod)
	return p.tmpl[o : o+p.size]
}

// check reports whether chunk matches bytes [off, off+len(chunk)) of the
// payload of message seq.
func (p *pattern) check(seq uint64, off int, chunk []byte) bool {
	if off+len(chunk) > p.size {
		return false
	}
	o := int(seq%patternPeriod) + off
	return bytes.Equal(chunk, p.tmpl[o:o+len(chunk)])
}

// Broadcast messages start with a stamp: the marker, the send time in
// nanoseconds since the start of the run and a sequence number, both as 16
// hexadecimal digits, so text frames stay valid UTF-8. The rest of the
// message is pattern filler up to the requested size.
const (
	stampMarker = "LT1"
	stampLen    = len(stampMarker) + 32
)

const hexDigits = "0123456789abcdef"

// appendStamp appends the stampLen-byte stamp for (sentNs, seq).
func appendStamp(dst []byte, sentNs int64, seq uint64) []byte {
	dst = append(dst, stampMarker...)
	dst = appendHex16(dst, uint64(sentNs))
	return appendHex16(dst, seq)
}

func appendHex16(dst []byte, v uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(v>>uint(shift))&0xF])
	}
	return dst
}

// parseStamp finds a stamp at the start of b and returns its send time and
// sequence number.
func parseStamp(b []byte) (sentNs int64, seq uint64, ok bool) {
	if len(b) < stampLen || string(b[:len(stampMarker)]) != stampMarker {
		return 0, 0, false
	}
	t, ok1 := parseHex16(b[len(stampMarker) : len(stampMarker)+16])
	s, ok2 := parseHex16(b[len(stampMarker)+16 : stampLen])
	return int64(t), s, ok1 && ok2
}

func parseHex16(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
