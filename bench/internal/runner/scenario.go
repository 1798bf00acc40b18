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

// Scenario is one loadtest run shape, run Repeat times per implementation.
type Scenario struct {
	Name    string   // unique, e.g. "echo-1KiB-if16"
	Label   string   // short chart label, e.g. "1 KiB ×16"
	Group   string   // GroupIdle, GroupEcho, ...
	Mode    string   // benchserver mode: echo or broadcast
	Load    LoadSpec // what the loadtest does (Load.TLS: a wss:// server)
	Metrics []Metric // Metrics[0] is the key metric (ratios, chart)
	// Repeat is how many runs per implementation (at least 1); the table
	// shows the median of the runs with their range.
	Repeat int
	// ServerCPUShare, when set, gives the server only this share of its
	// core (a cgroup CPU quota), so that the server, not the load
	// generator, runs out of CPU first.
	ServerCPUShare float64
	Timeout        time.Duration
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
	Sources  int  // source addresses 127.0.0.1..N (0: kernel chooses)
	Cycles   int  // handshake: connect/upgrade/close cycles (0: until Duration)
	TLS      bool // wss:// with -insecure (the certificate is self-signed)
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
	// MetricCPUPerHandshake is the server's CPU time over the whole run
	// divided by the connections opened (cpu_s_per_kconn, in µs).
	MetricCPUPerHandshake = Metric{Name: "CPU µs/handshake", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.Server.CPUPerKConns <= 0 {
			return 0, false
		}
		return r.Server.CPUPerKConns * 1000, true
	}}
	// MetricBusyPct is the share of the traffic window the server's one
	// core was busy: traffic_cpu_s / traffic_s × 100.
	MetricBusyPct = Metric{Name: "server busy %", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.TrafficS <= 0 || r.Server.SampleError != "" {
			return 0, false
		}
		return r.Server.TrafficCPUS / r.TrafficS * 100, true
	}}
	// MetricClientBusyPct is the load generator's CPU over the run, in %
	// of its one core: near 100 the client, not the server, set the pace
	// (a TLS 1.3 client handshake costs more CPU than the server's).
	MetricClientBusyPct = Metric{Name: "client busy %", Value: func(r *LoadResult) (float64, bool) {
		return r.Client.CPUUtil * 100, r.Client.CPUUtil > 0
	}}
	// MetricCPUAtRest is the server's CPU while every connection is open
	// and idle: traffic_cpu_s / traffic_s × 1000. The idle scenario's
	// traffic window starts once the ramp has opened every connection, so
	// it is the hold only.
	MetricCPUAtRest = Metric{Name: "CPU ms/s at rest", Value: func(r *LoadResult) (float64, bool) {
		if r.Server == nil || r.TrafficS <= 0 || r.Server.SampleError != "" {
			return 0, false
		}
		return r.Server.TrafficCPUS / r.TrafficS * 1000, true
	}}
	// MetricHoldS is the idle hold (the traffic window) in seconds.
	MetricHoldS = Metric{Name: "hold s", Value: func(r *LoadResult) (float64, bool) {
		return r.TrafficS, r.TrafficS > 0
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
	BroadcastRate float64 // broadcast sender msgs/s (0: default)
	Repeat        int     // runs per implementation for every scenario (0: each scenario's own)
}

// Idle holds and the repeated scenarios.
const (
	idleHold      = 10 * time.Second // full run: connections held idle this long
	idleHoldQuick = 3 * time.Second
	// repeatNoisy is the full run's count for the scenarios whose figures
	// drift most from run to run (TLS handshakes, 16 and 64 KiB echo).
	repeatNoisy = 3
	// handshakeCycles is the TLS handshake scenario's connect/upgrade/close
	// cycles, run by the loadtest's default 64 dial workers.
	handshakeCycles = 5000
)

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
	hold, echoDur, bcDur := idleHold, 10*time.Second, 10*time.Second
	sizes := []int{64, 1024, 16384}
	noisy := repeatNoisy
	rate := p.BroadcastRate
	if rate <= 0 {
		rate = 20
	}
	if p.Quick {
		idleConns, echoConns, bcConns = 2000, 200, 1000
		hold, echoDur, bcDur = idleHoldQuick, 3*time.Second, 3*time.Second
		sizes = []int{64, 16384}
		noisy = 1
	}
	var out []Scenario
	out = append(out, Scenario{
		Name: fmt.Sprintf("idle-%d", idleConns), Label: fmt.Sprintf("%d idle", idleConns),
		Group: GroupIdle, Mode: "echo",
		Load:    LoadSpec{Scenario: "idle", Conns: idleConns, Duration: idleDuration(idleConns, hold, false), Sources: sourcesFor(idleConns)},
		Metrics: []Metric{MetricBytesPerConn, MetricCPUAtRest, MetricRSSPeakMB, MetricHoldS},
	})
	for _, size := range sizes {
		for _, inflight := range []int{1, 16} {
			out = append(out, Scenario{
				Name:  fmt.Sprintf("echo-%s-if%d", sizeLabel(size), inflight),
				Label: fmt.Sprintf("%s ×%d", sizeLabel(size), inflight),
				Group: GroupEcho, Mode: "echo",
				Load:    LoadSpec{Scenario: "echo", Conns: echoConns, Duration: echoDur, Size: size, Inflight: inflight, Binary: true},
				Metrics: []Metric{MetricMsgsPerSec, MetricCPUPerMMsgs, MetricP50, MetricP99},
				Repeat:  repeatFor(size, noisy),
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
	for _, sc := range tlsScenarios(idleConns, hold, noisy) {
		if p.Quick && sc.ServerCPUShare > 0 {
			continue // the quick set keeps one handshake run
		}
		out = append(out, sc)
	}
	for i := range out {
		out[i].Timeout = runTimeout(out[i].Load)
		if p.Repeat > 0 {
			out[i].Repeat = p.Repeat
		}
		out[i].Repeat = max(out[i].Repeat, 1)
	}
	return out
}

// repeatFor is the run count of an echo scenario with size-byte messages:
// 16 KiB and larger drift most from run to run.
func repeatFor(size, noisy int) int {
	if size >= 16384 {
		return noisy
	}
	return 1
}

// cappedShare is the server's share of its core in tls-handshake-capped:
// low enough that no server outruns the load generator on the other core.
const cappedShare = 0.6

// tlsScenarios measure wss: memory and CPU of idle TLS connections, and the
// TLS 1.3 handshake rate (ECDSA P-256, the session's certificate).
func tlsScenarios(conns int, hold time.Duration, repeat int) []Scenario {
	return []Scenario{
		{
			Name: fmt.Sprintf("tls-idle-%d", conns), Label: fmt.Sprintf("%d TLS idle", conns), Group: GroupTLS, Mode: "echo",
			Load:    LoadSpec{Scenario: "idle", Conns: conns, Duration: idleDuration(conns, hold, true), Sources: sourcesFor(conns), TLS: true},
			Metrics: []Metric{MetricBytesPerConn, MetricCPUAtRest, MetricRSSPeakMB, MetricHoldS},
		},
		{
			Name: "tls-handshake", Label: "TLS handshakes", Group: GroupTLS, Mode: "echo",
			Load:    LoadSpec{Scenario: "handshake", Conns: 64, Duration: 90 * time.Second, Cycles: handshakeCycles, TLS: true},
			Metrics: []Metric{MetricHandshakesPerSec, MetricCPUPerHandshake, MetricBusyPct, MetricClientBusyPct},
			Repeat:  repeat,
		},
		// The client's side of a TLS 1.3 handshake costs more CPU than
		// the server's, so with a core each the load generator is the
		// limit for every server. Here each server gets the same
		// share of its core and is the limit: the rate is what that
		// CPU buys.
		{
			Name: "tls-handshake-capped", Label: "TLS handshakes, 60% of a core", Group: GroupTLS, Mode: "echo",
			Load:           LoadSpec{Scenario: "handshake", Conns: 64, Duration: 90 * time.Second, Cycles: handshakeCycles, TLS: true},
			Metrics:        []Metric{MetricHandshakesPerSec, MetricCPUPerHandshake, MetricBusyPct, MetricClientBusyPct},
			Repeat:         repeat,
			ServerCPUShare: cappedShare,
		},
	}
}

// idleDuration is the loadtest -duration (ramp plus hold) of an idle
// scenario: the hold plus room for the ramp at a pessimistic rate (2,000
// connections/s in the clear, 700/s with TLS, with the load on one core).
// A slower ramp shortens the hold; the table shows the hold measured.
func idleDuration(conns int, hold time.Duration, tls bool) time.Duration {
	perSec := 2000
	if tls {
		perSec = 700
	}
	ramp := (time.Duration(conns)*time.Second/time.Duration(perSec) + time.Second).Truncate(time.Second)
	return hold + ramp + time.Second
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
