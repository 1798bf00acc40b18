package codec

import "github.com/gobwas/ws"

// OpCode is a WebSocket frame opcode (RFC 6455 section 5.2).
type OpCode = ws.OpCode

// Frame opcodes.
const (
	OpContinuation = ws.OpContinuation
	OpText         = ws.OpText
	OpBinary       = ws.OpBinary
	OpClose        = ws.OpClose
	OpPing         = ws.OpPing
	OpPong         = ws.OpPong
)

// Close status codes used by the server (RFC 6455 section 7.4.1).
const (
	CloseNormal            uint16 = 1000
	CloseGoingAway         uint16 = 1001
	CloseProtocolError     uint16 = 1002
	CloseUnsupportedData   uint16 = 1003
	CloseNoStatus          uint16 = 1005 // never sent on the wire
	CloseAbnormal          uint16 = 1006 // never sent on the wire
	CloseInvalidPayload    uint16 = 1007
	ClosePolicyViolation   uint16 = 1008
	CloseMessageTooBig     uint16 = 1009
	CloseMandatoryExt      uint16 = 1010
	CloseInternalError     uint16 = 1011
	CloseServiceRestart    uint16 = 1012
	CloseTryAgainLater     uint16 = 1013
	CloseTLSHandshakeError uint16 = 1015 // never sent on the wire
)

// ProtocolError is a violation found while decoding. Code is the close code
// the server must send (1002, 1007, 1009, ...). Values are package-level
// sentinels so reporting an error never allocates; compare with errors.Is.
type ProtocolError struct {
	Code   uint16
	Reason string
}

// Error implements error.
func (e *ProtocolError) Error() string { return "wsloop: " + e.Reason }
