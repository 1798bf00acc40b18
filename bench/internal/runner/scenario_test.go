package runner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var fixedTime = time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)

// estimate is a generous guess of one run's wall time: the loadtest's
// duration (a handshake run ends after its cycles, at 1,000/s or more),
// plus server start, drain and close.
func estimate(s Scenario) time.Duration {
	d := s.Load.Duration
	if s.Load.Cycles > 0 {
		d = time.Duration(s.Load.Cycles) * time.Millisecond
	}
	return d + 5*time.Second
}

func TestPlanScenarios(t *testing.T) {
	full := Plan{}.Scenarios()
	names := make([]string, len(full))
	for i, s := range full {
		names[i] = s.Name
	}
	want := []string{"idle-10000", "echo-64B-if1", "echo-64B-if16", "echo-1KiB-if1", "echo-1KiB-if16", "echo-16KiB-if1", "echo-16KiB-if16", "broadcast-10000", "broadcast-10000-max", "tls-idle-10000", "tls-handshake", "tls-handshake-capped"}
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
		budget += estimate(s) * time.Duration(s.Repeat)
	}
	// The session bound (-max-time, 45 min by default) must cover it.
	if budget*6 > 40*time.Minute {
		t.Errorf("full plan needs about %v for 6 impls, over 40 minutes", budget*6)
	}
	quick := Plan{Quick: true}.Scenarios()
	budget = 0
	for _, s := range quick {
		budget += estimate(s) * time.Duration(s.Repeat)
	}
	if budget*6 > 9*time.Minute || len(quick) >= len(full) {
		t.Errorf("quick plan: %d scenarios, about %v for 6 impls", len(quick), budget*6)
	}
}

func TestPlanRepeat(t *testing.T) {
	repeats := func(p Plan) map[string]int {
		m := map[string]int{}
		for _, s := range p.Scenarios() {
			m[s.Name] = s.Repeat
		}
		return m
	}
	for name, n := range repeats(Plan{}) {
		want := 1
		if strings.HasPrefix(name, "tls-handshake") || strings.HasPrefix(name, "echo-16KiB-") || strings.HasPrefix(name, "echo-64KiB-") {
			want = 3
		}
		if n != want {
			t.Errorf("full %s: Repeat %d, want %d", name, n, want)
		}
	}
	for name, n := range repeats(Plan{Quick: true}) {
		if n != 1 {
			t.Errorf("quick %s: Repeat %d, want 1", name, n)
		}
	}
	for name, n := range repeats(Plan{Repeat: 2}) {
		if n != 2 {
			t.Errorf("-repeat 2: %s runs %d times", name, n)
		}
	}
}

func TestTLSScenarios(t *testing.T) {
	for _, p := range []Plan{{}, {Quick: true}} {
		byName := map[string]Scenario{}
		for _, s := range p.Scenarios() {
			byName[s.Name] = s
		}
		conns, hold := 10000, idleHold
		if p.Quick {
			conns, hold = 2000, idleHoldQuick
		}
		idle, ok := byName[fmt.Sprintf("tls-idle-%d", conns)]
		if !ok || !idle.Load.TLS || idle.Group != GroupTLS || idle.Metrics[0].Name != MetricBytesPerConn.Name {
			t.Fatalf("quick=%v: tls-idle scenario %+v", p.Quick, idle)
		}
		// Duration is the ramp plus the hold: room for the ramp at 700/s.
		if ramp := idle.Load.Duration - hold; ramp < time.Duration(conns)*time.Second/700 {
			t.Errorf("quick=%v: tls-idle leaves %v for ramping %d TLS connections", p.Quick, ramp, conns)
		}
		hs := byName["tls-handshake"]
		args := strings.Join(LoadArgs(hs.Load, "127.0.0.1:9", 7, "o.json"), " ")
		if !strings.HasPrefix(args, "-url wss://127.0.0.1:9/ -scenario handshake ") ||
			!strings.Contains(args, " -insecure ") || !strings.Contains(args, " -messages 5000 ") ||
			strings.Contains(args, "-dial-workers") || hs.Metrics[0].Name != MetricHandshakesPerSec.Name {
			t.Errorf("quick=%v: handshake args %q", p.Quick, args)
		}
		args = strings.Join(LoadArgs(idle.Load, "127.0.0.1:9", 7, "o.json"), " ")
		want := fmt.Sprintf("-url wss://127.0.0.1:9/ -scenario idle -conns %d -duration %v -insecure", conns, idle.Load.Duration)
		if !strings.HasPrefix(args, want) {
			t.Errorf("quick=%v: tls idle args %q, want prefix %q", p.Quick, args, want)
		}
		plain := byName[fmt.Sprintf("idle-%d", conns)]
		if plain.Load.Duration-hold < time.Duration(conns)*time.Second/2000 || plain.Metrics[1].Name != MetricCPUAtRest.Name {
			t.Errorf("quick=%v: idle scenario %+v", p.Quick, plain)
		}
		if a := strings.Join(LoadArgs(plain.Load, "h:1", 0, "o"), " "); strings.Contains(a, "insecure") || !strings.HasPrefix(a, "-url ws://h:1/ ") {
			t.Errorf("plain idle args %q", a)
		}
	}
	if (Plan{}).Scenarios()[0].Load.Duration-idleHold < 5*time.Second || idleHold != 10*time.Second {
		t.Errorf("full idle: duration %v, hold %v", (Plan{}).Scenarios()[0].Load.Duration, idleHold)
	}
}

