package codec

import (
	"encoding/binary"
	"sync"

	"github.com/gobwas/ws"
)

// DefaultMaxMessageSize is the message size limit used when
// DecoderLimits.MaxMessageSize is zero or negative: 16 MiB.
const DefaultMaxMessageSize int64 = 16 << 20

// maxControlPayload is the largest control frame payload (RFC 6455 5.5).
const maxControlPayload = 125

// DecoderLimits bound what a peer can send. The zero value is safe: server
// side, no RSV1, messages and frames up to DefaultMaxMessageSize.
type DecoderLimits struct {
	// MaxMessageSize bounds the total payload of one data message (the sum
	// of its frames, as sent on the wire, so compressed size for compressed
	// messages). Excess is ErrMessageTooBig (1009). Zero or negative means
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxFrameSize bounds the payload of one incoming data frame. Excess is
	// ErrFrameTooBig (1009). Zero or negative means MaxMessageSize.
	MaxFrameSize int64
	// AllowRSV1 is set when permessage-deflate was negotiated: RSV1 is then
	// allowed on the first frame of a data message (and nowhere else).
	AllowRSV1 bool
	// ClientSide decodes server-to-client frames: frames must be unmasked
	// (a masked frame is ErrMaskedFrame). The default, server side, requires
	// every frame to be masked (ErrUnmaskedFrame otherwise).
	ClientSide bool
}

// DefaultDecoderLimits returns the limits a zero DecoderLimits stands for,
// spelled out.
func DefaultDecoderLimits() DecoderLimits {
	return DecoderLimits{MaxMessageSize: DefaultMaxMessageSize, MaxFrameSize: DefaultMaxMessageSize}
}

// EventKind tells what an Event carries.
type EventKind uint8

// Event kinds.
const (
	// EventNone: no event; with n == len(p) the decoder needs more input.
	EventNone EventKind = iota
	// EventData: a chunk of a text or binary message.
	EventData
	// EventControl: a whole ping, pong or close frame.
	EventControl
)

// Event is one result of Decoder.Next. Payload and CloseReason point into the
// caller's input (or, for a control frame split across calls, into a buffer
// the decoder owns) and are valid only until the next call to Next or Reset.
type Event struct {
	// Kind is EventData or EventControl (EventNone: nothing decoded).
	Kind EventKind
	// OpCode is, for data, the message opcode (OpText or OpBinary), also for
	// the chunks of continuation frames; for control, OpPing, OpPong or OpClose.
	OpCode OpCode
	// Payload is, for data, one unmasked chunk of the current frame (empty
	// only for an empty frame); for control, the whole unmasked payload.
	Payload []byte
	// Compressed is set on every chunk of a data message whose first frame
	// had RSV1 (permessage-deflate); such text is not UTF-8 checked here.
	Compressed bool
	// MessageStart marks the first chunk of a message.
	MessageStart bool
	// FrameEnd marks the last chunk of the current frame.
	FrameEnd bool
	// MessageEnd marks the last chunk of the message (FIN frame complete).
	MessageEnd bool
	// CloseCode is, for a close frame, the code received, or CloseNoStatus
	// (1005) if the body was empty.
	CloseCode uint16
	// CloseReason is, for a close frame, the reason (valid UTF-8).
	CloseReason []byte
}

// Decoder phases.
const (
	phaseHeader  uint8 = iota // reading a frame header
	phaseData                 // streaming a data frame payload
	phaseControl              // reading (possibly buffering) a control payload
)

// Decoder flags.
const (
	flagAllowRSV1  uint8 = 1 << iota // DecoderLimits.AllowRSV1
	flagClient                       // DecoderLimits.ClientSide
	flagInMessage                    // a data message has started and not ended
	flagCompressed                   // the current message had RSV1
	flagMsgStart                     // the next data event is the message's first
	flagCtrlHeld                     // ctrl holds a delivered payload: release on next call
)

