package wsclient

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Close codes with a meaning to the tools.
const (
	CloseNormal     uint16 = 1000
	CloseNoStatus   uint16 = 1005 // no code in the frame; never sent
	CloseAbnormal   uint16 = 1006 // never sent
	CloseTLSFailure uint16 = 1015 // never sent
)

// ValidCloseCode reports whether code may appear in a close frame
// (RFC 6455 section 7.4 and the IANA registry).
func ValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseCode returns the code of a close payload, CloseNoStatus for an empty
// one.
func CloseCode(p []byte) uint16 {
	if len(p) < 2 {
		return CloseNoStatus
	}
	return binary.BigEndian.Uint16(p)
}

// CheckClosePayload reports why a close payload breaks RFC 6455 section 5.5.1
// (nil if it does not): one byte long, a code that may not be sent, or a
// reason that is not UTF-8.
func CheckClosePayload(p []byte) error {
	switch {
	case len(p) == 0:
		return nil
	case len(p) == 1:
		return fmt.Errorf("close payload of 1 byte")
	}
	code := binary.BigEndian.Uint16(p)
	if !ValidCloseCode(code) {
		return fmt.Errorf("close code %d may not be sent", code)
	}
	if !utf8.Valid(p[2:]) {
		return fmt.Errorf("close reason is not valid UTF-8")
	}
	return nil
}
