package api

import (
	"errors"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

// Sentinel errors, usable with errors.Is.
var (
	// ErrWouldBlock: the connection's outbound queue is full and its
	// Timeout is 0; OnReadyToSend fires when it drains.
	ErrWouldBlock = engine.ErrWouldBlock
	// ErrNotConnected: no open WebSocket with that ID.
	ErrNotConnected = engine.ErrNotConnected
	// ErrInterrupted: Interrupt aborted a waiting Send or SendFile.
	ErrInterrupted = engine.ErrInterrupted
	// ErrTimeout: a Send waited its connection's Timeout for room.
	ErrTimeout = engine.ErrTimeout
	// ErrServerClosed: the server is not running.
	ErrServerClosed = engine.ErrServerClosed
	// ErrSlowConsumer: the slow-consumer policy closed the connection (1008).
	ErrSlowConsumer = engine.ErrSlowConsumer
	// ErrStreamInProgress: a whole message was sent while a streamed one
	// (SetMessageLength, SendFile) is unfinished.
	ErrStreamInProgress = engine.ErrStreamInProgress
	// ErrStreamOverrun: more bytes were sent than SetMessageLength announced.
	ErrStreamOverrun = engine.ErrStreamOverrun
	// ErrRefused: a connection was refused by a limit or policy (Upgrade
	// beyond MaxConnections).
	ErrRefused = engine.ErrRefused
	// ErrMessageTooBig: a message exceeded MaxMessageSize (closed with 1009).
	ErrMessageTooBig = errors.New("wsloop: message too big")
	// ErrAlreadyListening: Listen was called on a running server.
	ErrAlreadyListening = errors.New("wsloop: already listening")
	// ErrUnknownSetting: Config was given a name it does not know.
	ErrUnknownSetting = errors.New("wsloop: unknown configuration setting")
	// ErrBadValue: Config was given a value it cannot use.
	ErrBadValue = errors.New("wsloop: bad configuration value")
	// ErrReadOnly: the setting cannot be changed now (after Listen) or at all.
	ErrReadOnly = errors.New("wsloop: setting is read-only now")
	// ErrBadCloseCode: DisconnectWith was given a code that may not be sent.
	ErrBadCloseCode = engine.ErrBadCloseCode
	// ErrTopicInvalid: a topic name is empty or has characters other than
	// letters, digits, '-', '_' and '.' between non-empty tokens (names
	// must map to NATS subjects: no '*', '>' or spaces).
	ErrTopicInvalid = engine.ErrTopicInvalid
	// ErrTopicTooLong: a topic name is over Config.MaxTopicLength bytes.
	ErrTopicTooLong = engine.ErrTopicTooLong
	// ErrTooManySubscriptions: the connection already has
	// Config.MaxSubscriptions topics.
	ErrTooManySubscriptions = engine.ErrTooManySubscriptions
	// ErrPayloadTooLarge: a published payload is over Config.MaxPublishSize.
	ErrPayloadTooLarge = engine.ErrPayloadTooLarge
	// ErrUnsupported: the setting names something Go's crypto/tls cannot do.
	ErrUnsupported = errors.New("wsloop: not supported")
)

// errorCode maps an error to a numeric code for ErrorEvent.Code: the
// WebSocket close code for protocol errors, the HTTP status for handshake
// errors, 0 otherwise.
func errorCode(err error) int {
	var pe *codec.ProtocolError
	if errors.As(err, &pe) {
		return int(pe.Code)
	}
	var he *codec.HandshakeError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// isTooBig reports whether err is a 1009 protocol error.
func isTooBig(err error) bool {
	var pe *codec.ProtocolError
	return errors.As(err, &pe) && pe.Code == codec.CloseMessageTooBig
}