// ctrlPool holds buffers for control payloads split across calls.
var ctrlPool = sync.Pool{New: func() any { return new([maxControlPayload]byte) }}

// Decoder is an incremental RFC 6455 frame decoder: feed it bytes as they
// arrive, split anywhere, and it returns data chunks and control frames,
// unmasking data in place without copying. It is small (56 bytes on 64-bit
// platforms) and holds no buffer at rest: a pooled 125-byte buffer is used
// only while a control frame is split across calls.
//
// The zero value is a server-side decoder with default limits; Reset sets
// other limits. A Decoder is not safe for concurrent use.
type Decoder struct {
	maxMsg    int64 // as configured; <= 0 means the default
	maxFrame  int64 // as configured; <= 0 means maxMsg
	remaining int64 // payload bytes left in the frame (length accumulator in headers)
	msgSize   int64 // payload bytes of the current message so far
	ctrl      *[maxControlPayload]byte
	mask      [4]byte
	phase     uint8
	hdrPos    uint8 // header bytes read so far
	b0, b1    uint8 // the first two header bytes
	flags     uint8
	msgOp     OpCode
	maskPos   uint8 // mask offset of the next payload byte
	ctrlLen   uint8 // bytes buffered in ctrl
	errIdx    uint8 // index in decoderErrors once failed
	utf8      UTF8Validator
}

// Reset makes d ready to decode a new connection's stream with limits l,
// returning any pooled buffer it held.
func (d *Decoder) Reset(l DecoderLimits) {
	d.releaseCtrl()
	*d = Decoder{maxMsg: l.MaxMessageSize, maxFrame: l.MaxFrameSize}
	if l.AllowRSV1 {
		d.flags |= flagAllowRSV1
	}
	if l.ClientSide {
		d.flags |= flagClient
	}
}

// Err returns the error that failed the decoder, or nil.
func (d *Decoder) Err() error {
	if d.errIdx == 0 {
		return nil
	}
	return decoderErrors[d.errIdx]
}

// Next consumes a prefix of p and returns at most one event; n is the number
// of bytes consumed. Call it again with p[n:] until it returns EventNone,
// which it does only after consuming all of p ("need more input"). Data
// payloads are unmasked in place in p and returned as sub-slices of p; a
// frame's payload may arrive in several chunks. Control frames are returned
// whole: one split across calls is buffered in a pooled buffer, which goes
// back to the pool on the next call to Next or Reset.
//
// On a protocol violation err is a *ProtocolError sentinel (see errors.go)
// carrying the close code to send, and the bytes consumed up to the error
// include the byte where the violation was found. After an error the decoder
// stays failed: every later call returns the same error and consumes nothing.
//
// Invalid UTF-8 in a text message is found at its first invalid byte, even in
// the middle of a chunk. The valid bytes of that chunk before it are still
// delivered as a data event (without FrameEnd or MessageEnd, n counting the
// invalid byte) and the error comes on the next call with n == 0; the same
// holds for the last chunk of a message that ends inside a UTF-8 sequence.
// So the bytes delivered and the stream offset of the error never depend on
// how the input was split.
func (d *Decoder) Next(p []byte) (ev Event, n int, err error) {
	if d.errIdx != 0 {
		return Event{}, 0, decoderErrors[d.errIdx]
	}
	if d.flags&flagCtrlHeld != 0 {
		d.releaseCtrl()
	}
	if d.phase == phaseHeader {
		var done bool
		var perr *ProtocolError
		n, done, perr = d.readHeader(p)
		if perr != nil {
			return d.fail(perr, n)
		}
		if !done {
			return Event{}, n, nil
		}
	}
	if d.phase == phaseData {
		return d.readData(p, n)
	}
	return d.readControl(p, n)
}

