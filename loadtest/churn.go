package loadtest

import "fmt"

// Churn runs paced connect, upgrade and close cycles and checks that the
// server answers each close handshake with 1000. Latency is the whole cycle.
type Churn struct {
	Rate   float64 // cycles started per second (default 100)
	Cycles int     // cycles to run; 0 = until Options.Duration
}

// Name implements Scenario.
func (*Churn) Name() string { return ScenarioChurn }

func (c *Churn) withDefaults(*Options) Scenario {
	d := *c
	if d.Rate <= 0 {
		d.Rate = 100
	}
	return &d
}

func (c *Churn) check(*Options) error {
	if c.Cycles < 0 {
		return fmt.Errorf("Churn.Cycles must not be negative")
	}
	return nil
}
