package codec

// ValidReceivedCloseCode reports whether a peer may send code in a close
// frame (RFC 6455 section 7.4 and the IANA registry): 1000-1003, 1007-1014 and
// the application/library range 3000-4999. 1004 is reserved; 1005, 1006 and
// 1015 must never appear on the wire; everything below 1000, 1016-2999 and
// 5000 and above is invalid.
func ValidReceivedCloseCode(code uint16) bool {
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

// ValidSendCloseCode reports whether the server may put code in a close frame
// it sends (for example through DisconnectWith). The set is the same as
// ValidReceivedCloseCode: codes reserved for local use (1005 no status, 1006
// abnormal, 1015 TLS failure) and unassigned codes are refused. Code 0 is not
// a code; AppendCloseFrame treats it as "send an empty close body".
func ValidSendCloseCode(code uint16) bool {
	return ValidReceivedCloseCode(code)
}
