package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wsloop/wsloop/api"
)

// The /pubsub endpoint speaks a small text protocol, one command per
// WebSocket text message:
//
//	sub <topic>            → "ok sub <topic>" or "err <reason>"
//	unsub <topic>          → "ok unsub <topic>" or "err <reason>"
//	pub <topic> <payload>  → nothing on success, "err <reason>" on failure;
//	                         every subscriber of <topic> on every node (the
//	                         publisher too if subscribed) receives
//	                         "msg <topic> <payload>"
//
// The payload is the rest of the message and may contain spaces. Anything
// else, binary messages included, gets "err <reason>". Topics are those of
// the api package (letters, digits, '-', '_', '.' between tokens); they
// live apart from the /chat room's topic.

// pubsubConn marks connections of the /pubsub endpoint.
type pubsubConn struct{}

func isPubsub(v any) bool { _, ok := v.(pubsubConn); return ok }

// pubsubNS keeps /pubsub topics apart from the application's own (chat).
const pubsubNS = "ps."

// chatTopic carries the /chat room across the cluster.
const chatTopic = "chat"

// framePool recycles "msg <topic> <payload>" frames: Publish copies them.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// pubsubIn runs one protocol command (on the connection's event loop).
func (a *app) pubsubIn(e *api.DataInEvent) {
	id := e.ConnectionID
	if e.DataFormat != api.DataText {
		a.reply(id, "err binary messages are not part of the protocol (send text: sub, unsub, pub)")
		return
	}
	cmd, rest, _ := bytes.Cut(e.Data, []byte{' '})
	switch string(cmd) {
	case "sub", "unsub":
		topic := string(rest)
		var err error
		if string(cmd) == "sub" {
			err = a.srv.Subscribe(id, pubsubNS+topic)
		} else {
			err = a.srv.Unsubscribe(id, pubsubNS+topic)
		}
		if err != nil {
			a.reply(id, "err "+reason(err, topic))
			return
		}
		a.reply(id, "ok "+string(cmd)+" "+topic)
	case "pub":
		topic, payload, _ := bytes.Cut(rest, []byte{' '})
		bp := framePool.Get().(*[]byte)
		frame := append(append(append(append((*bp)[:0], "msg "...), topic...), ' '), payload...)
		*bp = frame
		err := a.publish(string(topic), frame)
		if cap(frame) <= 64<<10 {
			framePool.Put(bp)
		}
		if err != nil {
			a.reply(id, "err "+reason(err, string(topic)))
		}
	default:
		a.reply(id, fmt.Sprintf("err unknown command %.40q (want sub, unsub or pub)", cmd))
	}
}

// publish sends frame to a /pubsub topic on every node. A frame that the
// cluster could not carry is refused rather than delivered here only.
func (a *app) publish(topic string, frame []byte) error {
	if a.cluster != nil && a.cluster.node != nil {
		if mp := a.cluster.node.MaxPayload(); mp > 0 && len(frame) > mp {
			return fmt.Errorf("message of %d bytes over the cluster's %d (NATS max_payload)", len(frame), mp)
		}
	}
	return a.srv.Publish(pubsubNS+topic, api.DataText, frame)
}

// reply sends a protocol answer; a full outbound queue drops it (the
// client is not reading its answers).
func (a *app) reply(id api.ConnID, s string) {
	_ = a.srv.SendMessage(id, api.DataText, []byte(s))
}

// reason words an error for the protocol, without the library prefix.
func reason(err error, topic string) string {
	s := strings.TrimPrefix(err.Error(), "wsloop: ")
	if errors.Is(err, api.ErrTopicInvalid) || errors.Is(err, api.ErrTopicTooLong) {
		s = fmt.Sprintf("%s: %.80q", s, topic)
	}
	return s
}
