package loadtest

import (
	"context"
	"fmt"
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

// planAttacks lists h.AttackRounds rounds of every kind in h.Attacks;
// badframes and badutf8 contribute one attempt per variant per round.
func planAttacks(h *Hostile) []attackTask {
	var out []attackTask
	for range h.AttackRounds {
		for _, k := range h.Attacks {
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

// hostileRun is the state of one hostile run between its phases.
type hostileRun struct {
	probe       *metricsProbe
	idleConns   int
	metricsErr  error
	base, res   *Result // the baseline and the attack phase's echo runs
	book        *attackBook
	attackStart time.Duration
	attackEnd   time.Duration
	connsAfter  int     // server connections above idle at the end (-1: unknown)
	settleMS    float64 // time for that count to come back
}

// sub returns the options of the echo runs of the two phases: they sample
// no server (the hostile run's own sampler covers both).
func (h *Hostile) sub(o Options, d time.Duration) Options {
	load := h.Load
	o.Scenario, o.ServerPID, o.Duration = &load, 0, d
	return o
}

// setup counts the server's idle connections and runs the baseline phase.
func (h *Hostile) setup(ctx context.Context, r *runner) error {
	if slices.Contains(h.Attacks, AttackBomb) {
		_, _ = bombPayload() // built once, before any phase is timed
	}
	hr := &hostileRun{probe: newMetricsProbe(&r.o, h.MetricsPath, r.targets[0])}
	h.run = hr
	hr.idleConns, hr.metricsErr = hr.probe.count(ctx)
	var err error
	hr.base, err = Run(ctx, h.sub(r.o, h.Baseline), r.progress)
	return err
}

// traffic runs the attacks beside the echo load, then waits for the
// server's connection count to settle.
func (h *Hostile) traffic(ctx context.Context, r *runner) error {
	hr := h.run
	hr.attackStart = time.Since(r.start)
	r.smp.mark(markTrafficStart)
	env := &attackEnv{o: &r.o, h: h, t: r.targets[0], d: r.d}
	tasks := planAttacks(h)
	hr.book = newAttackBook(h.Attacks)
	phaseEnd := time.Now().Add(r.o.Duration)
	var wg sync.WaitGroup
	wg.Go(func() { runAttacks(ctx, env, tasks, h.Attackers, phaseEnd, hr.book) })
	var err error
	hr.res, err = Run(ctx, h.sub(r.o, r.o.Duration), r.progress)
	wg.Wait()
	hr.attackEnd = time.Since(r.start)
	r.smp.mark(markTrafficEnd)
	hr.connsAfter = -1
	if err == nil && hr.metricsErr == nil {
		var extra int
		extra, hr.settleMS, hr.metricsErr = hr.probe.settle(ctx, hr.idleConns, r.o.Timeout)
		if hr.metricsErr == nil {
			hr.connsAfter = extra
		}
	}
	return err
}

// result is the attack phase's echo result with the baseline's errors
// added, the attacks' outcomes and the verdict.
func (h *Hostile) result(r *runner, out *Result) {
	hr := h.run
	base, res := hr.base, hr.res
	hs := &HostileStats{BaselineS: base.DurationS, BaselineLatency: base.Latency, BaselineMessages: base.Messages.Received,
		BaselineErrors: base.ErrorsTotal, AttackErrors: res.ErrorsTotal, AttackS: (hr.attackEnd - hr.attackStart).Seconds(),
		ServerConnsAfter: hr.connsAfter, ConnsSettleMS: hr.settleMS}
	if base.Latency.P99 > 0 {
		hs.P99Ratio = res.Latency.P99 / base.Latency.P99
	}
	if hr.metricsErr != nil {
		hs.MetricsError = hr.metricsErr.Error()
	}
	server := out.Server
	interrupted := out.Interrupted
	*out = *res
	out.Scenario = ScenarioHostile
	out.Started = r.start
	out.DurationS = time.Since(r.start).Seconds()
	out.Interrupted = interrupted
	out.Errors = mergeCounts(base.Errors, res.Errors)
	out.ErrorSamples = mergeSamples(base.ErrorSamples, res.ErrorSamples)
	out.ErrorsTotal += base.ErrorsTotal
	out.Series = shiftSeries(shiftSeries(nil, base.Series, 0), res.Series, hr.attackStart.Seconds())
	out.Attacks = hr.book.m
	for _, a := range out.Attacks {
		hs.AttackFailures += a.Failures
	}
	if server != nil {
		out.Server = server
		for _, s := range server.Samples {
			if s.T < hr.attackStart.Seconds() {
				hs.RSSBaselineKB = max(hs.RSSBaselineKB, s.RSSKB)
			} else {
				hs.RSSAttackPeakKB = max(hs.RSSAttackPeakKB, s.RSSKB)
			}
		}
		hs.RSSAttackPeakKB = max(hs.RSSAttackPeakKB, server.RSSLoadedKB)
		hs.RSSAfterKB = server.RSSAfterKB
	}
	hs.Verdict, hs.Reasons = hostileVerdict(hs, out.Attacks)
	out.Hostile = hs
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

// randKey returns a random mask key.
func randKey() uint32 { return rand.Uint32() }
