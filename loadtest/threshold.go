package loadtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Threshold is a pass/fail condition on a run's result, such as
// "p99<50ms", "errors==0" or "rate>=10000". The metrics:
//
//	p50 p90 p99 p999 max mean   latency (a duration: 50ms, 1.5s, 800us; a bare number is ms)
//	hs_p99 hs_max               handshake latency
//	rate                        messages received per second in the traffic window
//	errors                      errors of every kind
//	missing skipped             messages never answered; paced sends skipped
//	opened                      connections opened
//
// The operators are < <= > >= == !=.
type Threshold struct {
	Expr   string  // as given
	Metric string  // one of the metrics above
	Op     string  // comparison
	Value  float64 // right-hand side, latencies in ms
}

// ThresholdResult is a Threshold judged against a Result.
type ThresholdResult struct {
	Expr   string  `json:"expr"`
	Actual float64 `json:"actual"` // the metric's value (latencies in ms)
	Pass   bool    `json:"pass"`
}

// thresholdMetrics maps each metric to its value in a Result and whether it
// is a latency.
var thresholdMetrics = map[string]struct {
	get     func(*Result) float64
	latency bool
}{
	"p50":     {func(r *Result) float64 { return r.Latency.P50 }, true},
	"p90":     {func(r *Result) float64 { return r.Latency.P90 }, true},
	"p99":     {func(r *Result) float64 { return r.Latency.P99 }, true},
	"p999":    {func(r *Result) float64 { return r.Latency.P999 }, true},
	"max":     {func(r *Result) float64 { return r.Latency.Max }, true},
	"mean":    {func(r *Result) float64 { return r.Latency.Mean }, true},
	"hs_p99":  {func(r *Result) float64 { return r.Handshake.P99 }, true},
	"hs_max":  {func(r *Result) float64 { return r.Handshake.Max }, true},
	"rate":    {func(r *Result) float64 { return r.Messages.PerSec }, false},
	"errors":  {func(r *Result) float64 { return float64(r.ErrorsTotal) }, false},
	"missing": {func(r *Result) float64 { return float64(r.Messages.Missing) }, false},
	"skipped": {func(r *Result) float64 { return float64(r.Messages.Skipped) }, false},
	"opened":  {func(r *Result) float64 { return float64(r.Connections.Opened) }, false},
}

// ParseThreshold parses "metric op value".
func ParseThreshold(s string) (Threshold, error) {
	expr := strings.ReplaceAll(s, " ", "")
	i := strings.IndexAny(expr, "<>=!")
	if i <= 0 {
		return Threshold{}, fmt.Errorf("threshold %q: want metric, operator, value (e.g. p99<50ms)", s)
	}
	t := Threshold{Expr: s, Metric: strings.ToLower(expr[:i])}
	rest := expr[i:]
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			t.Op, rest = op, rest[len(op):]
			break
		}
	}
	m, ok := thresholdMetrics[t.Metric]
	switch {
	case t.Op == "":
		return t, fmt.Errorf("threshold %q: unknown operator (want < <= > >= == !=)", s)
	case !ok:
		return t, fmt.Errorf("threshold %q: unknown metric %q", s, t.Metric)
	}
	v, err := strconv.ParseFloat(rest, 64)
	if err != nil && m.latency {
		var d time.Duration
		if d, err = time.ParseDuration(rest); err == nil {
			v = float64(d) / float64(time.Millisecond)
		}
	}
	if err != nil {
		return t, fmt.Errorf("threshold %q: bad value %q", s, rest)
	}
	t.Value = v
	return t, nil
}

// Judge evaluates t against r.
func (t Threshold) Judge(r *Result) ThresholdResult {
	a := thresholdMetrics[t.Metric].get(r)
	var pass bool
	switch t.Op {
	case "<":
		pass = a < t.Value
	case "<=":
		pass = a <= t.Value
	case ">":
		pass = a > t.Value
	case ">=":
		pass = a >= t.Value
	case "==":
		pass = a == t.Value
	case "!=":
		pass = a != t.Value
	}
	return ThresholdResult{Expr: t.Expr, Actual: a, Pass: pass}
}

// JudgeThresholds evaluates ts against r, records the outcomes in
// r.Thresholds and reports whether all passed.
func (r *Result) JudgeThresholds(ts []Threshold) bool {
	r.Thresholds = r.Thresholds[:0]
	ok := true
	for _, t := range ts {
		tr := t.Judge(r)
		ok = ok && tr.Pass
		r.Thresholds = append(r.Thresholds, tr)
	}
	return ok
}
