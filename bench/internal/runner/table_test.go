package runner

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

var testImpls = []string{"wsloop", "gorilla", "gws", "nbio"}

func echoScenario() Scenario {
	return Scenario{Name: "echo-64B-if1", Label: "64B ×1", Group: GroupEcho, Load: LoadSpec{Scenario: "echo", Conns: 10, Size: 64, Inflight: 1},
		Metrics: []Metric{MetricMsgsPerSec, MetricCPUPerMMsgs, MetricP99}}
}

func idleScenario() Scenario {
	return Scenario{Name: "idle-100", Label: "100 idle", Group: GroupIdle, Load: LoadSpec{Scenario: "idle", Conns: 100},
		Metrics: []Metric{MetricBytesPerConn}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRowsRatiosHigherBetter(t *testing.T) {
	recs := []*Record{
		fixture("wsloop", "echo-64B-if1", 300, 1, 0, 2),
		fixture("gorilla", "echo-64B-if1", 100, 4, 0, 8),
		fixture("gws", "echo-64B-if1", 150, 3, 0, 6),
		fixture("nbio", "echo-64B-if1", 120, 3, 0, 7),
		fixture("gws", "other", 999, 1, 0, 1), // another scenario: ignored
	}
	rows := Rows(echoScenario(), testImpls, recs)
	want := map[string]struct{ base, best float64 }{
		"wsloop":  {3, 2},
		"gorilla": {1, 100.0 / 150},
		"gws":     {1.5, 1},
		"nbio":    {1.2, 0.8},
	}
	for _, r := range rows {
		w := want[r.Impl]
		if !near(r.VsBase, w.base) || !near(r.VsBest, w.best) {
			t.Errorf("%s: vs base %v vs best %v, want %v %v", r.Impl, r.VsBase, r.VsBest, w.base, w.best)
		}
		if r.BestPeer != "gws" {
			t.Errorf("%s: best peer %q, want gws (wsloop is not a peer)", r.Impl, r.BestPeer)
		}
	}
	if rows[0].Values[1] != 2 || rows[0].Values[2] != 1 {
		t.Errorf("wsloop secondary values %v", rows[0].Values)
	}
}

func TestRowsRatiosLowerBetterAndFailures(t *testing.T) {
	recs := []*Record{
		fixture("wsloop", "idle-100", 0, 0, 2000, 0),
		fixture("gorilla", "idle-100", 0, 0, 20000, 0),
		fixture("gws", "idle-100", 0, 0, 10000, 0),
		{Impl: "nbio", Scenario: "idle-100", Error: "server: boom"},
	}
	rows := Rows(idleScenario(), testImpls, recs)
	if !near(rows[0].VsBase, 0.1) || !near(rows[0].VsBest, 0.2) || rows[0].BestPeer != "gws" {
		t.Errorf("wsloop row %+v: want 0.1× gorilla, 0.2× best peer gws (lowest)", rows[0])
	}
	if rows[3].Err != "server: boom" || !math.IsNaN(rows[3].Values[0]) || !math.IsNaN(rows[3].VsBase) {
		t.Errorf("failed nbio row %+v", rows[3])
	}
	// No baseline: ratios to gorilla are unknown, best peer still computed.
	rows = Rows(idleScenario(), testImpls, recs[:1])
	if !math.IsNaN(rows[0].VsBase) || !math.IsNaN(rows[0].VsBest) || rows[1].Err != "not run" {
		t.Errorf("without peers: %+v", rows)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{in: 1234567.4, want: "1,234,567"},
		{in: 999.6, want: "1,000"},
		{in: 150.2, want: "150"},
		{in: 12.34, want: "12.3"},
		{in: 0.01234, want: "0.0123"},
		{in: 0, want: "0"},
		{in: math.NaN(), want: "—"},
	}
	for _, c := range cases {
		if got := FormatValue(c.in); got != c.want {
			t.Errorf("FormatValue(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := FormatRatio(1.234); got != "1.23×" {
		t.Errorf("FormatRatio = %q", got)
	}
	if got := FormatRatio(math.Inf(1)); got != "—" {
		t.Errorf("FormatRatio(Inf) = %q", got)
	}
}

func TestWriteMarkdown(t *testing.T) {
	rep := &Report{
		Machine: Machine{Date: "2025-01-01 00:00 UTC", NumCPU: 2, CPUModel: "Test CPU", GoVersion: "go1.26", OS: "linux/amd64"},
		Command: "benchrun -quick",
		Records: []*Record{
			fixture("wsloop", "echo-64B-if1", 300000, 1, 0, 2),
			fixture("gorilla", "echo-64B-if1", 100000, 4, 0, 8),
			{Impl: "gws", Scenario: "echo-64B-if1", Error: "loadtest | timed out"},
		},
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, rep, []Scenario{echoScenario()}, testImpls); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"- date: 2025-01-01 00:00 UTC",
		"- machine: 2 CPUs, Test CPU, linux/amd64",
		"- Go: go1.26",
		"`benchrun -quick`",
		"## echo-64B-if1",
		"| impl | msgs/s | vs gorilla | vs best peer | CPU s/M msgs | p99 ms | note |",
		"| wsloop | 300,000 | 3.00× | 3.00× | 2 | 1 |",
		"| gorilla | 100,000 | 1.00× | 1.00× | 8 | 4 | best peer |",
		"| gws | — | — | — | — | — | loadtest \\| timed out |",
		"| nbio | — | — | — | — | — | not run |",
		"higher is better",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if got := strings.Count(md, "\n|---|"); got != 1 {
		t.Errorf("%d table separators, want 1", got)
	}
}
