package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ResultSchema identifies the layout of Result. It changes only when a field
// is removed or changes meaning; fields may be added within a version.
const ResultSchema = "wsloop.loadtest/v1"

// Result is the outcome of a run, written by -json and consumed by the
// benchmark runner. Durations are seconds, latencies milliseconds, sizes
// bytes unless a field name says otherwise.
type Result struct {
	Schema      string    `json:"schema"`         // ResultSchema
	Scenario    string    `json:"scenario"`       // idle, echo, broadcast, churn, handshake, hostile, soak
	URL         string    `json:"url"`            // the (first) target
	URLs        []string  `json:"urls,omitempty"` // every target, when there are several
	Started     time.Time `json:"started"`        // wall-clock start
	DurationS   float64   `json:"duration_s"`     // whole run, ramp to last close
	RampS       float64   `json:"ramp_s"`         // time to open all connections
	TrafficS    float64   `json:"traffic_s"`      // measurement window: end of ramp to end of sending
	Interrupted bool      `json:"interrupted"`    // stopped early by cancellation (Ctrl-C)

	Config       ResultConfig      `json:"config"`
	Connections  ConnectionStats   `json:"connections"`
	Messages     MessageStats      `json:"messages"`
	Latency      LatencyStats      `json:"latency"`           // echo round trip, broadcast send-to-receive, churn cycle
	Handshake    LatencyStats      `json:"handshake_latency"` // TCP connect + TLS + HTTP upgrade
	Errors       map[string]uint64 `json:"errors"`            // count by kind (see ErrKind*)
	ErrorsTotal  uint64            `json:"errors_total"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"` // first message of each kind, where one exists
	Client       ClientStats       `json:"client"`
	Server       *ServerStats      `json:"server,omitempty"` // only with -server-pid

	Hostile *HostileStats           `json:"hostile,omitempty"` // hostile: baseline phase and verdict
	Attacks map[string]*AttackStats `json:"attacks,omitempty"` // hostile: what the server did to each attack kind
	Soak    *SoakStats              `json:"soak,omitempty"`    // soak: per-cycle figures and verdict
	PubSub  *PubSubStats            `json:"pubsub,omitempty"`  // pubsub: deliveries, latency, losses per node

	Series     []SeriesPoint     `json:"series,omitempty"`     // one point per second: throughput, latency, connections, errors, server CPU and RSS
	Thresholds []ThresholdResult `json:"thresholds,omitempty"` // the -threshold conditions and whether each passed

	lat, hsLat *hdrhistogram.Histogram   // latency histograms behind Latency and Handshake
	nodeLat    []*hdrhistogram.Histogram // pubsub: latency per node
}

// ResultConfig echoes the options that shaped the run.
type ResultConfig struct {
	Conns       int     `json:"conns"`
	Size        int     `json:"size"`
	Inflight    int     `json:"inflight"`
	Rate        float64 `json:"rate"`
	Messages    int     `json:"messages"`
	Binary      bool    `json:"binary"`
	Ramp        float64 `json:"ramp"`
	Sources     int     `json:"sources"`
	Loops       int     `json:"loops"`
	DialWorkers int     `json:"dial_workers"`
	TLS         bool    `json:"tls"`
	Procs       int     `json:"procs,omitempty"` // worker processes (-procs), when more than one
}

// ConnectionStats counts connections.
type ConnectionStats struct {
	Target   int     `json:"target"`           // connections asked for (broadcast: receivers, plus one sender)
	Attempts uint64  `json:"attempts"`         // dial attempts
	Opened   uint64  `json:"opened"`           // successful handshakes
	Peak     int64   `json:"peak_open"`        // most open at once
	ClosedOK uint64  `json:"closed_ok"`        // close handshakes that ended with the expected code
	PerSec   float64 `json:"handshakes_per_s"` // Opened / duration (churn, handshake)
}

