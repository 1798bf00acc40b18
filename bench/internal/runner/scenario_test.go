package runner

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var fixedTime = time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)

func TestPlanScenarios(t *testing.T) {
	full := Plan{}.Scenarios()
	names := make([]string, len(full))
	for i, s := range full {
		names[i] = s.Name
	}
	want := []string{"idle-10000", "echo-64B-if1", "echo-64B-if16", "echo-1KiB-if1", "echo-1KiB-if16", "echo-16KiB-if1", "echo-16KiB-if16", "broadcast-10000", "broadcast-10000-max"}
	if !slices.Equal(names, want) {
		t.Fatalf("full plan %v, want %v", names, want)
	}
	var budget time.Duration
	for _, s := range full {
		if s.Timeout <= s.Load.Duration || len(s.Metrics) == 0 {
			t.Errorf("%s: timeout %v, metrics %d", s.Name, s.Timeout, len(s.Metrics))
		}
		if s.Load.Conns >= 10000 && s.Load.Sources < 2 {
			t.Errorf("%s: %d conns from %d sources", s.Name, s.Load.Conns, s.Load.Sources)
		}
		budget += s.Load.Duration + 5*time.Second // ramp, server start, close
	}
	if budget*6 > 20*time.Minute {
		t.Errorf("full plan needs about %v for 6 impls, over 20 minutes", budget*6)
	}
	quick := Plan{Quick: true}.Scenarios()
	budget = 0
	for _, s := range quick {
		budget += s.Load.Duration + 4*time.Second
	}
	if budget*6 > 5*time.Minute || len(quick) >= len(full) {
		t.Errorf("quick plan: %d scenarios, about %v for 6 impls", len(quick), budget*6)
	}
	if tls := (Plan{TLS: true}).Scenarios(); !tls[len(tls)-1].TLS {
		t.Error("-tls adds no TLS scenario")
	}
}

func TestLoadArgs(t *testing.T) {
	spec := LoadSpec{Scenario: "echo", Conns: 1000, Duration: 10 * time.Second, Size: 1024, Inflight: 16, Binary: true}
	got := strings.Join(LoadArgs(spec, "ws://127.0.0.1:1/", 42, "/tmp/r.json"), " ")
	want := "-url ws://127.0.0.1:1/ -scenario echo -conns 1000 -duration 10s -size 1024 -inflight 16 -binary -server-pid 42 -json /tmp/r.json"
	if got != want {
		t.Errorf("LoadArgs\n got %s\nwant %s", got, want)
	}
	bc := LoadSpec{Scenario: "broadcast", Conns: 10000, Duration: time.Second, Rate: 20, Sources: 2}
	got = strings.Join(LoadArgs(bc, "ws://x/", 0, "o.json"), " ")
	if !strings.Contains(got, "-rate 20 -sources 2 -json o.json") || strings.Contains(got, "-server-pid") || strings.Contains(got, "-binary") {
		t.Errorf("broadcast args %s", got)
	}
}

func TestFilterScenarios(t *testing.T) {
	all := Plan{}.Scenarios()
	if got := FilterScenarios(all, nil); len(got) != len(all) {
		t.Errorf("no filter kept %d of %d", len(got), len(all))
	}
	got := FilterScenarios(all, []string{"16KiB", "idle"})
	if len(got) != 3 || got[0].Name != "idle-10000" {
		t.Errorf("filter kept %v", got)
	}
}

func TestCPUModel(t *testing.T) {
	if got := cpuModel("testdata/cpuinfo"); got != "Example CPU @ 2.00GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel("testdata/missing"); got != "unknown" {
		t.Errorf("cpuModel(missing) = %q", got)
	}
	m := DetectMachine(fixedTime)
	if m.Date != "2025-01-02 03:04 UTC" || m.NumCPU < 1 || !strings.HasPrefix(m.GoVersion, "go") {
		t.Errorf("machine %+v", m)
	}
}
