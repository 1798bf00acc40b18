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

// budgetAttackConns is the default of Options.BudgetConns.
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

// hostileDefaults fills the hostile and soak options.
func (o Options) hostileDefaults() Options {
	if o.Scenario != ScenarioHostile && o.Scenario != ScenarioSoak {
		return o
	}
	if len(o.Attacks) == 0 {
		o.Attacks = slices.Clone(AttackKinds)
	}
	if o.Attackers <= 0 {
		o.Attackers = 4
	}
	if o.AttackRounds <= 0 {
		o.AttackRounds = 3
	}
	if o.BudgetConns <= 0 {
		o.BudgetConns = budgetAttackConns
	}
	if o.AttackTimeout <= 0 {
		o.AttackTimeout = 12 * time.Second
	}
	if o.Baseline <= 0 {
		o.Baseline = 3 * time.Second
	}
	if o.ServerMaxMessage <= 0 {
		o.ServerMaxMessage = 16 << 20
	}
	if o.MetricsPath == "" {
		o.MetricsPath = "/metrics"
	}
	if o.Scenario == ScenarioSoak && o.Messages == 0 {
		o.Messages = 10
	}
	return o
}

// validateHostile checks the hostile and soak options (after Defaults).
func (o *Options) validateHostile() error {
	o.Attacks = slices.Clone(o.Attacks)
	for i, a := range o.Attacks {
		a = strings.TrimSpace(a)
		o.Attacks[i] = a
		if !slices.Contains(AttackKinds, a) {
			return fmt.Errorf("unknown attack %q (want some of %s)", a, strings.Join(AttackKinds, ","))
		}
	}
	switch {
	case o.BudgetConns > 4096:
		return fmt.Errorf("-budget-conns %d is over the limit 4096", o.BudgetConns)
	case o.Attackers > maxAttackers:
		return fmt.Errorf("-attackers %d is over the limit %d", o.Attackers, maxAttackers)
	case o.AttackRounds > maxAttackRounds:
		return fmt.Errorf("-attack-rounds %d is over the limit %d", o.AttackRounds, maxAttackRounds)
	case o.Cycles < 0 || o.Cycles > maxCycles:
		return fmt.Errorf("-cycles %d out of range 0..%d", o.Cycles, maxCycles)
	case o.ServerMaxMessage > 1<<30:
		return fmt.Errorf("-server-max-message %d is over the limit %d", o.ServerMaxMessage, 1<<30)
	case o.MetricsPath != "-" && !strings.HasPrefix(o.MetricsPath, "/"):
		return fmt.Errorf("-metrics %q must be a path starting with / (or - for none)", o.MetricsPath)
	}
	return nil
}