// FrameRemaining returns how many payload bytes of the current data frame
// are still to come: after a data event without FrameEnd, the rest of the
// length its header announced; 0 between frames and after a failure. A
// caller that stores messages uses it to size (and reserve) the space a
// frame needs before its bytes arrive.
func (d *Decoder) FrameRemaining() int64 {
	if d.phase == phaseData && d.errIdx == 0 {
		return d.remaining
	}
	return 0
}

// fail records e and returns it.
func (d *Decoder) fail(e *ProtocolError, n int) (Event, int, error) {
	d.errIdx = errorIndex(e)
	d.releaseCtrl()
	return Event{}, n, e
}

// failLater records e; the next call to Next reports it (consuming nothing).
func (d *Decoder) failLater(e *ProtocolError) {
	d.errIdx = errorIndex(e)
	d.releaseCtrl()
}

// releaseCtrl returns the control buffer to the pool.
func (d *Decoder) releaseCtrl() {
	if d.ctrl != nil {
		ctrlPool.Put(d.ctrl)
		d.ctrl = nil
	}
	d.ctrlLen = 0
	d.flags &^= flagCtrlHeld
}

// extLen is the number of extended payload length bytes announced by b1.
func extLen(b1 uint8) int {
	switch b1 & 0x7f {
	case 126:
		return 2
	case 127:
		return 8
	}
	return 0
}

// readHeader consumes header bytes from p. done reports the header complete
// (the payload phase is then set up).
func (d *Decoder) readHeader(p []byte) (n int, done bool, err *ProtocolError) {
	if d.hdrPos == 0 && len(p) >= 2 {
		if n, done, err = d.readWholeHeader(p); done || err != nil {
			return n, done, err
		}
		n = 0
	}
	for n < len(p) {
		b := p[n]
		n++
		pos := int(d.hdrPos)
		d.hdrPos++
		switch pos {
		case 0:
			if e := d.checkFirstByte(b); e != nil {
				return n, false, e
			}
			d.b0 = b
			continue
		case 1:
			if e := d.checkSecondByte(b); e != nil {
				return n, false, e
			}
			d.b1 = b
			d.remaining = 0
			if l := b & 0x7f; l < 126 {
				d.remaining = int64(l)
			}
		default:
			if ext := extLen(d.b1); pos < 2+ext {
				if pos == 2 && ext == 8 && b&0x80 != 0 {
					return n, false, ErrLengthOverflow
				}
				d.remaining = d.remaining<<8 | int64(b)
			} else {
				d.mask[pos-2-ext] = b
			}
		}
		ext := extLen(d.b1)
		if int(d.hdrPos) == 2+ext {
			if e := d.checkLength(); e != nil {
				return n, false, e
			}
		}
		maskLen := 0
		if d.b1&0x80 != 0 {
			maskLen = 4
		}
		if int(d.hdrPos) == 2+ext+maskLen {
			d.beginPayload()
			return n, true, nil
		}
	}
	return n, false, nil
}

// readWholeHeader is the fast path of readHeader for a header that starts at
// p[0]: it parses it at once if p holds all of it (done), reporting errors
// at the same offsets as the byte-by-byte path. Otherwise it consumes nothing.
func (d *Decoder) readWholeHeader(p []byte) (n int, done bool, err *ProtocolError) {
	b0, b1 := p[0], p[1]
	ext := extLen(b1)
	hl := 2 + ext
	if b1&0x80 != 0 {
		hl += 4
	}
	if len(p) < hl {
		return 0, false, nil
	}
	if e := d.checkFirstByte(b0); e != nil {
		return 1, false, e
	}
	d.b0 = b0
	if e := d.checkSecondByte(b1); e != nil {
		return 2, false, e
	}
	d.b1 = b1
	switch ext {
	case 0:
		d.remaining = int64(b1 & 0x7f)
	case 2:
		d.remaining = int64(binary.BigEndian.Uint16(p[2:4]))
	default:
		if p[2]&0x80 != 0 {
			return 3, false, ErrLengthOverflow
		}
		d.remaining = int64(binary.BigEndian.Uint64(p[2:10]))
	}
	if e := d.checkLength(); e != nil {
		return 2 + ext, false, e
	}
	if hl > 2+ext {
		copy(d.mask[:], p[2+ext:hl])
	}
	d.hdrPos = uint8(hl)
	d.beginPayload()
	return hl, true, nil
}

