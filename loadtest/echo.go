package loadtest

import "fmt"

// Echo is the request/response scenario: every connection sends Size-byte
// messages and verifies each echo. Without Rate each connection keeps
// Inflight requests outstanding and sends the next when an echo arrives;
// with Rate the requests are paced at Rate per second over all connections
// and Inflight bounds the outstanding ones per connection.
type Echo struct {
	Size     int     // payload bytes per message (default 32)
	Binary   bool    // send binary frames instead of text
	Inflight int     // outstanding requests per connection (default 1; with Rate 128)
	Rate     float64 // total requests per second; 0 = as fast as the echoes come
	Messages int     // requests per connection; 0 = until Options.Duration
}

// Name implements Scenario.
func (*Echo) Name() string { return ScenarioEcho }

func (e *Echo) withDefaults(*Options) Scenario {
	c := *e
	if c.Size <= 0 {
		c.Size = 32
	}
	if c.Inflight <= 0 {
		c.Inflight = 1
		if c.Rate > 0 {
			c.Inflight = 128
		}
	}
	return &c
}

func (e *Echo) check(o *Options) error {
	switch {
	case e.Inflight > maxInflight:
		return fmt.Errorf("Echo.Inflight %d is over the limit %d", e.Inflight, maxInflight)
	case e.Rate < 0 || e.Messages < 0:
		return fmt.Errorf("Echo.Rate and Echo.Messages must not be negative")
	}
	return checkPayload(o, e.Size)
}
