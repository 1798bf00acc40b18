package wsclient

// Opcodes (RFC 6455 section 5.2).
const (
	OpCont   byte = 0x0
	OpText   byte = 0x1
	OpBinary byte = 0x2
	OpClose  byte = 0x8
	OpPing   byte = 0x9
	OpPong   byte = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode).
func IsControl(op byte) bool { return op >= 0x8 }

// MaxControlPayload is the largest payload a control frame may carry.
const MaxControlPayload = 125
