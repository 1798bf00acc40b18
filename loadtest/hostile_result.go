package loadtest

import (
	"fmt"
	"slices"
	"strings"
)

// Verdicts of the hostile and soak scenarios.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// AttackStats is what the server did to one attack kind (Result.Attacks).
// Outcomes are counted by name: "http_<status>" (an HTTP response to the
// upgrade request), "close_<code>" (a close frame), "tcp_close" (FIN without
// a close frame), "reset" (RST), "still_open" (nothing by the attack
// deadline), "echo_ok" (the server survived the flood and still echoes),
// "echoed" (the server accepted a message it should have refused),
// "no_deflate" (bomb: the server did not negotiate permessage-deflate),
// "backpressure" (slowreader: the server stopped reading instead of
// buffering), "reset_sent" (vanish), "dial_error". Attacks with variants
// prefix the variant: "unmasked/close_1002".
type AttackStats struct {
	Attempts      uint64            `json:"attempts"`
	NotRun        uint64            `json:"not_run,omitempty"` // planned attempts not started: the attack phase ended
	Failures      uint64            `json:"failures"`          // outcomes that show a server fault
	Outcomes      map[string]uint64 `json:"outcomes"`
	MaxCloseMS    float64           `json:"max_close_ms"` // longest time from the offending bytes to the server ending the connection
	BytesSent     uint64            `json:"bytes_sent"`
	BytesRecv     uint64            `json:"bytes_received"`
	Pongs         uint64            `json:"pongs,omitempty"`          // pingflood: pongs received
	FailureSample string            `json:"failure_sample,omitempty"` // what the first failure was
}

// HostileStats are the hostile scenario's phases and verdict. The
// attack-phase figures of the well-behaved connections are the Result's own
// (Latency, Messages, Errors); Errors and ErrorsTotal include the baseline
// phase.
type HostileStats struct {
	BaselineS        float64      `json:"baseline_s"`
	BaselineLatency  LatencyStats `json:"baseline_latency"`
	BaselineMessages uint64       `json:"baseline_messages"` // echoes received in the baseline phase
	BaselineErrors   uint64       `json:"baseline_errors"`
	AttackErrors     uint64       `json:"attack_errors"`                // well-behaved connections' errors in the attack phase
	P99Ratio         float64      `json:"p99_ratio"`                    // attack-phase p99 / baseline p99
	AttackS          float64      `json:"attack_s"`                     // first attack to the end of the last
	AttackFailures   uint64       `json:"attack_failures"`              // sum of AttackStats.Failures
	RSSBaselineKB    int64        `json:"rss_baseline_kb,omitempty"`    // server's highest RSS in the baseline phase
	RSSAttackPeakKB  int64        `json:"rss_attack_peak_kb,omitempty"` // server's highest RSS from the first attack on
	RSSAfterKB       int64        `json:"rss_after_kb,omitempty"`       // after every connection ended
	ServerConnsAfter int          `json:"server_conns_after"`           // server's open connections at the end (-1: unknown)
	ConnsSettleMS    float64      `json:"conns_settle_ms"`              // time for that count to reach 0
	MetricsError     string       `json:"metrics_error,omitempty"`
	Verdict          string       `json:"verdict"` // pass or fail
	Reasons          []string     `json:"reasons,omitempty"`
}

// SoakStats are the soak scenario's cycles and verdict.
type SoakStats struct {
	CyclesDone   int         `json:"cycles_done"`
	Cycles       []SoakCycle `json:"cycles"`
	ConnsNotZero int         `json:"conns_not_zero"` // cycles after which the server's count stayed above 0
	RSSFirstKB   int64       `json:"rss_first_kb,omitempty"`
	RSSLastKB    int64       `json:"rss_last_kb,omitempty"`
	RSSMaxKB     int64       `json:"rss_max_kb,omitempty"`
	RSSGrowths   int         `json:"rss_growths"` // cycles whose end RSS was above the previous cycle's
	MetricsError string      `json:"metrics_error,omitempty"`
	Verdict      string      `json:"verdict"`
	Reasons      []string    `json:"reasons,omitempty"`
}

// SoakCycle is one open/echo/close cycle.
type SoakCycle struct {
	N           int     `json:"n"`
	DurationS   float64 `json:"duration_s"`
	Opened      uint64  `json:"opened"`
	Received    uint64  `json:"received"`
	Errors      uint64  `json:"errors"`
	P99         float64 `json:"p99_ms"`
	RSSKB       int64   `json:"rss_kb,omitempty"` // server RSS at the end of the cycle
	ServerConns int     `json:"server_conns"`     // server's open connections after the cycle (-1: unknown)
	SettleMS    float64 `json:"settle_ms"`        // time for that count to reach 0
}

