package engine

import (
	"errors"
)

// Errors returned by the engine. The api package re-exports them.
var (
	ErrWouldBlock     = errors.New("wsloop: outbound queue full, would block")
	ErrNotConnected   = errors.New("wsloop: connection not open")
	ErrInterrupted    = errors.New("wsloop: send interrupted")
	ErrTimeout        = errors.New("wsloop: timed out")
	ErrServerClosed   = errors.New("wsloop: server closed")
	ErrSlowConsumer   = errors.New("wsloop: slow consumer closed (1008)")
	ErrHandshake      = errors.New("wsloop: handshake failed")
	ErrRefused        = errors.New("wsloop: connection refused by policy")
	ErrBadCloseCode   = errors.New("wsloop: close code not allowed to be sent")
	ErrControlTooLong = errors.New("wsloop: control frame payload over 125 bytes")

	ErrTopicInvalid         = errors.New("wsloop: topic name invalid (letters, digits, '-', '_', and '.' between non-empty tokens)")
	ErrTopicTooLong         = errors.New("wsloop: topic name over MaxTopicLength")
	ErrTooManySubscriptions = errors.New("wsloop: connection over MaxSubscriptions")
	ErrPayloadTooLarge      = errors.New("wsloop: publish payload over MaxPublishSize")
)
