package codec

import (
	"slices"

	"github.com/gobwas/ws"
)

// maxCloseReason is the longest close reason that fits a control frame
// after the 2-byte code.
const maxCloseReason = maxControlPayload - 2

// HeaderLen returns the length of an unmasked (server) frame header for a
// payload of payloadLen bytes: 2, 4 or 10.
func HeaderLen(payloadLen int) int {
	switch {
	case payloadLen <= 125:
		return 2
	case payloadLen <= 0xffff:
		return 4
	}
	return 10
}

// AppendHeader appends an unmasked frame header to dst and returns the
// extended slice. The caller appends payloadLen bytes of payload after it.
// payloadLen must not be negative.
func AppendHeader(dst []byte, op OpCode, fin, rsv1 bool, payloadLen int) []byte {
	return appendHeader(dst, op, fin, rsv1, false, payloadLen)
}

func appendHeader(dst []byte, op OpCode, fin, rsv1, masked bool, payloadLen int) []byte {
	if payloadLen < 0 {
		panic("wsloop: negative payload length")
	}
	b0 := byte(op) & 0x0f
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var m byte
	if masked {
		m = 0x80
	}
	switch {
	case payloadLen <= 125:
		return append(dst, b0, m|byte(payloadLen))
	case payloadLen <= 0xffff:
		return append(dst, b0, m|126, byte(payloadLen>>8), byte(payloadLen))
	}
	n := uint64(payloadLen)
	return append(dst, b0, m|127,
		byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendFrame appends a whole unmasked frame (RSV bits clear) carrying
// payload to dst and returns the extended slice.
func AppendFrame(dst []byte, op OpCode, fin bool, payload []byte) []byte {
	dst = slices.Grow(dst, HeaderLen(len(payload))+len(payload))
	dst = appendHeader(dst, op, fin, false, false, len(payload))
	return append(dst, payload...)
}

// AppendCloseFrame appends an unmasked close frame. Code 0 sends an empty
// body (no code, no reason). Otherwise the body is the code followed by
// reason, cut to at most 123 bytes at a UTF-8 sequence boundary so that a
// valid reason stays valid. The caller checks code with ValidSendCloseCode
// and reason for valid UTF-8.
func AppendCloseFrame(dst []byte, code uint16, reason string) []byte {
	if code == 0 {
		return append(dst, 0x80|byte(OpClose), 0)
	}
	if len(reason) > maxCloseReason {
		cut := maxCloseReason
		for cut > 0 && reason[cut]&0xC0 == 0x80 {
			cut--
		}
		reason = reason[:cut]
	}
	dst = appendHeader(dst, OpClose, true, false, false, 2+len(reason))
	dst = append(dst, byte(code>>8), byte(code))
	return append(dst, reason...)
}

// AppendClientFrame appends a masked frame (client to server) carrying
// payload, masked with mask, to dst and returns the extended slice. payload
// itself is not modified. It is meant for test and load-generating clients.
func AppendClientFrame(dst []byte, op OpCode, fin, rsv1 bool, mask [4]byte, payload []byte) []byte {
	dst = slices.Grow(dst, HeaderLen(len(payload))+4+len(payload))
	dst = appendHeader(dst, op, fin, rsv1, true, len(payload))
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	ws.Cipher(dst[start:], mask, 0)
	return dst
}
