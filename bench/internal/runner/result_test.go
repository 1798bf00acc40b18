package runner

import (
	"os"
	"strings"
	"testing"
)

func TestParseLoadResultFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/echo_result.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseLoadResult(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages.PerSec != 150000 || r.Latency.P99 != 3.25 || r.Server == nil || r.Server.CPUPerMMsgs != 6.6 || r.Server.BytesPerConn != 32768 {
		t.Fatalf("parsed %+v", r)
	}
	checks := []struct {
		name string
		m    Metric
		want float64
	}{
		{name: "msgs/s", m: MetricMsgsPerSec, want: 150000},
		{name: "cpu", m: MetricCPUPerMMsgs, want: 6.6},
		{name: "p50", m: MetricP50, want: 0.8},
		{name: "p99", m: MetricP99, want: 3.25},
		{name: "bytes/conn", m: MetricBytesPerConn, want: 32768},
		{name: "peak rss MB", m: MetricRSSPeakMB, want: 42000.0 / 1024},
	}
	for _, c := range checks {
		got, ok := c.m.Value(r)
		if !ok || got != c.want {
			t.Errorf("%s = %v (%v), want %v", c.name, got, ok, c.want)
		}
	}
}

func TestParseLoadResultRejects(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{name: "not json", in: "hello", want: "loadtest JSON"},
		{name: "wrong schema", in: `{"schema":"other/v1"}`, want: "schema"},
		{name: "no schema", in: `{}`, want: "schema"},
	}
	for _, c := range cases {
		_, err := ParseLoadResult([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

func TestMetricsMissingServer(t *testing.T) {
	r, err := ParseLoadResult([]byte(`{"schema":"wsloop.loadtest/v1","messages":{"received":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Metric{MetricBytesPerConn, MetricCPUPerMMsgs, MetricMsgsPerSec, MetricP99, MetricRSSPeakMB} {
		if _, ok := m.Value(r); ok {
			t.Errorf("%s: reported a value for a result without it", m.Name)
		}
	}
}
