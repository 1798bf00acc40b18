package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Run phases, in order.
const (
	phRamp    = iota // opening connections
	phTraffic        // sending (echo, broadcast) or holding (idle)
	phDrain          // no new sends; waiting for outstanding replies
	phClose          // close handshakes, then exit
)

// runner is the state of one run.
type runner struct {
	o     Options
	t     target
	d     *dialer
	start time.Time

	c    counters
	errs errorCounts
	hs   *recorder // handshake latencies
	cyc  *recorder // churn cycle latencies
	cst  *msgCounters

	loops        []*loop
	phase        atomic.Int32
	trafficStart atomic.Int64
	pat          pattern
	op           byte
	msgLimit     uint64
	nextLoop     atomic.Uint64
	receivers    uint64 // broadcast receivers open when sending began
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

// Run executes one load test as o describes and returns its result. It
// stops when o.Duration has passed, when the scenario's message quota is
// done, or when ctx is cancelled (then Result.Interrupted is set); in every
// case it closes its connections and returns a result. Progress, if
// non-nil, receives live progress (see Progress).
func Run(ctx context.Context, o Options, progress *Progress) (*Result, error) {
	o = o.Defaults()
	t, err := o.validate(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	switch o.Scenario {
	case ScenarioHostile:
		return runHostile(ctx, o, t, progress)
	case ScenarioSoak:
		return runSoak(ctx, o, t, progress)
	}
	nofile := raiseNoFile()
	need := uint64(o.Conns) + 64
	if o.Scenario == ScenarioChurn || o.Scenario == ScenarioHandshake {
		need = uint64(o.DialWorkers) + 64
	}
	if nofile > 0 && need > nofile {
		return nil, fmt.Errorf("%d connections need about %d file descriptors; RLIMIT_NOFILE is %d", o.Conns, need, nofile)
	}
	r := &runner{o: o, t: t, d: newDialer(t, &o), start: time.Now(), hs: newRecorder(), cyc: newRecorder(), cst: &msgCounters{}}
	r.errs.c = &r.c
	r.pat = newPattern(o.Size)
	r.op = wsclient.OpText
	if o.Binary {
		r.op = wsclient.OpBinary
	}
	r.msgLimit = math.MaxUint64
	if o.Messages > 0 {
		r.msgLimit = uint64(o.Messages)
	}
	if o.Loops <= 0 {
		o.Loops = runtime.GOMAXPROCS(0)
		r.o.Loops = o.Loops
	}
	u0, s0, _ := selfUsage()

	var smp *sampler
	var before, trafficA, trafficB, loaded, after procSample
	var sampleErr error
	if o.ServerPID > 0 {
		if before, sampleErr = readProc(o.ServerPID); sampleErr != nil {
			return nil, fmt.Errorf("-server-pid %d: %w", o.ServerPID, sampleErr)
		}
		smp = startSampler(o.ServerPID, r.start, o.SampleInterval)
	}
	sample := func(p *procSample) {
		if o.ServerPID > 0 {
			if s, err := readProc(o.ServerPID); err == nil {
				*p = s
			} else if sampleErr == nil {
				sampleErr = err
			}
		}
	}

	var rampEnd, trafficEnd time.Duration
	var recvAtEnd msgTotals
	interrupted := false
	switch o.Scenario {
	case ScenarioChurn, ScenarioHandshake:
		if progress != nil {
			progress.begin(r)
		}
		runCtx, cancel := context.WithTimeout(ctx, o.Duration)
		r.trafficStart.Store(r.now())
		r.phase.Store(phTraffic)
		sample(&trafficA)
		r.runCycles(runCtx)
		cancel()
		trafficEnd = time.Since(r.start)
		sample(&trafficB)
		loaded = trafficB
		r.phase.Store(phClose)
	default:
		if err := r.startLoops(); err != nil {
			if smp != nil {
				smp.finish()
			}
			return nil, err
		}
		if progress != nil {
			progress.begin(r)
		}
		runCtx, cancel := context.WithTimeout(ctx, o.Duration)
		r.ramp(runCtx)
		rampEnd = time.Since(r.start)
		if o.Scenario == ScenarioBroadcast && runCtx.Err() == nil {
			r.receivers = r.c.opened.Load()
			r.dialSender(runCtx)
		}
		sample(&trafficA)
		r.trafficStart.Store(r.now())
		r.phase.Store(phTraffic)
		r.wakeLoops()
		r.waitTraffic(runCtx)
		cancel()
		trafficEnd = time.Since(r.start)
		recvAtEnd = r.totals()
		sample(&trafficB)
		if ctx.Err() == nil {
			r.phase.Store(phDrain)
			r.drain(ctx)
		}
		sample(&loaded)
		r.phase.Store(phClose)
		r.wakeLoops()
		for _, l := range r.loops {
			<-l.done
		}
	}
	interrupted = ctx.Err() != nil
	end := time.Since(r.start)
	sample(&after)
	if progress != nil {
		progress.end()
	}
	u1, s1, maxRSS := selfUsage()

	tot := r.totals()
	if o.Scenario != ScenarioEcho && o.Scenario != ScenarioBroadcast {
		recvAtEnd = tot
	}
	res := &Result{
		Schema:      ResultSchema,
		Scenario:    o.Scenario,
		URL:         o.URL,
		Started:     r.start,
		DurationS:   end.Seconds(),
		RampS:       rampEnd.Seconds(),
		Interrupted: interrupted,
		Config: ResultConfig{Conns: o.Conns, Size: o.Size, Inflight: o.Inflight, Rate: o.Rate, Messages: o.Messages,
			Binary: o.Binary, Ramp: o.Ramp, Sources: len(o.Sources), Loops: len(r.loops), DialWorkers: o.DialWorkers, TLS: t.tls},
		Errors:       r.errs.snapshot(),
		ErrorSamples: r.errs.sampleSnapshot(),
		ErrorsTotal:  r.c.errorTotal.Load(),
	}
	if o.Scenario != ScenarioChurn && o.Scenario != ScenarioHandshake {
		res.TrafficS = (trafficEnd - rampEnd).Seconds()
	} else {
		res.TrafficS = trafficEnd.Seconds()
	}
	target := o.Conns
	if o.Scenario == ScenarioBroadcast {
		target++
	}
	res.Connections = ConnectionStats{Target: target, Attempts: r.c.attempts.Load(), Opened: r.c.opened.Load(),
		Peak: r.c.peakOpen.Load(), ClosedOK: r.c.closedOK.Load()}
	if o.Scenario == ScenarioChurn || o.Scenario == ScenarioHandshake {
		res.Connections.Target = 0
		if res.TrafficS > 0 {
			res.Connections.PerSec = float64(res.Connections.Opened) / res.TrafficS
		}
	}
	m := MessageStats{Sent: tot.sent, Received: tot.recv, Skipped: tot.skipped, Foreign: tot.foreign,
		BytesSent: tot.bytesSent, BytesRecv: tot.bytesRecv}
	switch o.Scenario {
	case ScenarioEcho:
		m.Expected = tot.sent
		m.Missing = tot.lost
	case ScenarioBroadcast:
		m.Expected = tot.sent * r.receivers
		if m.Expected > m.Received {
			m.Missing = m.Expected - m.Received
		}
	}
	if res.TrafficS > 0 {
		m.PerSec = float64(recvAtEnd.recv) / res.TrafficS
		m.MBPerSec = float64(recvAtEnd.bytesRecv) / res.TrafficS / 1e6
	}
	res.Messages = m
	lat := newHist()
	for _, l := range r.loops {
		lat.Merge(l.rec.total)
	}
	lat.Merge(r.cyc.total)
	res.Latency = latencyOf(lat)
	res.Handshake = latencyOf(r.hs.total)
	res.lat, res.hsLat = lat, r.hs.total
	res.Client = ClientStats{UserS: u1 - u0, SysS: s1 - s0, NumCPU: runtime.NumCPU(), Loops: len(r.loops), MaxRSSKB: maxRSS, NoFile: nofile}
	res.Client.CPUS = res.Client.UserS + res.Client.SysS
	if res.DurationS > 0 {
		res.Client.CPUUtil = res.Client.CPUS / res.DurationS
	}
	if smp != nil {
		samples, err := smp.finish()
		if sampleErr == nil {
			sampleErr = err
		}
		res.Server = serverStats(o.ServerPID, before, loaded, after, trafficA, trafficB, samples, recvAtEnd.recv, res.Connections.Opened, r.c.peakOpen.Load(), o.Scenario)
		if sampleErr != nil {
			res.Server.SampleError = sampleErr.Error()
		}
	}
	return res, nil
}

// serverStats derives the server figures from the /proc samples.
func serverStats(pid int, before, loaded, after, ta, tb procSample, samples []ServerSample, msgs, opened uint64, peak int64, scenario string) *ServerStats {
	s := &ServerStats{PID: pid, RSSBeforeKB: before.rssKB, RSSLoadedKB: loaded.rssKB, RSSAfterKB: after.rssKB,
		CPUS: after.cpuS - before.cpuS, TrafficCPUS: tb.cpuS - ta.cpuS, Samples: samples}
	s.RSSPeakKB = max(before.rssKB, loaded.rssKB, after.rssKB)
	for _, x := range samples {
		s.RSSPeakKB = max(s.RSSPeakKB, x.RSSKB)
	}
	switch scenario {
	case ScenarioChurn, ScenarioHandshake:
		if opened > 0 {
			s.CPUPerKConns = s.CPUS / float64(opened) * 1000
		}
	default:
		if peak > 0 && loaded.rssKB > 0 {
			s.BytesPerConn = float64(loaded.rssKB-before.rssKB) * 1024 / float64(peak)
		}
		if msgs > 0 {
			s.CPUPerMMsgs = s.TrafficCPUS / float64(msgs) * 1e6
		}
	}
	return s
}

// totals sums the message counters of every loop and worker.
func (r *runner) totals() msgTotals {
	var t msgTotals
	for _, l := range r.loops {
		t.add(l.st)
	}
	t.add(r.cst)
	return t
}

func (r *runner) startLoops() error {
	for i := 0; i < r.o.Loops; i++ {
		l, err := newLoop(r, i)
		if err != nil {
			r.phase.Store(phClose)
			r.wakeLoops()
			for _, l := range r.loops {
				<-l.done
			}
			return err
		}
		r.loops = append(r.loops, l)
		go l.run()
	}
	return nil
}

func (r *runner) wakeLoops() {
	for _, l := range r.loops {
		l.wakeup()
	}
}

// role is the role of ordinary connections in the scenario.
func (r *runner) role() uint8 {
	switch r.o.Scenario {
	case ScenarioEcho:
		return roleEcho
	case ScenarioBroadcast:
		return roleRecv
	}
	return roleIdle
}

// ramp opens o.Conns connections at o.Ramp per second with o.DialWorkers
// workers, handing each to a loop. Failed dials are counted, not retried.
func (r *runner) ramp(ctx context.Context) {
	var next atomic.Int64
	n := int64(r.o.Conns)
	workers := min(r.o.DialWorkers, r.o.Conns)
	rampStart := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				if r.o.Ramp > 0 {
					at := rampStart.Add(time.Duration(float64(i) / r.o.Ramp * float64(time.Second)))
					if !sleepUntil(ctx, at) {
						return
					}
				}
				r.openConn(ctx, r.role())
			}
		})
	}
	wg.Wait()
}

