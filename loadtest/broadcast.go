package loadtest

import "fmt"

// Broadcast opens Options.Conns receivers, then one sender that sends Rate
// stamped messages per second to the first target; the server must relay
// every message to every connection. Latency is send-to-receive, from the
// send time stamped in each message.
type Broadcast struct {
	Size     int     // message bytes (default and minimum 35: the stamp)
	Binary   bool    // send binary frames instead of text
	Rate     float64 // messages per second from the sender (default 10)
	Messages int     // messages to send; 0 = until Options.Duration

	receivers uint64 // run state: receivers open when sending began
}

// Name implements Scenario.
func (*Broadcast) Name() string { return ScenarioBroadcast }

func (b *Broadcast) withDefaults(*Options) Scenario {
	c := *b
	c.Size = max(c.Size, stampLen)
	if c.Rate <= 0 {
		c.Rate = 10
	}
	return &c
}

func (b *Broadcast) check(o *Options) error {
	if b.Messages < 0 {
		return fmt.Errorf("Broadcast.Messages must not be negative")
	}
	return checkPayload(o, b.Size)
}
