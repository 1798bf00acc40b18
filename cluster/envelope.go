package cluster

import (
	"encoding/binary"
	"errors"
)

// Wire format version 1 (see the package documentation).
const (
	wireVersion = 1

	flagBroadcast = 1 << 0 // the message is a Broadcast, not a topic publish

	// headerFixed is the envelope's size without the origin id.
	headerFixed = 4 + 8 + 8
	maxOrigin   = 255
)

// envelope is a decoded message header. Payload aliases the input.
type envelope struct {
	flags   byte
	format  byte
	origin  []byte
	epoch   uint64
	seq     uint64
	payload []byte
}

var (
	errShort   = errors.New("cluster: envelope too short")
	errVersion = errors.New("cluster: unknown envelope version")
)

// headerLen is the envelope header size for an origin id of n bytes.
func headerLen(n int) int { return headerFixed + n }

// appendEnvelope appends the header and payload of one message to dst.
// origin must be at most 255 bytes (Join makes sure of it).
func appendEnvelope(dst []byte, flags, format byte, origin string, epoch, seq uint64, payload []byte) []byte {
	dst = append(dst, wireVersion, flags, format, byte(len(origin)))
	dst = append(dst, origin...)
	dst = binary.BigEndian.AppendUint64(dst, epoch)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, payload...)
}

// decodeEnvelope parses b. Unknown flag bits are ignored, so later
// versions may add flags without a wire break; a different version byte is
// refused.
func decodeEnvelope(b []byte) (envelope, error) {
	if len(b) < headerFixed {
		return envelope{}, errShort
	}
	if b[0] != wireVersion {
		return envelope{}, errVersion
	}
	n := int(b[3])
	if len(b) < headerLen(n) {
		return envelope{}, errShort
	}
	e := envelope{flags: b[1], format: b[2], origin: b[4 : 4+n]}
	e.epoch = binary.BigEndian.Uint64(b[4+n:])
	e.seq = binary.BigEndian.Uint64(b[12+n:])
	e.payload = b[headerLen(n):]
	return e, nil
}