// MessageStats counts messages and payload bytes. Rates are over TrafficS.
type MessageStats struct {
	Sent      uint64  `json:"sent"`       // echo requests or broadcast messages sent
	Received  uint64  `json:"received"`   // echoes or broadcast deliveries received
	Expected  uint64  `json:"expected"`   // broadcast: sent × receivers
	Missing   uint64  `json:"missing"`    // broadcast: expected − received; echo: requests lost on failed connections
	Skipped   uint64  `json:"skipped"`    // paced sends skipped: connection backlogged (client or server too slow)
	Foreign   uint64  `json:"foreign"`    // broadcast: messages without a loadtest stamp (ignored)
	BytesSent uint64  `json:"bytes_sent"` // payload bytes
	BytesRecv uint64  `json:"bytes_received"`
	PerSec    float64 `json:"msgs_per_s"` // Received / TrafficS
	MBPerSec  float64 `json:"mb_per_s"`   // BytesRecv / TrafficS / 1e6
}

// LatencyStats summarizes an HdrHistogram; all values in milliseconds.
type LatencyStats struct {
	Count uint64  `json:"count"`
	Min   float64 `json:"min_ms"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// ClientStats describes the load generator itself. CPUUtil near Loops (or
// NumCPU) means the client was saturated and the figures are a lower bound.
type ClientStats struct {
	CPUS     float64 `json:"cpu_s"`      // user+system CPU seconds of this process (getrusage)
	UserS    float64 `json:"user_s"`     // user CPU seconds
	SysS     float64 `json:"sys_s"`      // system CPU seconds
	CPUUtil  float64 `json:"cpu_util"`   // CPUS / DurationS, in cores
	NumCPU   int     `json:"num_cpu"`    // CPUs usable by the process
	Loops    int     `json:"loops"`      // event loops
	MaxRSSKB int64   `json:"max_rss_kb"` // peak RSS of the client
	NoFile   uint64  `json:"nofile"`     // RLIMIT_NOFILE soft limit after raising it
}

// ServerStats are /proc samples of the server process (-server-pid).
type ServerStats struct {
	PID          int            `json:"pid"`
	RSSBeforeKB  int64          `json:"rss_before_kb"`   // before the first dial
	RSSLoadedKB  int64          `json:"rss_loaded_kb"`   // with all connections open, before closing
	RSSPeakKB    int64          `json:"rss_peak_kb"`     // highest sample
	RSSAfterKB   int64          `json:"rss_after_kb"`    // after all connections closed
	CPUS         float64        `json:"cpu_s"`           // CPU over the whole run (threads' schedstat, else utime+stime)
	TrafficCPUS  float64        `json:"traffic_cpu_s"`   // CPU over the traffic window (ns-precise from schedstat when available)
	BytesPerConn float64        `json:"bytes_per_conn"`  // (RSSLoaded − RSSBefore) / peak open connections
	CPUPerMMsgs  float64        `json:"cpu_s_per_mmsg"`  // TrafficCPUS per million messages received by the client
	CPUPerKConns float64        `json:"cpu_s_per_kconn"` // churn/handshake: CPUS per thousand handshakes
	Samples      []ServerSample `json:"samples"`
	SampleError  string         `json:"sample_error,omitempty"`
}

// ServerSample is one /proc reading.
type ServerSample struct {
	T     float64 `json:"t_s"` // seconds since the start of the run
	RSSKB int64   `json:"rss_kb"`
	CPUS  float64 `json:"cpu_s"`
}

// WriteJSON writes r, indented, to path.
func (r *Result) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteSummary writes a human-readable table of r to w.
func (r *Result) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	title := fmt.Sprintf("loadtest %s  %s", r.Scenario, r.URL)
	if r.Interrupted {
		title += "  (interrupted)"
	}
	fmt.Fprintln(tw, title)
	fmt.Fprintln(tw, strings.Repeat("-", len(title)))
	c := r.Config
	cs := r.Connections
	format := map[bool]string{true: "binary", false: "text"}[c.Binary]
	switch r.Scenario {
	case ScenarioChurn, ScenarioHandshake:
		row("config", "rate %g/s  dial workers %d  sources %d", c.Rate, c.DialWorkers, c.Sources)
		row("time", "%.2f s", r.DurationS)
		row("connections", "%d opened  peak open %d  attempts %d  closed ok %d", cs.Opened, cs.Peak, cs.Attempts, cs.ClosedOK)
	default:
		row("config", "conns %d  size %d B  inflight %d  rate %g/s  %s  loops %d  sources %d", c.Conns, c.Size, c.Inflight, c.Rate, format, c.Loops, c.Sources)
		row("time", "%.2f s total  ramp %.2f s  traffic %.2f s", r.DurationS, r.RampS, r.TrafficS)
		row("connections", "%d/%d opened  peak %d  attempts %d  closed ok %d", cs.Opened, cs.Target, cs.Peak, cs.Attempts, cs.ClosedOK)
	}
	if cs.PerSec > 0 {
		row("handshakes/s", "%.0f", cs.PerSec)
	}
	m := r.Messages
	row("messages", "sent %d  received %d  expected %d  missing %d  skipped %d", m.Sent, m.Received, m.Expected, m.Missing, m.Skipped)
	row("throughput", "%.0f msgs/s  %.2f MB/s", m.PerSec, m.MBPerSec)
	lat := func(name string, l LatencyStats) {
		if l.Count == 0 {
			return
		}
		row(name, "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  (n=%d)", l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
	}
	lat("latency", r.Latency)
	lat("handshake", r.Handshake)
	if r.ErrorsTotal == 0 {
		row("errors", "0")
	} else {
		var parts []string
		for _, k := range sortedKinds(r.Errors) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, r.Errors[k]))
		}
		row("errors", "%d  (%s)", r.ErrorsTotal, strings.Join(parts, " "))
		for _, k := range sortedKinds(r.Errors) {
			if msg, ok := r.ErrorSamples[k]; ok {
				row("  "+k, "%s", msg)
			}
		}
	}
	cl := r.Client
	row("client cpu", "%.2f s (user %.2f sys %.2f)  %.2f of %d cores  max rss %d KB", cl.CPUS, cl.UserS, cl.SysS, cl.CPUUtil, cl.NumCPU, cl.MaxRSSKB)
	if s := r.Server; s != nil {
		row("server rss", "before %d KB  loaded %d KB  peak %d KB  after %d KB  %.0f B/conn", s.RSSBeforeKB, s.RSSLoadedKB, s.RSSPeakKB, s.RSSAfterKB, s.BytesPerConn)
		row("server cpu", "%.2f s total  %.2f s traffic  %.3f s/M msgs  %.3f s/K conns", s.CPUS, s.TrafficCPUS, s.CPUPerMMsgs, s.CPUPerKConns)
		if s.SampleError != "" {
			row("server note", "%s", s.SampleError)
		}
	}
	for _, t := range r.Thresholds {
		verdict := "pass"
		if !t.Pass {
			verdict = "FAIL"
		}
		row("threshold", "%s  %s  (actual %.4g)", verdict, t.Expr, t.Actual)
	}
	r.writePubSubRows(row)
	r.writeHostileRows(row)
	r.writeSoakRows(row)
	tw.Flush()
}

// addCounts adds the connection, message and error counts of o to r
// (peaks too; a caller whose parts ran one after another keeps the higher).
func (r *Result) addCounts(o *Result) {
	c, m := &r.Connections, &r.Messages
	c.Attempts += o.Connections.Attempts
	c.Opened += o.Connections.Opened
	c.Peak += o.Connections.Peak
	c.ClosedOK += o.Connections.ClosedOK
	m.Sent += o.Messages.Sent
	m.Received += o.Messages.Received
	m.Expected += o.Messages.Expected
	m.Missing += o.Messages.Missing
	m.Skipped += o.Messages.Skipped
	m.Foreign += o.Messages.Foreign
	m.BytesSent += o.Messages.BytesSent
	m.BytesRecv += o.Messages.BytesRecv
	r.Errors = mergeCounts(o.Errors, r.Errors)
	r.ErrorSamples = mergeSamples(r.ErrorSamples, o.ErrorSamples)
	r.ErrorsTotal += o.ErrorsTotal
}

// mergeCounts returns the sum of two error counts.
func mergeCounts(a, b map[string]uint64) map[string]uint64 {
	out := maps.Clone(b)
	if out == nil {
		out = map[string]uint64{}
	}
	for k, v := range a {
		out[k] += v
	}
	return out
}

// mergeSamples returns the samples of a and b, b winning.
func mergeSamples(a, b map[string]string) map[string]string {
	if len(a) == 0 {
		return b
	}
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
