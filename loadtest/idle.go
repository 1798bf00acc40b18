package loadtest

// Idle opens Options.Conns connections and holds them for Options.Duration,
// answering pings; it measures how many a server holds and at what memory.
type Idle struct{}

// Name implements Scenario.
func (*Idle) Name() string { return ScenarioIdle }

func (i *Idle) withDefaults(*Options) Scenario { return &Idle{} }

func (*Idle) check(*Options) error { return nil }
