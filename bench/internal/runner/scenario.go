package runner

import (
	"fmt"
	"strconv"
	"time"
)

// Scenario groups: one table section and one chart family each.
const (
	GroupIdle      = "idle"
	GroupEcho      = "echo"
	GroupBroadcast = "broadcast"
	GroupTLS       = "tls"
)

// Metric is one figure taken from a Result.
type Metric struct {
	Name         string // column title, e.g. "msgs/s"
	HigherBetter bool
	Value        func(*LoadResult) (float64, bool) // false when the Result lacks it
}

// Scenario is one loadtest run shape, run once per implementation.
type Scenario struct {
	Name    string   // unique, e.g. "echo-1KiB-if16"
	Label   string   // short chart label, e.g. "1 KiB ×16"
	Group   string   // GroupIdle, GroupEcho, ...
	Mode    string   // benchserver mode: echo or broadcast
	TLS     bool     // needs a TLS server (hook; no server supports it yet)
	Load    LoadSpec // what the loadtest does
	Metrics []Metric // Metrics[0] is the key metric (ratios, chart)
	Timeout time.Duration
}

// LoadSpec is the loadtest side of a scenario, turned into CLI flags by
// LoadArgs.
type LoadSpec struct {
	Scenario string // loadtest scenario: idle, echo, broadcast, handshake
	Conns    int
	Duration time.Duration
	Size     int
	Inflight int
	Rate     float64
	Binary   bool
	Sources  int // source addresses 127.0.0.1..N (0: kernel chooses)
}

// Metrics used by the scenarios.
var (
	MetricBytesPerConn = Metric{Name: "bytes/conn", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.Server.BytesPerConn <= 0 {
			return 0, false
		}
		return r.Server.BytesPerConn, true
	}}
	MetricMsgsPerSec = Metric{Name: "msgs/s", HigherBetter: true, Value: func(r *LoadResult) (float64, bool) {
		return r.Messages.PerSec, r.Messages.Received > 0
	}}
	MetricDeliveriesPerSec = Metric{Name: "deliveries/s", HigherBetter: true, Value: func(r *LoadResult) (float64, bool) {
		return r.Messages.PerSec, r.Messages.Received > 0
	}}
	MetricCPUPerMMsgs = Metric{Name: "CPU s/M msgs", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.Server.CPUPerMMsgs <= 0 {
			return 0, false
		}
		return r.Server.CPUPerMMsgs, true
	}}
	MetricP50 = Metric{Name: "p50 ms", Value: func(r *LoadResult) (float64, bool) {
		return r.Latency.P50, r.Latency.Count > 0
	}}
	MetricP99 = Metric{Name: "p99 ms", Value: func(r *LoadResult) (float64, bool) {
		return r.Latency.P99, r.Latency.Count > 0
	}}
	MetricMissing = Metric{Name: "missing", Value: func(r *LoadResult) (float64, bool) {
		return float64(r.Messages.Missing), true
	}}
	MetricHandshakesPerSec = Metric{Name: "handshakes/s", HigherBetter: true, Value: func(r *LoadResult) (float64, bool) {
		return r.Connections.PerSec, r.Connections.PerSec > 0
	}}
	MetricRSSPeakMB = Metric{Name: "server peak RSS MB", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.Server.RSSPeakKB <= 0 {
			return 0, false
		}
		return float64(r.Server.RSSPeakKB) / 1024, true
	}}
)

// Plan sizes the scenario set.
type Plan struct {
	Quick         bool
	TLS           bool    // include the TLS scenarios (hook)
	BroadcastRate float64 // broadcast sender msgs/s (0: default)
}

