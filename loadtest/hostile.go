package loadtest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Attack kinds of the hostile scenario (Options.Attacks). Each one is a
// client that misbehaves in one way; Result.Attacks records what the server
// did about it.
const (
	AttackSlowloris  = "slowloris"  // partial upgrade request, then silence
	AttackDribble    = "dribble"    // upgrade request sent one byte every 200 ms
	AttackHeaders    = "headers"    // upgrade request with 64 KiB of headers
	AttackOversize   = "oversize"   // frame header declaring ServerMaxMessage+1 bytes
	AttackBadFrames  = "badframes"  // malformed frames, one connection per variant
	AttackBadUTF8    = "badutf8"    // text messages with invalid UTF-8, one per variant
	AttackBomb       = "bomb"       // permessage-deflate message inflating to 100 MiB
	AttackSlowReader = "slowreader" // asks for 32 MiB of echoes and does not read
	AttackPingFlood  = "pingflood"  // 10,000 pings without reading the pongs
	AttackFragFlood  = "fragflood"  // one message in 10,000 one-byte fragments
	AttackGarbage    = "garbage"    // random bytes pipelined after the upgrade request
	AttackVanish     = "vanish"     // half a frame, then a TCP reset
	AttackBudget     = "budget"     // BudgetConns connections each withhold the last byte of a 15/16-limit message
)

// budgetAttackConns is the default of Hostile.BudgetConns.
const budgetAttackConns = 60

// AttackKinds lists every attack kind, in the order they run.
var AttackKinds = []string{AttackSlowloris, AttackDribble, AttackHeaders, AttackOversize, AttackBadFrames,
	AttackBadUTF8, AttackBomb, AttackSlowReader, AttackPingFlood, AttackFragFlood, AttackGarbage, AttackVanish,
	AttackBudget}

// limits of the hostile and soak options.
const (
	maxAttackers    = 256
	maxAttackRounds = 1000
	maxCycles       = 1 << 20
)

// Hostile runs an attacker-free echo phase of Baseline, then the echo load
// again for Options.Duration while Attackers hostile clients run
// AttackRounds rounds of each of Attacks against the first target. It
// reports what the server did to each attack, both phases' latency and
// whether the server's memory and connection count came back.
type Hostile struct {
	Load             Echo          // the well-behaved echo load of both phases
	Baseline         time.Duration // attacker-free phase before the attack phase (default 3s)
	Attacks          []string      // attack kinds (default: all of AttackKinds)
	Attackers        int           // concurrent hostile clients (default 4)
	AttackRounds     int           // rounds of every attack kind (default 3)
	AttackTimeout    time.Duration // how long an attack waits for the server to act (default 12s)
	BudgetConns      int           // connections of one budget attack (default 60)
	ServerMaxMessage int           // the server's message limit, which the oversize attack exceeds (default 16 MiB)
	MetricsPath      string        // path of the server's metrics JSON with a "Connections" field (default /metrics.json; "-": none)

	run *hostileRun // run state
}

// Name implements Scenario.
func (*Hostile) Name() string { return ScenarioHostile }

func (h *Hostile) withDefaults(o *Options) Scenario {
	c := *h
	c.Load = *c.Load.withDefaults(o).(*Echo)
	c.Load.Messages = 0
	if len(c.Attacks) == 0 {
		c.Attacks = slices.Clone(AttackKinds)
	}
	if c.Attackers <= 0 {
		c.Attackers = 4
	}
	if c.AttackRounds <= 0 {
		c.AttackRounds = 3
	}
	if c.BudgetConns <= 0 {
		c.BudgetConns = budgetAttackConns
	}
	if c.AttackTimeout <= 0 {
		c.AttackTimeout = 12 * time.Second
	}
	if c.Baseline <= 0 {
		c.Baseline = 3 * time.Second
	}
	if c.ServerMaxMessage <= 0 {
		c.ServerMaxMessage = 16 << 20
	}
	c.MetricsPath = metricsPathDefault(c.MetricsPath)
	return &c
}

func (h *Hostile) check(o *Options) error {
	h.Attacks = slices.Clone(h.Attacks)
	for i, a := range h.Attacks {
		a = strings.TrimSpace(a)
		h.Attacks[i] = a
		if !slices.Contains(AttackKinds, a) {
			return fmt.Errorf("unknown attack %q (want some of %s)", a, strings.Join(AttackKinds, ","))
		}
	}
	switch {
	case h.BudgetConns > 4096:
		return fmt.Errorf("Hostile.BudgetConns %d is over the limit 4096", h.BudgetConns)
	case h.Attackers > maxAttackers:
		return fmt.Errorf("Hostile.Attackers %d is over the limit %d", h.Attackers, maxAttackers)
	case h.AttackRounds > maxAttackRounds:
		return fmt.Errorf("Hostile.AttackRounds %d is over the limit %d", h.AttackRounds, maxAttackRounds)
	case h.ServerMaxMessage > 1<<30:
		return fmt.Errorf("Hostile.ServerMaxMessage %d is over the limit %d", h.ServerMaxMessage, 1<<30)
	}
	if err := checkMetricsPath(h.MetricsPath); err != nil {
		return err
	}
	return h.Load.check(o)
}

// metricsPathDefault is the default of the MetricsPath options.
func metricsPathDefault(p string) string {
	if p == "" {
		return "/metrics.json"
	}
	return p
}

// checkMetricsPath checks a MetricsPath option.
func checkMetricsPath(p string) error {
	if p != "-" && !strings.HasPrefix(p, "/") {
		return fmt.Errorf("MetricsPath %q must be a path starting with / (or - for none)", p)
	}
	return nil
}
