package wsclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameHeader is a decoded frame header as it arrived.
type FrameHeader struct {
	Fin    bool
	RSV    byte // the three RSV bits as a number: RSV1 is 4, RSV3 is 1
	Op     byte
	Masked bool
	Key    uint32 // the mask key, if Masked
	Len    uint64
}

// ErrTooLong reports a 64-bit length with its most significant bit set,
// which RFC 6455 forbids.
var ErrTooLong = errors.New("64-bit length with the most significant bit set")

// ErrMasked reports a masked server frame.
var ErrMasked = errors.New("masked frame from server")

// ReadHeader reads one frame header (with its mask key, if any) from r,
// using buf as scratch. The only rule it checks is the 64-bit length's top
// bit (ErrTooLong); CheckServerHeader checks the rest. I/O errors are
// returned as they come.
func ReadHeader(r io.Reader, buf *[14]byte) (FrameHeader, error) {
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return FrameHeader{}, err
	}
	need := extLen(buf[1])
	if _, err := io.ReadFull(r, buf[2:2+need]); err != nil {
		return FrameHeader{}, err
	}
	return decodeHeader(buf[:2+need])
}

// extLen returns how many bytes follow the first two of a header whose
// second byte is b1.
func extLen(b1 byte) int {
	n := 0
	switch b1 & 0x7F {
	case 126:
		n = 2
	case 127:
		n = 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// decodeHeader decodes a complete header.
func decodeHeader(b []byte) (FrameHeader, error) {
	h := FrameHeader{Fin: b[0]&0x80 != 0, RSV: (b[0] >> 4) & 7, Op: b[0] & 0x0F, Masked: b[1]&0x80 != 0}
	rest := b[2:]
	switch n := b[1] & 0x7F; n {
	case 126:
		h.Len = uint64(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
	case 127:
		h.Len = binary.BigEndian.Uint64(rest)
		rest = rest[8:]
		if h.Len>>63 != 0 {
			return h, ErrTooLong
		}
	default:
		h.Len = uint64(n)
	}
	if h.Masked {
		h.Key = binary.BigEndian.Uint32(rest)
	}
	return h, nil
}

// CheckServerHeader reports which rule of RFC 6455 section 5 a server frame
// header breaks, taken alone (nil if none): a mask, RSV bits outside
// allowedRSV, a reserved opcode, a fragmented or oversized control frame.
// Rules that depend on earlier frames (continuations) are the caller's.
func CheckServerHeader(h FrameHeader, allowedRSV byte) error {
	switch {
	case h.Masked:
		return ErrMasked
	case h.RSV&^allowedRSV != 0:
		return fmt.Errorf("RSV bits %03b set on opcode %#x without a negotiated meaning", h.RSV, h.Op)
	}
	switch h.Op {
	case OpCont, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if h.Len > MaxControlPayload {
			return fmt.Errorf("control frame with %d-byte payload", h.Len)
		}
		if !h.Fin {
			return fmt.Errorf("fragmented control frame (opcode %#x)", h.Op)
		}
	default:
		return fmt.Errorf("reserved opcode %#x", h.Op)
	}
	return nil
}
