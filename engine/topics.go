package engine

import "github.com/wsloop/wsloop/codec"

// Subscribe adds connection id to topic's subscribers. Safe from any
// goroutine.
func (e *Engine) Subscribe(id uint64, topic string) error {
	if err := e.ValidTopic(topic); err != nil {
		return err
	}
	return ErrNotConnected
}

// Unsubscribe removes connection id from topic's subscribers.
func (e *Engine) Unsubscribe(id uint64, topic string) error {
	if err := e.ValidTopic(topic); err != nil {
		return err
	}
	return ErrNotConnected
}

// Publish queues p as one message to every subscriber of topic on this
// node.
func (e *Engine) Publish(topic string, op codec.OpCode, p []byte) error {
	if err := e.ValidTopic(topic); err != nil {
		return err
	}
	if len(p) > e.opts.MaxPublishSize {
		return ErrPayloadTooLarge
	}
	return nil
}

// Subscribers returns this node's number of subscribers of topic.
func (e *Engine) Subscribers(topic string) int { return 0 }

// Topics returns the topics that have subscribers on this node.
func (e *Engine) Topics() []string { return nil }

// ValidTopic checks a topic name against MaxTopicLength and the characters
// allowed in a NATS subject token.
func (e *Engine) ValidTopic(topic string) error {
	return ValidTopic(topic, e.opts.MaxTopicLength)
}

// ValidTopic checks that topic is at most max bytes of letters, digits,
// '-' and '_', in non-empty tokens separated by '.'.
func ValidTopic(topic string, max int) error {
	if len(topic) > max {
		return ErrTopicTooLong
	}
	if topic == "" {
		return ErrTopicInvalid
	}
	prev := byte('.')
	for i := 0; i < len(topic); i++ {
		b := topic[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_':
		case b == '.':
			if prev == '.' {
				return ErrTopicInvalid
			}
		default:
			return ErrTopicInvalid
		}
		prev = b
	}
	if prev == '.' {
		return ErrTopicInvalid
	}
	return nil
}