// sizeLabel renders 64 → "64B", 1024 → "1KiB".
func sizeLabel(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// Scenarios returns the scenarios of p in run order.
func (p Plan) Scenarios() []Scenario {
	idleConns, echoConns, bcConns := 10000, 1000, 10000
	idleDur, echoDur, bcDur := 5*time.Second, 10*time.Second, 10*time.Second
	sizes := []int{64, 1024, 16384}
	rate := p.BroadcastRate
	if rate <= 0 {
		rate = 20
	}
	if p.Quick {
		idleConns, echoConns, bcConns = 2000, 200, 1000
		idleDur, echoDur, bcDur = 2*time.Second, 3*time.Second, 3*time.Second
		sizes = []int{64, 16384}
	}
	var out []Scenario
	out = append(out, Scenario{
		Name: fmt.Sprintf("idle-%d", idleConns), Label: fmt.Sprintf("%d idle", idleConns),
		Group: GroupIdle, Mode: "echo",
		Load:    LoadSpec{Scenario: "idle", Conns: idleConns, Duration: idleDur, Sources: sourcesFor(idleConns)},
		Metrics: []Metric{MetricBytesPerConn, MetricRSSPeakMB},
	})
	for _, size := range sizes {
		for _, inflight := range []int{1, 16} {
			out = append(out, Scenario{
				Name:  fmt.Sprintf("echo-%s-if%d", sizeLabel(size), inflight),
				Label: fmt.Sprintf("%s ×%d", sizeLabel(size), inflight),
				Group: GroupEcho, Mode: "echo",
				Load:    LoadSpec{Scenario: "echo", Conns: echoConns, Duration: echoDur, Size: size, Inflight: inflight, Binary: true},
				Metrics: []Metric{MetricMsgsPerSec, MetricCPUPerMMsgs, MetricP50, MetricP99},
			})
		}
	}
	out = append(out, Scenario{
		Name: fmt.Sprintf("broadcast-%d", bcConns), Label: fmt.Sprintf("%d receivers", bcConns),
		Group: GroupBroadcast, Mode: "broadcast",
		Load:    LoadSpec{Scenario: "broadcast", Conns: bcConns, Duration: bcDur, Size: 64, Rate: rate, Sources: sourcesFor(bcConns)},
		Metrics: []Metric{MetricDeliveriesPerSec, MetricP99, MetricCPUPerMMsgs, MetricMissing},
	})
	// The same at a send rate no server can follow on one core: the
	// deliveries per second it manages is its broadcast capacity.
	maxRate := 100.0
	if p.Quick {
		maxRate = 200
	}
	out = append(out, Scenario{
		Name: fmt.Sprintf("broadcast-%d-max", bcConns), Label: fmt.Sprintf("%d receivers, saturated", bcConns),
		Group: GroupBroadcast, Mode: "broadcast",
		Load:    LoadSpec{Scenario: "broadcast", Conns: bcConns, Duration: bcDur, Size: 64, Rate: maxRate, Sources: sourcesFor(bcConns)},
		Metrics: []Metric{MetricDeliveriesPerSec, MetricCPUPerMMsgs, MetricMissing},
	})
	if p.TLS {
		out = append(out, tlsScenarios(idleConns, idleDur)...)
	}
	for i := range out {
		out[i].Timeout = runTimeout(out[i].Load)
	}
	return out
}

// tlsScenarios is the hook for TLS idle memory and handshake rate. They run
// only with -tls and need servers that serve wss (none of the bench servers
// does yet: Runner marks them failed with a clear error).
func tlsScenarios(conns int, d time.Duration) []Scenario {
	return []Scenario{
		{
			Name: fmt.Sprintf("tls-idle-%d", conns), Label: "TLS idle", Group: GroupTLS, Mode: "echo", TLS: true,
			Load:    LoadSpec{Scenario: "idle", Conns: conns, Duration: d, Sources: sourcesFor(conns)},
			Metrics: []Metric{MetricBytesPerConn},
		},
		{
			Name: "tls-handshake", Label: "TLS handshakes", Group: GroupTLS, Mode: "echo", TLS: true,
			Load:    LoadSpec{Scenario: "handshake", Conns: 64, Duration: d},
			Metrics: []Metric{MetricHandshakesPerSec},
		},
	}
}

// sourcesFor spreads many connections over several loopback source
// addresses so the ephemeral port range is never the limit.
func sourcesFor(conns int) int {
	if conns <= 5000 {
		return 0
	}
	return (conns + 4999) / 5000
}

// runTimeout bounds one loadtest run: its duration plus generous time to
// ramp up and close.
func runTimeout(l LoadSpec) time.Duration {
	return l.Duration + 30*time.Second + time.Duration(l.Conns)*2*time.Millisecond
}