// failed reports whether a hostile or soak verdict is a failure.
func (r *Result) failed() bool {
	return (r.Hostile != nil && r.Hostile.Verdict == VerdictFail) || (r.Soak != nil && r.Soak.Verdict == VerdictFail)
}

// writeHostileRows adds the hostile scenario's rows to the summary.
func (r *Result) writeHostileRows(row func(k, format string, a ...any)) {
	h := r.Hostile
	if h == nil {
		return
	}
	bl := h.BaselineLatency
	row("baseline", "%.2f s  p50 %.3f  p99 %.3f  max %.3f ms  (n=%d)  errors %d", h.BaselineS, bl.P50, bl.P99, bl.Max, bl.Count, h.BaselineErrors)
	row("under attack", "%.2f s  p50 %.3f  p99 %.3f  max %.3f ms  (n=%d)  errors %d  p99 x%.2f of baseline",
		h.AttackS, r.Latency.P50, r.Latency.P99, r.Latency.Max, r.Latency.Count, h.AttackErrors, h.P99Ratio)
	for _, k := range attackOrder(r.Attacks) {
		a := r.Attacks[k]
		var parts []string
		for _, o := range sortedKinds(a.Outcomes) {
			parts = append(parts, fmt.Sprintf("%s=%d", o, a.Outcomes[o]))
		}
		line := fmt.Sprintf("%d tries  %s", a.Attempts, strings.Join(parts, " "))
		if a.MaxCloseMS > 0 {
			line += fmt.Sprintf("  max close %.0f ms", a.MaxCloseMS)
		}
		if a.Pongs > 0 {
			line += fmt.Sprintf("  pongs %d", a.Pongs)
		}
		if a.NotRun > 0 {
			line += fmt.Sprintf("  (%d not run)", a.NotRun)
		}
		if a.Failures > 0 {
			line += fmt.Sprintf("  FAILURES %d: %s", a.Failures, a.FailureSample)
		}
		row("  "+k, "%s", line)
	}
	if h.RSSBaselineKB > 0 {
		row("server rss", "baseline %d KB  attack peak %d KB (%+d KB)  after %d KB",
			h.RSSBaselineKB, h.RSSAttackPeakKB, h.RSSAttackPeakKB-h.RSSBaselineKB, h.RSSAfterKB)
	}
	switch {
	case h.MetricsError != "":
		row("server conns", "unknown (%s)", h.MetricsError)
	default:
		row("server conns", "%d open at the end (settled in %.0f ms)", h.ServerConnsAfter, h.ConnsSettleMS)
	}
	row("verdict", "%s", verdictLine(h.Verdict, h.Reasons))
}

// writeSoakRows adds the soak scenario's rows to the summary: every cycle
// when there are at most 30, else 30 spread evenly (the JSON has all).
func (r *Result) writeSoakRows(row func(k, format string, a ...any)) {
	s := r.Soak
	if s == nil {
		return
	}
	n := len(s.Cycles)
	shown := 0
	for i, c := range s.Cycles {
		if n > 30 && i != n-1 && i*30/n == (i+1)*30/n {
			continue
		}
		shown++
		conns := "?"
		if c.ServerConns >= 0 {
			conns = fmt.Sprintf("%d (%.0f ms)", c.ServerConns, c.SettleMS)
		}
		row(fmt.Sprintf("  cycle %d", c.N), "%.2f s  opened %d  echoes %d  errors %d  p99 %.3f ms  server rss %d KB  server conns after %s",
			c.DurationS, c.Opened, c.Received, c.Errors, c.P99, c.RSSKB, conns)
	}
	row("soak", "%d cycles (%d shown)  rss first %d KB  last %d KB  max %d KB  grew in %d cycles  conns not back to 0 after %d cycles",
		s.CyclesDone, shown, s.RSSFirstKB, s.RSSLastKB, s.RSSMaxKB, s.RSSGrowths, s.ConnsNotZero)
	if s.MetricsError != "" {
		row("soak note", "server connection count unknown: %s", s.MetricsError)
	}
	row("verdict", "%s", verdictLine(s.Verdict, s.Reasons))
}

func verdictLine(v string, reasons []string) string {
	if len(reasons) == 0 {
		return strings.ToUpper(v)
	}
	return strings.ToUpper(v) + ": " + strings.Join(reasons, "; ")
}

// attackOrder returns the keys of m in AttackKinds order.
func attackOrder(m map[string]*AttackStats) []string {
	var out []string
	for _, k := range AttackKinds {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for k := range m {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
