package loadtest

import (
	"fmt"
	"time"
)

// Soak runs cycles of: open Options.Conns connections, echo Load.Messages
// messages on each, close them all; until Cycles are done or
// Options.Duration has passed. After each cycle it waits (bounded by
// Options.Timeout) for the server's connection count to return to its idle
// value and records the server's RSS, so a leak shows as growth from cycle
// to cycle.
type Soak struct {
	Load        Echo   // each cycle's echo load; Load.Messages per connection (default 10)
	Cycles      int    // cycles to run; 0 = until Options.Duration (which then defaults to 10s, else to 24h)
	MetricsPath string // path of the server's metrics JSON with a "Connections" field (default /metrics.json; "-": none)

	run *soakRun // run state
}

// Name implements Scenario.
func (*Soak) Name() string { return ScenarioSoak }

func (s *Soak) withDefaults(o *Options) Scenario {
	c := *s
	if c.Load.Messages == 0 {
		c.Load.Messages = 10
	}
	c.Load = *c.Load.withDefaults(o).(*Echo)
	c.MetricsPath = metricsPathDefault(c.MetricsPath)
	if o.Duration <= 0 && c.Cycles > 0 {
		o.Duration = 24 * time.Hour // the cycle count bounds the run
	}
	return &c
}

func (s *Soak) check(o *Options) error {
	if s.Cycles < 0 || s.Cycles > maxCycles {
		return fmt.Errorf("Soak.Cycles %d out of range 0..%d", s.Cycles, maxCycles)
	}
	if err := checkMetricsPath(s.MetricsPath); err != nil {
		return err
	}
	return s.Load.check(o)
}
