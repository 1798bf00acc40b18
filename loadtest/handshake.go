package loadtest

import "fmt"

// Handshake measures the handshake rate: connect, upgrade and send a close
// frame, as fast as Options.DialWorkers allow or at Rate per second.
// Latency is the handshake's.
type Handshake struct {
	Rate   float64 // cycles started per second; 0 = no limit
	Cycles int     // cycles to run; 0 = until Options.Duration
}

// Name implements Scenario.
func (*Handshake) Name() string { return ScenarioHandshake }

func (h *Handshake) withDefaults(*Options) Scenario { c := *h; return &c }

func (h *Handshake) check(*Options) error {
	if h.Rate < 0 || h.Cycles < 0 {
		return fmt.Errorf("Handshake.Rate and Handshake.Cycles must not be negative")
	}
	return nil
}
