package loadtest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// soakRun is the state of one soak run between its phases.
type soakRun struct {
	probe      *metricsProbe
	idleConns  int
	metricsErr error
	stats      SoakStats
	total      *Result
	lat, hs    *hdrhistogram.Histogram
}

// setup counts the server's idle connections.
func (s *Soak) setup(ctx context.Context, r *runner) error {
	sr := &soakRun{probe: newMetricsProbe(&r.o, s.MetricsPath, r.targets[0]), lat: newHist(), hs: newHist(),
		total: &Result{Errors: map[string]uint64{}}}
	s.run = sr
	sr.idleConns, sr.metricsErr = sr.probe.count(ctx)
	return nil
}

// traffic runs the cycles, each an echo run that samples no server (the
// soak's own sampler covers them all).
func (s *Soak) traffic(ctx context.Context, r *runner) error {
	sr := s.run
	sub := r.o
	load := s.Load
	sub.Scenario, sub.ServerPID = &load, 0
	progress := r.progress
	var lastLine time.Time // progress: at most one cycle line per interval
	for n := 1; (s.Cycles == 0 || n <= s.Cycles) && ctx.Err() == nil; n++ {
		left := time.Until(r.deadline)
		if left <= 0 {
			break
		}
		sub.Duration = left
		c0 := time.Now()
		cr, err := Run(ctx, sub, progress)
		if err != nil {
			return err
		}
		addCycle(sr.total, cr, sr.lat, sr.hs)
		sr.total.Series = shiftSeries(sr.total.Series, cr.Series, c0.Sub(r.start).Seconds())
		cy := SoakCycle{N: n, DurationS: time.Since(c0).Seconds(), Opened: cr.Connections.Opened, Received: cr.Messages.Received,
			Errors: cr.ErrorsTotal, P99: cr.Latency.P99, ServerConns: -1}
		if sr.metricsErr == nil {
			var extra int
			extra, cy.SettleMS, sr.metricsErr = sr.probe.settle(ctx, sr.idleConns, r.o.Timeout)
			if sr.metricsErr == nil {
				cy.ServerConns = extra
			}
		}
		cy.RSSKB = r.smp.now().rssKB
		sr.stats.Cycles = append(sr.stats.Cycles, cy)
		if progress != nil && progress.interval >= 0 && (time.Since(lastLine) >= progress.interval || n == s.Cycles) {
			lastLine = time.Now()
			fmt.Fprintf(progress.w, "soak cycle %d: %.2f s  opened %d  echoes %d  errors %d  p99 %.3f ms  server rss %d KB  server conns after %d (%.0f ms)\n",
				n, cy.DurationS, cy.Opened, cy.Received, cy.Errors, cy.P99, cy.RSSKB, cy.ServerConns, cy.SettleMS)
		}
	}
	return nil
}

// result is the cycles' totals with the per-cycle figures and the verdict.
func (s *Soak) result(r *runner, out *Result) {
	sr := s.run
	sk := &sr.stats
	if sr.metricsErr != nil {
		sk.MetricsError = sr.metricsErr.Error()
	}
	res := sr.total
	res.Schema, res.Scenario, res.URL, res.URLs, res.Started = out.Schema, out.Scenario, out.URL, out.URLs, out.Started
	res.Connections.Target = r.o.Conns * len(sk.Cycles)
	res.DurationS, res.Interrupted = out.DurationS, out.Interrupted
	res.Latency, res.Handshake = latencyOf(sr.lat), latencyOf(sr.hs)
	res.lat, res.hsLat = sr.lat, sr.hs
	if res.TrafficS > 0 {
		res.Messages.PerSec = float64(res.Messages.Received) / res.TrafficS
		res.Messages.MBPerSec = float64(res.Messages.BytesRecv) / res.TrafficS / 1e6
	}
	res.Client, res.Server = out.Client, out.Server
	res.Client.Loops = res.Config.Loops
	soakVerdict(sk, res.ErrorsTotal)
	res.Soak = sk
	*out = *res
}

