package runner

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		in          []float64
		med, lo, hi float64
	}{
		{in: []float64{5}, med: 5, lo: 5, hi: 5},
		{in: []float64{14.6, 12.9, 13.8}, med: 13.8, lo: 12.9, hi: 14.6},
		{in: []float64{4, 1, 3, 2}, med: 2.5, lo: 1, hi: 4},
		{in: []float64{7, 7, 1}, med: 7, lo: 1, hi: 7},
	}
	for _, c := range cases {
		in := append([]float64(nil), c.in...)
		med, lo, hi := Median(in)
		if !near(med, c.med) || lo != c.lo || hi != c.hi {
			t.Errorf("Median(%v) = %v %v %v, want %v %v %v", c.in, med, lo, hi, c.med, c.lo, c.hi)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("Median reordered its input: %v", in)
			}
		}
	}
	if m, lo, hi := Median(nil); !math.IsNaN(m) || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("Median(nil) = %v %v %v, want NaN", m, lo, hi)
	}
}

func handshakeScenario() Scenario {
	for _, s := range (Plan{}).Scenarios() {
		if s.Name == "tls-handshake" {
			return s
		}
	}
	panic("no tls-handshake scenario")
}

func TestHandshakeMetrics(t *testing.T) {
	r := handshakeFixture("wsloop", 1, 1723, 0.35, 4.2, 6).Result()
	sc := handshakeScenario()
	want := []float64{1723, 350, 70, 93} // handshakes/s, µs per handshake, server and client busy %
	for i, m := range sc.Metrics {
		v, ok := m.Value(r)
		if !ok || !near(v, want[i]) {
			t.Errorf("%s = %v (%v), want %v", m.Name, v, ok, want[i])
		}
	}
	if _, ok := MetricBusyPct.Value(&LoadResult{}); ok {
		t.Error("busy % without server figures reported a value")
	}
	if _, ok := MetricClientBusyPct.Value(&LoadResult{}); ok {
		t.Error("client busy % without client figures reported a value")
	}
}

func TestCPUAtRest(t *testing.T) {
	rec := fixtureDoc("wsloop", "idle-100", 0, map[string]any{
		"scenario": "idle", "traffic_s": 10.0,
		"server": map[string]any{"traffic_cpu_s": 0.04, "bytes_per_conn": 800},
	})
	v, ok := MetricCPUAtRest.Value(rec.Result())
	if !ok || !near(v, 4) {
		t.Errorf("CPU ms/s at rest = %v (%v), want 4 (0.04 s over 10 s)", v, ok)
	}
	if h, _ := MetricHoldS.Value(rec.Result()); h != 10 {
		t.Errorf("hold = %v, want 10", h)
	}
	zero := fixtureDoc("gorilla", "idle-100", 0, map[string]any{"traffic_s": 10.0, "server": map[string]any{"traffic_cpu_s": 0}})
	if v, ok := MetricCPUAtRest.Value(zero.Result()); !ok || v != 0 {
		t.Errorf("a server that used no CPU at rest: %v (%v), want 0", v, ok)
	}
	bad := fixtureDoc("gws", "idle-100", 0, map[string]any{"traffic_s": 10.0, "server": map[string]any{"traffic_cpu_s": 0, "sample_error": "no /proc"}})
	if _, ok := MetricCPUAtRest.Value(bad.Result()); ok {
		t.Error("CPU at rest reported despite a sampling error")
	}
}

// repeatedRecords: wsloop and gorilla three rounds each (one gorilla run
// failed), gobwas not applicable.
func repeatedRecords() []*Record {
	return []*Record{
		handshakeFixture("wsloop", 1, 1800, 0.34, 4, 6),
		handshakeFixture("gorilla", 1, 1900, 0.42, 4, 5),
		handshakeFixture("wsloop", 2, 2000, 0.36, 4, 6),
		{Impl: "gorilla", Scenario: "tls-handshake", Round: 2, Error: "loadtest timed out"},
		handshakeFixture("wsloop", 3, 1700, 0.35, 4, 6),
		handshakeFixture("gorilla", 3, 1500, 0.40, 4, 5),
		{Impl: "gobwas", Scenario: "tls-handshake", Round: 1, NA: "polls raw fds"},
	}
}

func TestRowsMedianOfRepeats(t *testing.T) {
	sc := handshakeScenario()
	rows := Rows(sc, []string{"wsloop", "gorilla", "gobwas"}, repeatedRecords())
	w, g, b := rows[0], rows[1], rows[2]
	if w.Runs != 3 || w.Failed != 0 || w.Values[0] != 1800 || w.Lo[0] != 1700 || w.Hi[0] != 2000 || !near(w.Values[1], 350) {
		t.Errorf("wsloop row %+v: want median 1800 (1700–2000), 350 µs", w)
	}
	if g.Runs != 2 || g.Failed != 1 || g.Values[0] != 1700 || g.Lo[0] != 1500 || g.Hi[0] != 1900 || g.Err != "loadtest timed out" {
		t.Errorf("gorilla row %+v: want median of the 2 good runs 1700", g)
	}
	if !near(w.VsBase, 1800.0/1700) || !near(w.VsBest, 1800.0/1700) || w.BestPeer != "gorilla" {
		t.Errorf("wsloop ratios %v %v (best %s), want medians 1800/1700", w.VsBase, w.VsBest, w.BestPeer)
	}
	if b.NA != "polls raw fds" || b.Runs != 0 || b.Failed != 0 || !math.IsNaN(b.Values[0]) {
		t.Errorf("gobwas row %+v: want n/a, not a failure", b)
	}
	_, values, ok := ChartData(ChartSpec{Groups: []string{GroupTLS}, Metric: MetricHandshakesPerSec.Name}, []Scenario{sc}, []string{"wsloop", "gorilla", "gobwas"}, repeatedRecords())
	if !ok || values["wsloop"][0] != 1800 || values["gorilla"][0] != 1700 {
		t.Errorf("chart values %v, want the medians", values)
	}
	if _, has := values["gobwas"]; has {
		t.Error("the chart has a (zero) bar for an implementation without any value")
	}
}

func TestWriteMarkdownRepeats(t *testing.T) {
	rep := &Report{Command: "benchrun", Records: repeatedRecords()}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, rep, []Scenario{handshakeScenario()}, []string{"wsloop", "gorilla", "gobwas"}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## tls-handshake",
		"Median of 3 runs (range).",
		"| impl | handshakes/s | vs gorilla | vs best peer | CPU µs/handshake | server busy % | client busy % | note |",
		"| wsloop | 1,800 (1,700–2,000) | 1.06× | 1.06× | 350 (340–360) | 66.7 (66.7–66.7) | 93.0 (93.0–93.0) |  |",
		"| gorilla | 1,700 (1,500–1,900) | 1.00× | 1.00× | 410 (400–420) | 80.0 (80.0–80.0) | 93.0 (93.0–93.0) | 1 of 3 runs failed: loadtest timed out |",
		"| gobwas | n/a | — | — | — | — | — | n/a: polls raw fds |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