// checkFirstByte validates FIN, RSV and the opcode against the state.
func (d *Decoder) checkFirstByte(b byte) *ProtocolError {
	op := OpCode(b & 0x0f)
	fin := b&0x80 != 0
	rsv1 := b&0x40 != 0
	if b&0x30 != 0 {
		return ErrReservedBits
	}
	switch op {
	case OpContinuation:
		if d.flags&flagInMessage == 0 {
			return ErrUnexpectedContinuation
		}
		if rsv1 {
			return ErrUnexpectedRSV1
		}
	case OpText, OpBinary:
		if d.flags&flagInMessage != 0 {
			return ErrExpectedContinuation
		}
		if rsv1 && d.flags&flagAllowRSV1 == 0 {
			return ErrUnexpectedRSV1
		}
	case OpClose, OpPing, OpPong:
		if rsv1 {
			return ErrUnexpectedRSV1
		}
		if !fin {
			return ErrFragmentedControl
		}
	default:
		return ErrReservedOpCode
	}
	return nil
}

// checkSecondByte validates the mask bit and a control frame's length.
func (d *Decoder) checkSecondByte(b byte) *ProtocolError {
	masked := b&0x80 != 0
	if d.flags&flagClient != 0 {
		if masked {
			return ErrMaskedFrame
		}
	} else if !masked {
		return ErrUnmaskedFrame
	}
	if d.b0&0x08 != 0 && b&0x7f > maxControlPayload {
		return ErrControlTooLong
	}
	return nil
}

// checkLength applies the size limits once a data frame's length is known
// and accounts the frame to its message.
func (d *Decoder) checkLength() *ProtocolError {
	if d.b0&0x08 != 0 {
		return nil // control: length already checked against 125
	}
	maxMsg := d.maxMsg
	if maxMsg <= 0 {
		maxMsg = DefaultMaxMessageSize
	}
	maxFrame := d.maxFrame
	if maxFrame <= 0 {
		maxFrame = maxMsg
	}
	base := d.msgSize
	if d.b0&0x0f != 0 { // a new message
		base = 0
	}
	if d.remaining > maxMsg-base {
		return ErrMessageTooBig
	}
	if d.remaining > maxFrame {
		return ErrFrameTooBig
	}
	d.msgSize = base + d.remaining
	return nil
}

// beginPayload switches to the payload phase of the frame just read.
func (d *Decoder) beginPayload() {
	d.maskPos = 0
	op := OpCode(d.b0 & 0x0f)
	if op >= OpClose {
		d.phase = phaseControl
		return
	}
	if op != OpContinuation {
		d.msgOp = op
		d.flags = d.flags&^flagCompressed | flagInMessage | flagMsgStart
		if d.b0&0x40 != 0 {
			d.flags |= flagCompressed
		}
		d.utf8.Reset()
	}
	d.phase = phaseData
}

// endFrame prepares for the next frame header.
func (d *Decoder) endFrame() {
	d.phase = phaseHeader
	d.hdrPos = 0
}

// unmask unmasks b, the next len(b) payload bytes of the current frame.
func (d *Decoder) unmask(b []byte) {
	if d.b1&0x80 == 0 {
		return
	}
	ws.Cipher(b, d.mask, int(d.maskPos))
	d.maskPos = uint8((int(d.maskPos) + len(b)) & 3)
}