// addCycle adds one cycle's result to the soak's totals.
func addCycle(res, cr *Result, lat, hs *hdrhistogram.Histogram) {
	if res.Config.Conns == 0 {
		res.Config = cr.Config
	}
	peak := max(res.Connections.Peak, cr.Connections.Peak) // the cycles follow each other
	res.addCounts(cr)
	res.Connections.Peak = peak
	res.RampS += cr.RampS
	res.TrafficS += cr.TrafficS
	if cr.lat != nil {
		lat.Merge(cr.lat)
	}
	if cr.hsLat != nil {
		hs.Merge(cr.hsLat)
	}
}

// soakVerdict fills the RSS figures and the verdict: it fails on errors,
// on cycles after which the server kept connections, and on RSS that keeps
// growing (the lowest RSS of the last quarter of the cycles above the
// highest of the second quarter by more than 10% + 4 MiB; needs 8 cycles).
func soakVerdict(sk *SoakStats, errs uint64) {
	sk.CyclesDone = len(sk.Cycles)
	var rss []int64
	for i, c := range sk.Cycles {
		if c.ServerConns > 0 {
			sk.ConnsNotZero++
		}
		if c.RSSKB > 0 {
			rss = append(rss, c.RSSKB)
			sk.RSSMaxKB = max(sk.RSSMaxKB, c.RSSKB)
			if i > 0 && c.RSSKB > sk.Cycles[i-1].RSSKB {
				sk.RSSGrowths++
			}
		}
	}
	if len(rss) > 0 {
		sk.RSSFirstKB, sk.RSSLastKB = rss[0], rss[len(rss)-1]
	}
	sk.Verdict = VerdictPass
	fail := func(format string, a ...any) {
		sk.Verdict = VerdictFail
		sk.Reasons = append(sk.Reasons, fmt.Sprintf(format, a...))
	}
	if errs > 0 {
		fail("%d errors on the echo connections", errs)
	}
	if sk.ConnsNotZero > 0 {
		fail("server connection count not back to idle (within -timeout) after %d of %d cycles", sk.ConnsNotZero, sk.CyclesDone)
	}
	if n := len(rss); n >= 8 {
		q2 := maxOf(rss[n/4 : n/2])
		q4 := minOf(rss[3*n/4:])
		if q4 > q2+max(q2/10, 4096) {
			fail("server RSS keeps growing: last quarter of the cycles at least %d KB, second quarter at most %d KB", q4, q2)
		}
	}
}

func maxOf(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func minOf(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

// metricsProbe reads the server's open-connection count from a metrics
// JSON document with a numeric "Connections" field (wsloop's /metrics.json).
type metricsProbe struct {
	url  string
	host string
	c    *http.Client
}

// newMetricsProbe returns a probe of path on the target, or nil
// when it is "-".
func newMetricsProbe(o *Options, path string, t target) *metricsProbe {
	if path == "-" {
		return nil
	}
	scheme := "http"
	if t.tls {
		scheme = "https"
	}
	tr := &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{ServerName: t.srvName, InsecureSkipVerify: o.Insecure}} //nolint:gosec // -insecure for self-signed test servers
	return &metricsProbe{url: scheme + "://" + t.addr + path, host: t.host, c: &http.Client{Transport: tr, Timeout: o.Timeout}}
}

// count returns the server's current connection count.
func (p *metricsProbe) count(ctx context.Context) (int, error) {
	if p == nil {
		return 0, errors.New("metrics disabled (MetricsPath \"-\")")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return 0, err
	}
	req.Host = p.host
	resp, err := p.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", p.url, resp.Status)
	}
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return 0, fmt.Errorf("GET %s: %w", p.url, err)
	}
	v, ok := m["Connections"].(float64)
	if !ok {
		return 0, fmt.Errorf("GET %s: no numeric \"Connections\" field", p.url)
	}
	return int(v), nil
}

// settle polls until the count is at most idle or limit passes; it
// returns the count above idle and how long it waited.
func (p *metricsProbe) settle(ctx context.Context, idle int, limit time.Duration) (int, float64, error) {
	t0 := time.Now()
	for {
		n, err := p.count(ctx)
		if err != nil {
			return 0, msSince(t0), err
		}
		if n <= idle || time.Since(t0) >= limit || ctx.Err() != nil {
			return max(n-idle, 0), msSince(t0), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}
