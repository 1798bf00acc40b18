package api

import (
	"fmt"

	"github.com/wsloop/wsloop/engine"
)

// Subscribe subscribes connection id to topic. Subscribing twice is a
// no-op. Once it returns, a Publish to topic reaches the connection. It
// returns ErrTopicInvalid or ErrTopicTooLong for a bad name,
// ErrTooManySubscriptions beyond Config.MaxSubscriptions, ErrNotConnected
// if the connection is not open (it opens after OnWebSocketOpenRequest:
// subscribe in OnConnected at the earliest). Safe from any goroutine and
// from handlers.
func (s *Server) Subscribe(id ConnID, topic string) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	return e.Subscribe(uint64(id), topic)
}

// Unsubscribe ends connection id's subscription to topic (a no-op if it
// was not subscribed). Safe from any goroutine and from handlers.
func (s *Server) Unsubscribe(id ConnID, topic string) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	return e.Unsubscribe(uint64(id), topic)
}

// Publish sends to every subscriber of topic: this node's at once, and
// through the Bridge (if set) to the other nodes. Never waits on the
// bridge. It copies payload before returning. Delivery is at-most-once: a
// subscriber whose outbound queue is full is closed with 1008
// (CloseSlowConsumer) or skipped for this message (WouldBlock; counted in
// Metrics.TopicDropped). It returns ErrTopicInvalid, ErrTopicTooLong or
// ErrPayloadTooLarge (over Config.MaxPublishSize) and sends nothing then.
// Safe from any goroutine and from handlers.
func (s *Server) Publish(topic string, format DataFormat, payload []byte) error {
	if err := s.PublishLocal(topic, format, payload); err != nil {
		return err
	}
	if b := s.currentBridge(); b != nil {
		b.Publish(topic, format, payload)
	}
	return nil
}

// Subscribers returns this node's subscriber count for topic.
func (s *Server) Subscribers(topic string) int {
	e := s.engine()
	if e == nil {
		return 0
	}
	return e.Subscribers(topic)
}

// Topics lists the topics that have local subscribers (used by a bridge to
// resync its subscriptions).
func (s *Server) Topics() []string {
	e := s.engine()
	if e == nil {
		return nil
	}
	return e.Topics()
}

// Bridge carries topic traffic to other nodes (package cluster implements
// it on NATS). Its methods must not block; payload is valid only during
// the call.
type Bridge interface {
	// Interest: this node gained its first local subscriber of topic
	// (on=true) or lost its last (on=false). Calls for one topic arrive in
	// order.
	Interest(topic string, on bool)
	// Publish forwards a Publish made on this node.
	Publish(topic string, format DataFormat, payload []byte)
	// Broadcast forwards a Broadcast made on this node with a nil filter.
	Broadcast(format DataFormat, payload []byte)
}

// SetBridge connects the server to other nodes through b. Call it before
// Listen; nil removes it.
func (s *Server) SetBridge(b Bridge) {
	if b == nil {
		s.bridge.Store(nil)
		return
	}
	s.bridge.Store(&b)
}

func (s *Server) currentBridge() Bridge {
	if p := s.bridge.Load(); p != nil {
		return *p
	}
	return nil
}

// interest is the engine's OnInterest hook: it tells the bridge.
func (s *Server) interest(topic string, on bool) {
	if b := s.currentBridge(); b != nil {
		b.Interest(topic, on)
	}
}

// PublishLocal delivers a message that came from another node to this
// node's subscribers only (never back to the bridge). Errors as Publish.
func (s *Server) PublishLocal(topic string, format DataFormat, payload []byte) error {
	e := s.engine()
	if e == nil {
		// Check the arguments anyway, so that errors do not depend on timing.
		if err := engine.ValidTopic(topic, s.topicLimit()); err != nil {
			return err
		}
		return ErrServerClosed
	}
	return e.Publish(topic, opOf(format), payload)
}

// BroadcastLocal delivers a Broadcast that came from another node to this
// node's connections only (never back to the bridge).
func (s *Server) BroadcastLocal(format DataFormat, payload []byte) error {
	e := s.engine()
	if e == nil {
		return ErrServerClosed
	}
	e.Broadcast(opOf(format), payload, nil)
	return nil
}

// topicLimit returns the effective MaxTopicLength.
func (s *Server) topicLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxTopicLength > 0 {
		return s.cfg.MaxTopicLength
	}
	return engine.DefaultMaxTopicLength
}

// checkBridgedBroadcast refuses a nil-filter Broadcast that the bridge
// could not carry.
func (s *Server) checkBridgedBroadcast(e *engine.Engine, p []byte) error {
	if s.currentBridge() != nil && len(p) > e.MaxPublishSize() {
		return fmt.Errorf("%w: a bridged Broadcast is a publish", ErrPayloadTooLarge)
	}
	return nil
}
