package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// workerEnv carries a worker's command line (JSON) from the -procs parent
// to its worker processes: any program that links this package and sees it
// runs the load as a worker and exits, so wsloop, benchload and test
// binaries all serve as workers without a subcommand of their own.
const (
	workerEnv     = "WSLOOP_LOADTEST_WORKER"
	workerOutEnv  = "WSLOOP_LOADTEST_WORKER_OUT"
	maxProcs      = 64
	workerTimeout = time.Minute // beyond the run's own duration
)

func init() {
	if raw := os.Getenv(workerEnv); raw != "" {
		os.Exit(runWorker(raw, os.Getenv(workerOutEnv)))
	}
}

// workerResult is what a worker writes for its parent: its Result and the
// latency histograms behind it.
type workerResult struct {
	Result    *Result `json:"result"`
	Latency   []byte  `json:"latency"`   // hdrhistogram V2 compressed encoding
	Handshake []byte  `json:"handshake"` // hdrhistogram V2 compressed encoding
}

// runWorker runs one worker's share of the load and writes its
// workerResult to out.
func runWorker(rawArgs, out string) int {
	var args []string
	if err := json.Unmarshal([]byte(rawArgs), &args); err != nil || out == "" {
		fmt.Fprintln(os.Stderr, "loadtest worker: bad arguments")
		return exitUsage
	}
	fs, f := newFlagSet(io.Discard)
	if fs.Parse(args) != nil {
		return exitUsage
	}
	f.urls = append(f.urls, fs.Args()...)
	o, err := f.options()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest worker:", err)
		return exitUsage
	}
	o.ServerPID, o.Progress = 0, -1 // the parent samples the server and reports progress
	ctx, stop := signalContext(context.Background())
	defer stop()
	res, err := Run(ctx, o, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest worker:", err)
		return exitErrors
	}
	w := workerResult{Result: res}
	if w.Latency, err = res.lat.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
		w.Handshake, err = res.hsLat.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest worker:", err)
		return exitErrors
	}
	b, err := json.Marshal(w)
	if err == nil {
		err = os.WriteFile(out, b, 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest worker:", err)
		return exitErrors
	}
	return exitOK
}

