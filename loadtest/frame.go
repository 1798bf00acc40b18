package loadtest

import (
	"encoding/binary"
	"errors"
)

// WebSocket opcodes used by the client.
const (
	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// Errors reported by frameReader; each makes the connection fail with the
// "protocol" error kind.
var (
	errMaskedServerFrame = errors.New("loadtest: server frame is masked")
	errReservedBits      = errors.New("loadtest: reserved bits set in server frame")
	errBadOpcode         = errors.New("loadtest: unknown or unexpected opcode")
	errBadControl        = errors.New("loadtest: fragmented or oversized control frame")
	errMessageTooBig     = errors.New("loadtest: message exceeds the size limit")
)

// appendFrame appends one complete, final, masked client frame with opcode op
// and the given payload to dst, masking with key.
func appendFrame(dst []byte, op byte, payload []byte, key uint32) []byte {
	dst = appendFrameHeader(dst, op, len(payload), key)
	start := len(dst)
	dst = append(dst, payload...)
	maskBytes(dst[start:], key)
	return dst
}

// appendFrameHeader appends the header of a final masked client frame of n
// payload bytes, ending with the mask key; the caller appends the payload and
// masks it.
func appendFrameHeader(dst []byte, op byte, n int, key uint32) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return binary.BigEndian.AppendUint32(dst, key)
}

// appendClose appends a masked close frame carrying code (no reason).
func appendClose(dst []byte, code uint16, key uint32) []byte {
	var p [2]byte
	binary.BigEndian.PutUint16(p[:], code)
	return appendFrame(dst, opClose, p[:], key)
}

// maskBytes XORs b with the 4-byte mask key (big-endian in key), starting at
// key byte 0, eight bytes at a time.
func maskBytes(b []byte, key uint32) {
	var k [8]byte
	binary.BigEndian.PutUint32(k[:4], key)
	binary.BigEndian.PutUint32(k[4:], key)
	k64 := binary.LittleEndian.Uint64(k[:])
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= k[i]
	}
}

// frameHandler receives what frameReader parses. Slices are only valid during
// the call.
type frameHandler interface {
	// onData receives a piece of a data message whose first frame had opcode
	// op (text or binary); last is true on the final piece of the message.
	// A message always produces at least one call with last set, even if it
	// is empty.
	onData(op byte, p []byte, last bool)
	// onControl receives a whole control frame (close, ping, pong).
	onControl(op byte, p []byte)
}

// frameReader is an incremental parser for unmasked server frames. Headers
// and payloads may be split at any byte; it keeps no buffer besides a
// 14-byte header and a 125-byte control payload.
type frameReader struct {
	maxMessage uint64 // 0: no limit

	hdr   [14]byte
	hn    int // header bytes held
	hneed int // header bytes needed (0: not known yet)

	inPayload bool
	op        byte
	fin       bool
	remain    uint64

	inMsg  bool
	msgOp  byte
	msgLen uint64

	ctrl [125]byte
	cn   int
}

// feed parses b, calling h for each piece of payload and each control frame.
// After an error the reader must not be used again.
func (r *frameReader) feed(b []byte, h frameHandler) error {
	for len(b) > 0 || (r.inPayload && r.remain == 0) {
		if !r.inPayload {
			if r.hn < 2 {
				k := copy(r.hdr[r.hn:2], b)
				r.hn += k
				b = b[k:]
				if r.hn < 2 {
					return nil
				}
				if r.hdr[1]&0x80 != 0 {
					return errMaskedServerFrame
				}
				switch r.hdr[1] & 0x7F {
				case 126:
					r.hneed = 4
				case 127:
					r.hneed = 10
				default:
					r.hneed = 2
				}
			}
			if r.hn < r.hneed {
				k := copy(r.hdr[r.hn:r.hneed], b)
				r.hn += k
				b = b[k:]
				if r.hn < r.hneed {
					return nil
				}
			}
			if err := r.startFrame(); err != nil {
				return err
			}
		}
		// Payload.
		n := r.remain
		if uint64(len(b)) < n {
			n = uint64(len(b))
		}
		chunk := b[:n]
		b = b[n:]
		r.remain -= n
		done := r.remain == 0
		if r.op >= opClose {
			r.cn += copy(r.ctrl[r.cn:], chunk)
			if done {
				r.inPayload = false
				h.onControl(r.op, r.ctrl[:r.cn])
			}
			continue
		}
		last := done && r.fin
		if done {
			r.inPayload = false
			if r.fin {
				r.inMsg = false
			}
		}
		if len(chunk) > 0 || last {
			h.onData(r.msgOp, chunk, last)
		}
	}
	return nil
}

// startFrame decodes a complete header held in r.hdr.
func (r *frameReader) startFrame() error {
	b0 := r.hdr[0]
	if b0&0x70 != 0 {
		return errReservedBits
	}
	r.fin = b0&0x80 != 0
	r.op = b0 & 0x0F
	var n uint64
	switch r.hneed {
	case 2:
		n = uint64(r.hdr[1] & 0x7F)
	case 4:
		n = uint64(binary.BigEndian.Uint16(r.hdr[2:4]))
	default:
		n = binary.BigEndian.Uint64(r.hdr[2:10])
		if n>>63 != 0 {
			return errMessageTooBig
		}
	}
	r.hn, r.hneed = 0, 0
	switch r.op {
	case opClose, opPing, opPong:
		if !r.fin || n > 125 {
			return errBadControl
		}
		r.cn = 0
	case opText, opBin:
		if r.inMsg {
			return errBadOpcode
		}
		r.inMsg, r.msgOp, r.msgLen = true, r.op, 0
	case opCont:
		if !r.inMsg {
			return errBadOpcode
		}
	default:
		return errBadOpcode
	}
	if r.op < opClose {
		r.msgLen += n
		if r.maxMessage > 0 && r.msgLen > r.maxMessage {
			return errMessageTooBig
		}
	}
	r.remain = n
	r.inPayload = true
	return nil
}