// readData delivers the next chunk of a data frame from p[n:].
func (d *Decoder) readData(p []byte, n int) (Event, int, error) {
	avail := len(p) - n
	if avail == 0 && d.remaining > 0 {
		return Event{}, n, nil
	}
	k := avail
	if int64(k) > d.remaining {
		k = int(d.remaining)
	}
	chunk := p[n : n+k : n+k]
	d.unmask(chunk)
	d.remaining -= int64(k)
	start := n
	n += k

	ev := Event{Kind: EventData, OpCode: d.msgOp, Payload: chunk}
	compressed := d.flags&flagCompressed != 0
	ev.Compressed = compressed
	checkText := d.msgOp == OpText && !compressed
	if checkText {
		if i := d.utf8.validate(chunk); i >= 0 {
			if i == 0 {
				return d.fail(ErrInvalidUTF8, start+1)
			}
			// Deliver the bytes before the invalid one, then fail on
			// the next call, so the data seen does not depend on how
			// the input was split.
			d.failLater(ErrInvalidUTF8)
			ev.Payload = chunk[:i]
			ev.MessageStart = d.flags&flagMsgStart != 0
			return ev, start + i + 1, nil
		}
	}
	if d.flags&flagMsgStart != 0 {
		ev.MessageStart = true
		d.flags &^= flagMsgStart
	}
	if d.remaining == 0 {
		ev.FrameEnd = true
		d.endFrame()
		if d.b0&0x80 != 0 {
			if checkText && !d.utf8.Complete() {
				if k == 0 {
					return d.fail(ErrInvalidUTF8, n)
				}
				// As above: the chunk was valid so far; the
				// message just ends inside a sequence.
				ev.FrameEnd = false
				d.failLater(ErrInvalidUTF8)
				return ev, n, nil
			}
			ev.MessageEnd = true
			d.flags &^= flagInMessage
			d.msgSize = 0
		}
	}
	return ev, n, nil
}

// readControl reads a control payload from p[n:], buffering it if it is
// split across calls, and delivers it once complete.
func (d *Decoder) readControl(p []byte, n int) (Event, int, error) {
	avail := len(p) - n
	k := avail
	if int64(k) > d.remaining {
		k = int(d.remaining)
	}
	var payload []byte
	if d.ctrlLen == 0 && int64(k) == d.remaining {
		// Whole payload at hand: unmask in place.
		payload = p[n : n+k : n+k]
		d.unmask(payload)
		n += k
		d.remaining = 0
	} else {
		if k == 0 {
			return Event{}, n, nil
		}
		if d.ctrl == nil {
			d.ctrl = ctrlPool.Get().(*[maxControlPayload]byte)
		}
		dst := d.ctrl[d.ctrlLen : int(d.ctrlLen)+k]
		copy(dst, p[n:n+k])
		d.unmask(dst)
		d.ctrlLen += uint8(k)
		d.remaining -= int64(k)
		n += k
		if d.remaining > 0 {
			return Event{}, n, nil
		}
		payload = d.ctrl[:d.ctrlLen:d.ctrlLen]
		d.flags |= flagCtrlHeld
	}
	d.endFrame()
	ev := Event{Kind: EventControl, OpCode: OpCode(d.b0 & 0x0f), Payload: payload}
	if ev.OpCode == OpClose {
		if e := parseClose(&ev); e != nil {
			return d.fail(e, n)
		}
	}
	return ev, n, nil
}

// parseClose fills ev's CloseCode and CloseReason from its payload.
func parseClose(ev *Event) *ProtocolError {
	b := ev.Payload
	switch len(b) {
	case 0:
		ev.CloseCode = CloseNoStatus
		return nil
	case 1:
		return ErrCloseBodyTooShort
	}
	code := uint16(b[0])<<8 | uint16(b[1])
	if !ValidReceivedCloseCode(code) {
		return ErrInvalidCloseCode
	}
	var v UTF8Validator
	reason := b[2:]
	if v.validate(reason) >= 0 || !v.Complete() {
		return ErrInvalidCloseReason
	}
	ev.CloseCode = code
	ev.CloseReason = reason
	return nil
}