// runProcs runs the load of args in n worker processes, each with its share
// of the connections and of the rate, samples the server itself and merges
// the workers' results: counts add up, latency histograms merge, the series
// add up second by second.
func runProcs(ctx context.Context, n int, args, urls []string, f *cliFlags, o Options, stderr io.Writer) (*Result, error) {
	switch {
	case n > maxProcs:
		return nil, fmt.Errorf("%w: -procs %d is over the limit %d", ErrInvalidOptions, n, maxProcs)
	case o.Conns < n:
		return nil, fmt.Errorf("%w: -procs %d needs at least as many -conns", ErrInvalidOptions, n)
	}
	switch o.Scenario.Name() {
	case ScenarioIdle, ScenarioEcho, ScenarioScript:
	default:
		return nil, fmt.Errorf("%w: -procs runs the idle, echo and script scenarios, not %s", ErrInvalidOptions, o.Scenario.Name())
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wsloop-procs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	var smp *sampler
	if o.ServerPID > 0 {
		if smp, err = startSampler(o.ServerPID, start, max(o.SampleInterval, 100*time.Millisecond)); err != nil {
			return nil, fmt.Errorf("server process %d: %w", o.ServerPID, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, max(o.Duration, 10*time.Second)+o.Timeout+o.CloseTimeout+workerTimeout)
	defer cancel()
	errs := make([]error, n)
	werr := &lockedWriter{w: stderr}
	var wg sync.WaitGroup
	for i := range n {
		conns := o.Conns / n
		if i < o.Conns%n {
			conns++
		}
		wargs := append(append([]string{}, args...), "-conns", strconv.Itoa(conns), "-rate", strconv.FormatFloat(f.rate/float64(n), 'g', -1, 64))
		wargs = append(wargs, urls...)
		raw, _ := json.Marshal(wargs)
		cmd := exec.CommandContext(wctx, exe)
		cmd.Env = append(os.Environ(), workerEnv+"="+string(raw), workerOutEnv+"="+filepath.Join(dir, strconv.Itoa(i)+".json"))
		cmd.Stderr = werr
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	smp.mark(markAfter)
	var parts []*workerResult
	for i := range n {
		raw, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)+".json"))
		if err != nil {
			return nil, fmt.Errorf("worker %d: %v (%v)", i, errs[i], err)
		}
		var w workerResult
		if err := json.Unmarshal(raw, &w); err != nil || w.Result == nil {
			return nil, fmt.Errorf("worker %d: bad result: %v", i, err)
		}
		parts = append(parts, &w)
	}
	res, err := mergeWorkers(parts)
	if err != nil {
		return nil, err
	}
	res.Started, res.DurationS, res.Interrupted = start, time.Since(start).Seconds(), ctx.Err() != nil
	res.Config.Conns, res.Config.Rate, res.Config.Procs = o.Conns, f.rate, n
	res.Connections.Target = o.Conns
	if smp != nil {
		res.Server = smp.finish(serverLoad{msgs: res.Messages.Received, peak: res.Connections.Peak})
		fillServerSeries(res.Series, res.Server.Samples)
	}
	return res, nil
}

// lockedWriter lets the workers share one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// mergeWorkers merges the workers' results into one.
func mergeWorkers(parts []*workerResult) (*Result, error) {
	out := *parts[0].Result
	out.Errors, out.ErrorSamples, out.Series = map[string]uint64{}, nil, nil
	out.Connections, out.Messages, out.ErrorsTotal = ConnectionStats{}, MessageStats{}, 0
	out.Client = ClientStats{NumCPU: runtime.NumCPU()}
	lat, hs := newHist(), newHist()
	for i, p := range parts {
		r := p.Result
		for _, enc := range []struct {
			b   []byte
			dst *hdrhistogram.Histogram
		}{{p.Latency, lat}, {p.Handshake, hs}} {
			h, err := hdrhistogram.Decode(enc.b)
			if err != nil {
				return nil, fmt.Errorf("worker %d: histogram: %w", i, err)
			}
			enc.dst.Merge(h)
		}
		out.addCounts(r) // the peaks add up to an upper bound: the workers' peaks need not coincide
		out.Messages.PerSec += r.Messages.PerSec
		out.Messages.MBPerSec += r.Messages.MBPerSec
		out.RampS = max(out.RampS, r.RampS)
		out.TrafficS = max(out.TrafficS, r.TrafficS)
		cl := &out.Client
		cl.UserS += r.Client.UserS
		cl.SysS += r.Client.SysS
		cl.CPUS += r.Client.CPUS
		cl.Loops += r.Client.Loops
		cl.MaxRSSKB = max(cl.MaxRSSKB, r.Client.MaxRSSKB)
		cl.NoFile = r.Client.NoFile
		out.Series = addSeries(out.Series, r.Series)
	}
	out.Config.Loops = out.Client.Loops
	out.Latency, out.Handshake = latencyOf(lat), latencyOf(hs)
	out.lat, out.hsLat = lat, hs
	if out.DurationS > 0 {
		out.Client.CPUUtil = out.Client.CPUS / out.DurationS
	}
	return &out, nil
}

// addSeries adds the points of b to a second by second. Counts add up;
// the latency percentiles of a second are the received-weighted mean of the
// workers' p50 and the highest of their p99 (a bound: the per-second
// histograms stay in the workers).
func addSeries(a, b []SeriesPoint) []SeriesPoint {
	for i, p := range b {
		if i >= len(a) {
			a = append(a, p)
			continue
		}
		q := &a[i]
		if n := q.Received + p.Received; n > 0 {
			q.P50 = (q.P50*float64(q.Received) + p.P50*float64(p.Received)) / float64(n)
		}
		q.P99 = max(q.P99, p.P99)
		q.T = max(q.T, p.T)
		q.Sent += p.Sent
		q.Received += p.Received
		q.Open += p.Open
		q.Errors += p.Errors
	}
	return a
}