// dialSender opens the broadcast sender on loop 0.
func (r *runner) dialSender(ctx context.Context) {
	r.openConn(ctx, roleSender)
}

// openConn dials one connection and hands it to a loop.
func (r *runner) openConn(ctx context.Context, role uint8) bool {
	r.c.attempts.Add(1)
	t0 := time.Now()
	nc, rest, err := r.d.dial(ctx)
	if err != nil {
		if !ctxDone(ctx) {
			r.errs.addErr(errKind(err, ErrKindDial), err)
		}
		return false
	}
	r.hs.record(int64(time.Since(t0)))
	c := newConn(role, &r.o, rand.Uint64())
	c.pending = rest
	if tc, ok := nc.(*tls.Conn); ok {
		c.tp = newTLSPump(tc)
	} else {
		fd, err := detachFD(nc)
		if err != nil {
			r.errs.add(ErrKindIO)
			return false
		}
		c.fd = fd
	}
	r.c.opened.Add(1)
	r.c.addOpen(1)
	l := r.loops[0]
	if role != roleSender {
		l = r.loops[int(r.nextLoop.Add(1)-1)%len(r.loops)]
	}
	l.adopt(c)
	return true
}

// detachFD takes a duplicate of a TCP connection's descriptor (non-blocking,
// close-on-exec) and closes the net.Conn.
func detachFD(nc net.Conn) (int, error) {
	defer nc.Close()
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a syscall.Conn")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	cerr := rc.Control(func(f uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, f, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	})
	if cerr != nil {
		return -1, cerr
	}
	if derr != nil {
		return -1, derr
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// ctxDone reports whether ctx is cancelled or past its deadline (Err may
// lag the deadline by a moment, and a dial failing in that moment is not an
// error of the server's).
func ctxDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// sleepUntil waits until t or ctx ends; it reports whether t was reached.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// waitTraffic returns when ctx ends or the scenario's quota is done.
func (r *runner) waitTraffic(ctx context.Context) {
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if r.o.Messages == 0 {
			continue
		}
		switch r.o.Scenario {
		case ScenarioEcho:
			if r.c.doneConns.Load()+int64(r.deadConns()) >= int64(r.c.opened.Load()) {
				return
			}
		case ScenarioBroadcast:
			t := r.totals()
			if t.sent+t.skipped >= r.msgLimit && t.recv+t.foreign >= t.sent*r.receivers {
				return
			}
			if r.c.open.Load() == 0 {
				return
			}
		}
	}
}

// deadConns is the number of connections that ended before their quota.
func (r *runner) deadConns() uint64 {
	open := r.c.open.Load()
	done := r.c.doneConns.Load()
	opened := int64(r.c.opened.Load())
	// Connections that are neither open nor done have failed; done ones
	// are still open until the close phase.
	dead := opened - open
	if dead < 0 || done > opened {
		return 0
	}
	return uint64(dead)
}

// drain waits, bounded by o.Timeout, for replies to what was sent.
func (r *runner) drain(ctx context.Context) {
	deadline := time.Now().Add(r.o.Timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t := r.totals()
		switch r.o.Scenario {
		case ScenarioEcho:
			if t.recv+t.lost >= t.sent {
				return
			}
		case ScenarioBroadcast:
			if t.recv >= t.sent*r.receivers || r.c.open.Load() <= 1 {
				return
			}
		default:
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT so that binding a source address
// defers the port choice to connect(2), letting one address reach 64k ports
// per destination instead of sharing one ephemeral range.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	const ipBindAddressNoPort = 24 // linux/in.h
	_ = c.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
	return nil
}