func TestLoadArgs(t *testing.T) {
	spec := LoadSpec{Scenario: "echo", Conns: 1000, Duration: 10 * time.Second, Size: 1024, Inflight: 16, Binary: true}
	got := strings.Join(LoadArgs(spec, "127.0.0.1:1", 42, "/tmp/r.json"), " ")
	want := "-url ws://127.0.0.1:1/ -scenario echo -conns 1000 -duration 10s -size 1024 -inflight 16 -binary -server-pid 42 -json /tmp/r.json"
	if got != want {
		t.Errorf("LoadArgs\n got %s\nwant %s", got, want)
	}
	bc := LoadSpec{Scenario: "broadcast", Conns: 10000, Duration: time.Second, Rate: 20, Sources: 2}
	got = strings.Join(LoadArgs(bc, "x", 0, "o.json"), " ")
	if !strings.Contains(got, "-rate 20 -sources 2 -json o.json") || strings.Contains(got, "-server-pid") || strings.Contains(got, "-binary") {
		t.Errorf("broadcast args %s", got)
	}
}

func TestRunOrder(t *testing.T) {
	scs := []Scenario{{Name: "a", Repeat: 1}, {Name: "b", Repeat: 3}, {Name: "c"}}
	var got []string
	for _, st := range RunOrder(scs, []string{"x", "y"}) {
		got = append(got, fmt.Sprintf("%s/%s/%d", st.Scenario.Name, st.Impl, st.Round))
	}
	want := []string{"a/x/1", "a/y/1", "b/x/1", "b/y/1", "b/x/2", "b/y/2", "b/x/3", "b/y/3", "c/x/1", "c/y/1"}
	if !slices.Equal(got, want) {
		t.Errorf("RunOrder\n got %v\nwant %v", got, want)
	}
	names := []string{runName(Step{Scenario: scs[1], Impl: "x", Round: 2}), runName(Step{Scenario: scs[0], Impl: "y", Round: 1})}
	if names[0] != "x-b-r2" || names[1] != "y-a" {
		t.Errorf("run names %v", names)
	}
}

func TestFilterScenarios(t *testing.T) {
	all := Plan{}.Scenarios()
	if got := FilterScenarios(all, nil); len(got) != len(all) {
		t.Errorf("no filter kept %d of %d", len(got), len(all))
	}
	got := FilterScenarios(all, []string{"16KiB", "idle"})
	if len(got) != 4 || got[0].Name != "idle-10000" || got[3].Name != "tls-idle-10000" {
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

func TestCappedHandshakeScenario(t *testing.T) {
	for _, s := range (Plan{}).Scenarios() {
		switch s.Name {
		case "tls-handshake":
			if s.ServerCPUShare != 0 {
				t.Errorf("tls-handshake capped at %v", s.ServerCPUShare)
			}
		case "tls-handshake-capped":
			if s.ServerCPUShare != cappedShare || !s.Load.TLS || s.Load.Scenario != "handshake" {
				t.Errorf("tls-handshake-capped: %+v", s)
			}
			if d := describe(s); !strings.Contains(d, "60% of its core") {
				t.Errorf("description does not state the cap: %s", d)
			}
		}
	}
}
