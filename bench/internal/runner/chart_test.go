package runner

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestChartData(t *testing.T) {
	sc2 := echoScenario()
	sc2.Name, sc2.Label = "echo-16KiB-if16", "16KiB ×16"
	recs := []*Record{
		fixture("wsloop", "echo-64B-if1", 300, 1, 0, 2),
		fixture("gorilla", "echo-64B-if1", 100, 4, 0, 8),
		fixture("wsloop", "echo-16KiB-if16", 50, 9, 0, 20),
	}
	spec := ChartSpec{File: "x", Groups: []string{GroupEcho}, Metric: MetricMsgsPerSec.Name}
	labels, values, ok := ChartData(spec, []Scenario{echoScenario(), sc2, idleScenario()}, []string{"wsloop", "gorilla"}, recs)
	if !ok || len(labels) != 2 || labels[0] != "64B ×1" || labels[1] != "16KiB ×16" {
		t.Fatalf("labels %v ok %v", labels, ok)
	}
	if w := values["wsloop"]; len(w) != 2 || w[0] != 300 || w[1] != 50 {
		t.Errorf("wsloop values %v", w)
	}
	if g := values["gorilla"]; len(g) != 2 || g[0] != 100 || !math.IsNaN(g[1]) {
		t.Errorf("gorilla values %v (second must be NaN: not run)", g)
	}
	if _, _, ok := ChartData(ChartSpec{Groups: []string{GroupBroadcast}, Metric: MetricP99.Name}, []Scenario{echoScenario()}, testImpls, recs); ok {
		t.Error("ChartData reported data for a group with no scenario")
	}
}

func TestWriteCharts(t *testing.T) {
	dir := t.TempDir()
	recs := []*Record{
		fixture("wsloop", "echo-64B-if1", 300, 1, 0, 2),
		fixture("gorilla", "echo-64B-if1", 100, 4, 0, 8),
		{Impl: "gws", Scenario: "echo-64B-if1", Error: "failed"},
		fixture("wsloop", "idle-100", 0, 0, 2000, 0),
	}
	written, err := WriteCharts(dir, DefaultCharts, []Scenario{echoScenario(), idleScenario()}, testImpls, recs)
	if err != nil {
		t.Fatal(err)
	}
	// echo-throughput, echo-cpu, echo-p99 and idle-memory have data; the
	// broadcast and TLS charts have no scenario and are skipped.
	want := map[string]bool{"idle-memory": true, "echo-throughput": true, "echo-cpu": true, "echo-p99": true}
	if len(written) != len(want) {
		t.Fatalf("wrote %v, want %v", written, want)
	}
	for _, base := range written {
		if !want[base] {
			t.Errorf("unexpected chart %s", base)
		}
		png, err := os.ReadFile(filepath.Join(dir, base+".png"))
		if err != nil || len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("%s.png: %d bytes, err %v", base, len(png), err)
		}
		svg, err := os.ReadFile(filepath.Join(dir, base+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("wsloop")) {
			t.Errorf("%s.svg: %d bytes, err %v, want an SVG naming the impls", base, len(svg), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "broadcast-p99.png")); !os.IsNotExist(err) {
		t.Errorf("broadcast chart written without data: %v", err)
	}
}

func TestWriteOutputs(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{Machine: DetectMachine(fixedTime), Command: "benchrun", Records: []*Record{fixture("gorilla", "idle-100", 0, 0, 5000, 0)}}
	if err := WriteOutputs(dir, rep, []Scenario{idleScenario()}, testImpls); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.json", "results.md", "idle-memory.png", "idle-memory.svg"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if !bytes.Contains(b, []byte(`"bytes_per_conn": 5000`)) {
		t.Errorf("results.json does not keep the raw Result:\n%s", b)
	}
}
