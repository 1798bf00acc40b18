package codec

// Sentinel protocol errors returned by the frame decoder. Each carries the
// close code the server should send. They are package-level values so that
// reporting a violation never allocates; compare with errors.Is or ==.
var (
	// ErrUnmaskedFrame: a client sent a frame without the mask bit (RFC 6455 5.1).
	ErrUnmaskedFrame = &ProtocolError{Code: CloseProtocolError, Reason: "client frame is not masked"}
	// ErrMaskedFrame: a server sent a masked frame (client-side decoding only).
	ErrMaskedFrame = &ProtocolError{Code: CloseProtocolError, Reason: "server frame is masked"}
	// ErrReservedBits: RSV2 or RSV3 is set; no negotiated extension defines them.
	ErrReservedBits = &ProtocolError{Code: CloseProtocolError, Reason: "reserved bits RSV2/RSV3 set"}
	// ErrUnexpectedRSV1: RSV1 is set where it is not allowed (no permessage-deflate,
	// a control frame, or a continuation frame).
	ErrUnexpectedRSV1 = &ProtocolError{Code: CloseProtocolError, Reason: "unexpected RSV1 bit"}
	// ErrReservedOpCode: the opcode is one of the reserved values 3-7 or 0xB-0xF.
	ErrReservedOpCode = &ProtocolError{Code: CloseProtocolError, Reason: "reserved opcode"}
	// ErrFragmentedControl: a control frame without the FIN bit.
	ErrFragmentedControl = &ProtocolError{Code: CloseProtocolError, Reason: "fragmented control frame"}
	// ErrControlTooLong: a control frame payload longer than 125 bytes.
	ErrControlTooLong = &ProtocolError{Code: CloseProtocolError, Reason: "control frame payload over 125 bytes"}
	// ErrUnexpectedContinuation: a continuation frame with no fragmented message in progress.
	ErrUnexpectedContinuation = &ProtocolError{Code: CloseProtocolError, Reason: "continuation frame without a message in progress"}
	// ErrExpectedContinuation: a new text or binary frame while a fragmented
	// message is still in progress.
	ErrExpectedContinuation = &ProtocolError{Code: CloseProtocolError, Reason: "new data frame inside a fragmented message"}
	// ErrLengthOverflow: a 64-bit payload length with the most significant bit set.
	ErrLengthOverflow = &ProtocolError{Code: CloseProtocolError, Reason: "payload length has the top bit set"}
	// ErrFrameTooBig: a frame payload above DecoderLimits.MaxFrameSize.
	ErrFrameTooBig = &ProtocolError{Code: CloseMessageTooBig, Reason: "frame too big"}
	// ErrMessageTooBig: a message whose frames add up to more than DecoderLimits.MaxMessageSize.
	ErrMessageTooBig = &ProtocolError{Code: CloseMessageTooBig, Reason: "message too big"}
	// ErrInvalidUTF8: a text message is not valid UTF-8.
	ErrInvalidUTF8 = &ProtocolError{Code: CloseInvalidPayload, Reason: "invalid UTF-8 in text message"}
	// ErrCloseBodyTooShort: a close frame with a 1-byte body.
	ErrCloseBodyTooShort = &ProtocolError{Code: CloseProtocolError, Reason: "close frame body of 1 byte"}
	// ErrInvalidCloseCode: a close frame carrying a code that must not be received.
	ErrInvalidCloseCode = &ProtocolError{Code: CloseProtocolError, Reason: "invalid close code"}
	// ErrInvalidCloseReason: a close frame whose reason is not valid UTF-8.
	ErrInvalidCloseReason = &ProtocolError{Code: CloseInvalidPayload, Reason: "close reason is not valid UTF-8"}
)

// decoderErrors lists every error the decoder can report; a failed decoder
// remembers its error as an index into this table (1-based, 0 = none), which
// keeps the Decoder small.
var decoderErrors = [...]*ProtocolError{
	nil,
	ErrUnmaskedFrame,
	ErrMaskedFrame,
	ErrReservedBits,
	ErrUnexpectedRSV1,
	ErrReservedOpCode,
	ErrFragmentedControl,
	ErrControlTooLong,
	ErrUnexpectedContinuation,
	ErrExpectedContinuation,
	ErrLengthOverflow,
	ErrFrameTooBig,
	ErrMessageTooBig,
	ErrInvalidUTF8,
	ErrCloseBodyTooShort,
	ErrInvalidCloseCode,
	ErrInvalidCloseReason,
}

// errorIndex returns e's position in decoderErrors. Only the failure path
// calls it.
func errorIndex(e *ProtocolError) uint8 {
	for i, x := range decoderErrors {
		if x == e {
			return uint8(i)
		}
	}
	panic("wsloop: unregistered decoder error") // programming error, caught by tests
}
