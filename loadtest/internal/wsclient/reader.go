package wsclient

import "errors"

// Errors of Reader, besides those of CheckServerHeader.
var (
	ErrBadContinuation = errors.New("continuation frame without a message in progress")
	ErrNewMessage      = errors.New("new data frame while a fragmented message is in progress")
	ErrMessageTooBig   = errors.New("message exceeds the size limit")
)

// Handler receives what Reader parses. Slices are only valid during the
// call.
type Handler interface {
	// OnData receives a piece of a data message whose first frame had
	// opcode op (text or binary); last is true on the final piece. A
	// message always produces at least one call with last set, even if it
	// is empty.
	OnData(op byte, p []byte, last bool)
	// OnControl receives a whole control frame (close, ping, pong).
	OnControl(op byte, p []byte)
}

// Reader is an incremental parser for unmasked server frames without
// extensions. Headers and payloads may be split at any byte; it keeps no
// buffer besides a 14-byte header and a 125-byte control payload, and it
// does not allocate.
type Reader struct {
	// MaxMessage bounds the length of a data message (0: no limit).
	MaxMessage uint64

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

	ctrl [MaxControlPayload]byte
	cn   int
}

// Feed parses b, calling h for each piece of payload and each control
// frame. After an error the Reader must not be used again.
func (r *Reader) Feed(b []byte, h Handler) error {
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
					return ErrMasked // refused before its key arrives
				}
				r.hneed = 2 + extLen(r.hdr[1])
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
		n := min(r.remain, uint64(len(b)))
		chunk := b[:n]
		b = b[n:]
		r.remain -= n
		done := r.remain == 0
		if IsControl(r.op) {
			r.cn += copy(r.ctrl[r.cn:], chunk)
			if done {
				r.inPayload = false
				h.OnControl(r.op, r.ctrl[:r.cn])
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
			h.OnData(r.msgOp, chunk, last)
		}
	}
	return nil
}

// startFrame decodes and checks the complete header held in r.hdr.
func (r *Reader) startFrame() error {
	h, err := decodeHeader(r.hdr[:r.hneed])
	r.hn, r.hneed = 0, 0
	if err != nil {
		return err
	}
	if err := CheckServerHeader(h, 0); err != nil {
		return err
	}
	r.fin, r.op = h.Fin, h.Op
	switch h.Op {
	case OpClose, OpPing, OpPong:
		r.cn = 0
	case OpText, OpBinary:
		if r.inMsg {
			return ErrNewMessage
		}
		r.inMsg, r.msgOp, r.msgLen = true, h.Op, 0
	case OpCont:
		if !r.inMsg {
			return ErrBadContinuation
		}
	}
	if !IsControl(h.Op) {
		r.msgLen += h.Len
		if r.MaxMessage > 0 && r.msgLen > r.MaxMessage {
			return ErrMessageTooBig
		}
	}
	r.remain = h.Len
	r.inPayload = true
	return nil
}
