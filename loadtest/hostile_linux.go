package loadtest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// attackTask is one planned attempt of an attack kind (variant: index into
// badFrames or badUTF8, -1 for kinds without variants).
type attackTask struct {
	kind    string
	variant int
}

// planAttacks lists o.AttackRounds rounds of every kind in o.Attacks;
// badframes and badutf8 contribute one attempt per variant per round.
func planAttacks(o *Options) []attackTask {
	var out []attackTask
	for range o.AttackRounds {
		for _, k := range o.Attacks {
			switch k {
			case AttackBadFrames:
				for v := range badFrames {
					out = append(out, attackTask{k, v})
				}
			case AttackBadUTF8:
				for v := range badUTF8 {
					out = append(out, attackTask{k, v})
				}
			default:
				out = append(out, attackTask{k, -1})
			}
		}
	}
	return out
}

// run executes one attempt; it returns the variant name ("" if none).
func (e *attackEnv) run(ctx context.Context, a attackTask) (string, attackResult) {
	switch a.kind {
	case AttackSlowloris:
		return "", e.slowloris(ctx)
	case AttackDribble:
		return "", e.dribble(ctx)
	case AttackHeaders:
		return "", e.headers(ctx)
	case AttackOversize:
		return "", e.oversize(ctx)
	case AttackBadFrames:
		v := badFrames[a.variant]
		return v.name, e.sendBad(ctx, v.build(randKey()))
	case AttackBadUTF8:
		v := badUTF8[a.variant]
		return v.name, e.sendBad(ctx, v.build(randKey()))
	case AttackBomb:
		return "", e.bomb(ctx)
	case AttackSlowReader:
		return "", e.slowReader(ctx)
	case AttackPingFlood:
		return "", e.pingFlood(ctx)
	case AttackFragFlood:
		return "", e.fragFlood(ctx)
	case AttackGarbage:
		return "", e.garbage(ctx)
	case AttackVanish:
		return "", e.vanish(ctx)
	case AttackBudget:
		return "", e.budget(ctx)
	}
	return "", attackResult{outcome: "unknown_attack", fail: true, why: a.kind, closeMS: -1}
}

// attackBook collects the attempts' results.
type attackBook struct {
	mu sync.Mutex
	m  map[string]*AttackStats
}

func newAttackBook(kinds []string) *attackBook {
	b := &attackBook{m: map[string]*AttackStats{}}
	for _, k := range kinds {
		b.m[k] = &AttackStats{Outcomes: map[string]uint64{}}
	}
	return b
}

func (b *attackBook) stats(kind string) *AttackStats {
	s, ok := b.m[kind]
	if !ok {
		s = &AttackStats{Outcomes: map[string]uint64{}}
		b.m[kind] = s
	}
	return s
}

// record adds one attempt's result.
func (b *attackBook) record(kind, variant string, r attackResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats(kind)
	s.Attempts++
	name := r.outcome
	if variant != "" {
		name = variant + "/" + name
	}
	s.Outcomes[name]++
	s.BytesSent += r.sent
	s.BytesRecv += r.recv
	s.Pongs += r.pongs
	s.MaxCloseMS = max(s.MaxCloseMS, r.closeMS)
	if r.fail {
		s.Failures++
		if s.FailureSample == "" {
			s.FailureSample = name + ": " + r.why
		}
	}
}

func (b *attackBook) notRun(kind string) {
	b.mu.Lock()
	b.stats(kind).NotRun++
	b.mu.Unlock()
}

// runAttacks runs tasks on workers concurrent clients, starting none after
// phaseEnd or once ctx ends (those are counted as not run).
func runAttacks(ctx context.Context, e *attackEnv, tasks []attackTask, workers int, phaseEnd time.Time, book *attackBook) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(tasks)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				if ctx.Err() != nil || !time.Now().Before(phaseEnd) {
					book.notRun(tasks[i].kind)
					continue
				}
				variant, r := e.run(ctx, tasks[i])
				if ctx.Err() != nil {
					book.notRun(tasks[i].kind)
					continue
				}
				book.record(tasks[i].kind, variant, r)
			}
		})
	}
	wg.Wait()
}

// runHostile runs an attacker-free echo phase of o.Baseline, then the echo
// load again for o.Duration while hostile clients run the planned attacks,
// and reports both phases, what the server did to each attack and whether
// its memory and connection count came back.
func runHostile(ctx context.Context, o Options, t target, progress *Progress) (*Result, error) {
	if slices.Contains(o.Attacks, AttackBomb) {
		_, _ = bombPayload() // built once, before any phase is timed
	}
	start := time.Now()
	probe := newMetricsProbe(&o, t)
	idleConns, metricsErr := probe.count(ctx)
	mon, err := startMonitor(o.ServerPID, start, o.SampleInterval)
	if err != nil {
		return nil, err
	}
	sub := o
	sub.Scenario, sub.ServerPID, sub.Messages = ScenarioEcho, 0, 0
	bo := sub
	bo.Duration = o.Baseline
	base, err := Run(ctx, bo, progress)
	if err != nil {
		mon.finish()
		return nil, err
	}
	attackStart := time.Since(start)
	ta := mon.sample()

	env := &attackEnv{o: &o, t: t, d: newDialer(t, &o)}
	tasks := planAttacks(&o)
	book := newAttackBook(o.Attacks)
	phaseEnd := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	wg.Go(func() { runAttacks(ctx, env, tasks, o.Attackers, phaseEnd, book) })
	res, err := Run(ctx, sub, progress)
	wg.Wait()
	attackEnd := time.Since(start)
	tb := mon.sample()
	if err != nil {
		mon.finish()
		return nil, err
	}

	h := &HostileStats{BaselineS: base.DurationS, BaselineLatency: base.Latency, BaselineMessages: base.Messages.Received,
		BaselineErrors: base.ErrorsTotal, AttackErrors: res.ErrorsTotal, AttackS: (attackEnd - attackStart).Seconds(), ServerConnsAfter: -1}
	if base.Latency.P99 > 0 {
		h.P99Ratio = res.Latency.P99 / base.Latency.P99
	}
	if metricsErr == nil {
		var extra int
		extra, h.ConnsSettleMS, metricsErr = probe.settle(ctx, idleConns, o.Timeout)
		if metricsErr == nil {
			h.ServerConnsAfter = extra
		}
	}
	if metricsErr != nil {
		h.MetricsError = metricsErr.Error()
	}
	after := mon.sample()

	res.Scenario = ScenarioHostile
	res.Started = start
	res.DurationS = time.Since(start).Seconds()
	res.Interrupted = ctx.Err() != nil
	res.Errors = mergeCounts(base.Errors, res.Errors)
	res.ErrorSamples = mergeSamples(base.ErrorSamples, res.ErrorSamples)
	res.ErrorsTotal += base.ErrorsTotal
	res.Attacks = book.m
	for _, a := range res.Attacks {
		h.AttackFailures += a.Failures
	}
	if mon != nil {
		mon.ta, mon.tb, mon.after = ta, tb, after
		res.Server = mon.finish()
		res.Server.RSSLoadedKB = mon.tb.rssKB
		for _, s := range res.Server.Samples {
			if s.T < attackStart.Seconds() {
				h.RSSBaselineKB = max(h.RSSBaselineKB, s.RSSKB)
			} else {
				h.RSSAttackPeakKB = max(h.RSSAttackPeakKB, s.RSSKB)
			}
		}
		h.RSSBaselineKB = max(h.RSSBaselineKB, mon.ta.rssKB)
		h.RSSAttackPeakKB = max(h.RSSAttackPeakKB, mon.tb.rssKB)
		h.RSSAfterKB = mon.after.rssKB
	}
	h.Verdict, h.Reasons = hostileVerdict(h, res.Attacks)
	res.Hostile = h
	return res, nil
}

// hostileVerdict fails the run when a well-behaved connection had an
// error, an attack's outcome showed a server fault, or the server kept
// connections after everything ended.
func hostileVerdict(h *HostileStats, attacks map[string]*AttackStats) (string, []string) {
	var reasons []string
	if n := h.BaselineErrors + h.AttackErrors; n > 0 {
		reasons = append(reasons, fmt.Sprintf("%d errors on well-behaved connections (baseline %d, under attack %d)", n, h.BaselineErrors, h.AttackErrors))
	}
	for _, k := range attackOrder(attacks) {
		if a := attacks[k]; a.Failures > 0 {
			reasons = append(reasons, fmt.Sprintf("%s failed %d of %d (%s)", k, a.Failures, a.Attempts, a.FailureSample))
		}
	}
	if h.ServerConnsAfter > 0 {
		reasons = append(reasons, fmt.Sprintf("server still had %d extra connections %.1f s after the run", h.ServerConnsAfter, h.ConnsSettleMS/1000))
	}
	if len(reasons) > 0 {
		return VerdictFail, reasons
	}
	return VerdictPass, nil
}

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

func mergeSamples(a, b map[string]string) map[string]string {
	if len(a) == 0 {
		return b
	}
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// randKey returns a random mask key.
func randKey() uint32 { return rand.Uint32() }

// monitor samples the server process over a whole hostile or soak run
// (the sub-runs sample nothing themselves).
type monitor struct {
	pid                   int
	smp                   *sampler
	before, ta, tb, after procSample
	err                   error
}

// startMonitor starts sampling pid; with pid 0 it returns nil.
func startMonitor(pid int, start time.Time, every time.Duration) (*monitor, error) {
	if pid <= 0 {
		return nil, nil
	}
	m := &monitor{pid: pid}
	var err error
	if m.before, err = readProc(pid); err != nil {
		return nil, fmt.Errorf("-server-pid %d: %w", pid, err)
	}
	m.smp = startSampler(pid, start, every)
	return m, nil
}

// sample reads the process now (nil-safe: zero without a monitor).
func (m *monitor) sample() procSample {
	if m == nil {
		return procSample{}
	}
	s, err := readProc(m.pid)
	if err != nil && m.err == nil {
		m.err = err
	}
	return s
}

// finish stops sampling and returns the server figures (nil-safe).
func (m *monitor) finish() *ServerStats {
	if m == nil {
		return nil
	}
	samples, err := m.smp.finish()
	s := serverStats(m.pid, m.before, m.tb, m.after, m.ta, m.tb, samples, 0, 0, 0, ScenarioHostile)
	if m.err == nil {
		m.err = err
	}
	if m.err != nil {
		s.SampleError = m.err.Error()
	}
	return s
}
