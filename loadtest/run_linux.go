package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// load is the run-time side of a Scenario: its three phases. Run calls
// setup, then traffic (unless setup failed), then result.
type load interface {
	// setup opens what the load needs (connections, a baseline phase).
	setup(ctx context.Context, r *runner) error
	// traffic runs the measured load until it is done, Options.Duration
	// has passed or ctx ends.
	traffic(ctx context.Context, r *runner) error
	// result adds the scenario's figures to res, which Run has filled
	// with the figures every run has.
	result(r *runner, res *Result)
}

// Run phases, in order.
const (
	phRamp    = iota // opening connections
	phTraffic        // sending (echo, broadcast) or holding (idle)
	phDrain          // no new sends; waiting for outstanding replies
	phClose          // close handshakes, then exit
)

// runner is the state of one run.
type runner struct {
	o        Options
	targets  []target
	d        *dialer
	start    time.Time
	deadline time.Time // start + Duration: the end of ramp plus traffic
	progress *Progress
	smp      *sampler         // nil without ServerPID
	series   *seriesCollector // nil until loops or cycle workers start
	nofile   uint64

	c    counters
	errs errorCounts
	hs   *recorder // handshake latencies
	cyc  *recorder // churn cycle latencies
	cst  *msgCounters

	loops        []*loop
	phase        atomic.Int32
	trafficStart atomic.Int64
	nextLoop     atomic.Uint64

	plan loadPlan

	rampEnd, trafficEnd time.Duration
	recvAtEnd           msgTotals // totals when sending stopped: the rates' numerator
}

// loadPlan is what a scenario's setup asks of the loops and connections.
type loadPlan struct {
	role     uint8   // role of ordinary connections
	pat      pattern // payloads of echo requests, filler of broadcast stamps
	op       byte    // opcode of sent messages
	inflight int     // echo: outstanding requests per connection
	rate     float64 // echo: total paced msgs/s (0: closed loop); broadcast: the sender's msgs/s
	msgLimit uint64  // echo: messages per connection; broadcast: messages sent

	cycles      bool       // churn or handshake: progress counts cycles
	awaitClose  bool       // cycles wait for the server's close reply
	hsProgress  bool       // progress p99 from handshake latencies
	extraTarget int        // connections beyond Options.Conns (the broadcast sender)
	measured    bool       // server CPU per message and RSS per connection apply
	script      *Script    // the script of roleScript connections
	pubsub      *pubsubRun // the state of rolePubSub connections
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

// Run executes one load test as o describes and returns its result. It
// stops when o.Duration has passed, when the scenario's quota is done, or
// when ctx is cancelled (then Result.Interrupted is set); in every case it
// closes its connections and returns a result. Progress, if non-nil,
// receives live progress (see Progress).
func Run(ctx context.Context, o Options, progress *Progress) (*Result, error) {
	o = o.Defaults()
	targets, err := o.validate(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	if o.Loops <= 0 {
		o.Loops = runtime.GOMAXPROCS(0)
	}
	r := &runner{o: o, targets: targets, d: newDialer(targets, &o), start: time.Now(), progress: progress,
		hs: newRecorder(), cyc: newRecorder(), cst: &msgCounters{}, nofile: raiseNoFile()}
	r.deadline = r.start.Add(o.Duration)
	r.errs.c = &r.c
	u0, s0, _ := selfUsage()
	if o.ServerPID > 0 {
		if r.smp, err = startSampler(o.ServerPID, r.start, o.SampleInterval); err != nil {
			return nil, fmt.Errorf("server process %d: %w", o.ServerPID, err)
		}
	}
	sc := o.Scenario
	err = sc.setup(ctx, r)
	if err == nil {
		err = sc.traffic(ctx, r)
	}
	r.closeLoops()
	if progress != nil {
		progress.end()
	}
	series := r.series.finish()
	r.smp.mark(markAfter)
	if err != nil {
		r.smp.finish(serverLoad{})
		return nil, err
	}
	res := r.result(ctx, u0, s0)
	res.Series = series
	sc.result(r, res)
	if res.Server != nil {
		fillServerSeries(res.Series, res.Server.Samples)
	}
	return res, nil
}

// result fills the figures every run has.
func (r *runner) result(ctx context.Context, u0, s0 float64) *Result {
	o := &r.o
	end := time.Since(r.start)
	u1, s1, maxRSS := selfUsage()
	tot := r.totals()
	res := &Result{
		Schema:      ResultSchema,
		Scenario:    o.Scenario.Name(),
		URL:         o.URLs[0],
		Started:     r.start,
		DurationS:   end.Seconds(),
		RampS:       r.rampEnd.Seconds(),
		TrafficS:    (r.trafficEnd - r.rampEnd).Seconds(),
		Interrupted: ctx.Err() != nil,
		Config: ResultConfig{Conns: o.Conns, Inflight: r.plan.inflight, Rate: r.plan.rate, Size: r.plan.pat.size,
			Binary: r.plan.op == wsclient.OpBinary, Ramp: o.Ramp, Sources: len(o.Sources), Loops: len(r.loops),
			DialWorkers: o.DialWorkers, TLS: r.targets[0].tls},
		Errors:       r.errs.snapshot(),
		ErrorSamples: r.errs.sampleSnapshot(),
		ErrorsTotal:  r.c.errorTotal.Load(),
	}
	if len(o.URLs) > 1 {
		res.URLs = o.URLs
	}
	if r.plan.msgLimit != math.MaxUint64 && r.plan.msgLimit != 0 {
		res.Config.Messages = int(r.plan.msgLimit)
	}
	res.Connections = ConnectionStats{Target: o.Conns + r.plan.extraTarget, Attempts: r.c.attempts.Load(),
		Opened: r.c.opened.Load(), Peak: r.c.peakOpen.Load(), ClosedOK: r.c.closedOK.Load()}
	res.Messages = MessageStats{Sent: tot.sent, Received: tot.recv, Skipped: tot.skipped, Foreign: tot.foreign,
		BytesSent: tot.bytesSent, BytesRecv: tot.bytesRecv}
	if res.TrafficS > 0 {
		res.Messages.PerSec = float64(r.recvAtEnd.recv) / res.TrafficS
		res.Messages.MBPerSec = float64(r.recvAtEnd.bytesRecv) / res.TrafficS / 1e6
	}
	lat := newHist()
	for _, l := range r.loops {
		lat.Merge(l.rec.total)
	}
	lat.Merge(r.cyc.total)
	res.Latency, res.Handshake = latencyOf(lat), latencyOf(r.hs.total)
	res.lat, res.hsLat = lat, r.hs.total
	res.Client = ClientStats{UserS: u1 - u0, SysS: s1 - s0, NumCPU: runtime.NumCPU(), Loops: len(r.loops), MaxRSSKB: maxRSS, NoFile: r.nofile}
	res.Client.CPUS = res.Client.UserS + res.Client.SysS
	if res.DurationS > 0 {
		res.Client.CPUUtil = res.Client.CPUS / res.DurationS
	}
	load := serverLoad{cycles: r.plan.cycles, opened: res.Connections.Opened}
	if r.plan.measured {
		load.msgs, load.peak = r.recvAtEnd.recv, res.Connections.Peak
	}
	res.Server = r.smp.finish(load)
	return res
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

// checkNoFile refuses a run that needs more descriptors than the process may
// open.
func (r *runner) checkNoFile(conns int) error {
	need := uint64(conns) + 64
	if r.nofile > 0 && need > r.nofile {
		return fmt.Errorf("%d connections need about %d file descriptors; RLIMIT_NOFILE is %d", conns, need, r.nofile)
	}
	return nil
}

// openConns starts the loops and the progress reporter, then opens
// o.Conns connections of the plan's role at o.Ramp per second.
func (r *runner) openConns(ctx context.Context) error {
	if err := r.checkNoFile(r.o.Conns + r.plan.extraTarget); err != nil {
		return err
	}
	if err := r.startLoops(); err != nil {
		return err
	}
	r.beginWatching()
	rctx, cancel := context.WithDeadline(ctx, r.deadline)
	defer cancel()
	r.ramp(rctx)
	r.rampEnd = time.Since(r.start)
	return nil
}

// beginWatching starts the progress reporter and the series collector, once
// the loops exist.
func (r *runner) beginWatching() {
	if r.progress != nil {
		r.progress.begin(r)
	}
	r.series = startSeries(r)
}

// holdTraffic runs the traffic phase of the connection-holding scenarios:
// the loops send until done reports the quota met (polled every 10 ms) or
// the deadline passes, then, bounded by o.Timeout, until drained reports
// every reply in. The loops are told to close afterwards by closeLoops.
func (r *runner) holdTraffic(ctx context.Context, done func() bool, drained func(msgTotals) bool) {
	rctx, cancel := context.WithDeadline(ctx, r.deadline)
	defer cancel()
	r.smp.mark(markTrafficStart)
	r.trafficStart.Store(r.now())
	r.phase.Store(phTraffic)
	r.wakeLoops()
	tk := time.NewTicker(10 * time.Millisecond)
	for rctx.Err() == nil && (done == nil || !done()) {
		select {
		case <-rctx.Done():
		case <-tk.C:
		}
	}
	tk.Stop()
	r.trafficEnd = time.Since(r.start)
	r.recvAtEnd = r.totals()
	r.smp.mark(markTrafficEnd)
	if ctx.Err() == nil {
		r.phase.Store(phDrain)
		limit := time.Now().Add(r.o.Timeout)
		for time.Now().Before(limit) && ctx.Err() == nil && !drained(r.totals()) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	r.smp.mark(markLoaded)
}

// closeLoops moves to the close phase and waits for every loop to close its
// connections (each bounded by o.CloseTimeout).
func (r *runner) closeLoops() {
	r.phase.Store(phClose)
	r.wakeLoops()
	for _, l := range r.loops {
		<-l.done
	}
}

func (r *runner) startLoops() error {
	for i := 0; i < r.o.Loops; i++ {
		l, err := newLoop(r, i)
		if err != nil {
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
				r.openConn(ctx, r.plan.role, int(i))
			}
		})
	}
	wg.Wait()
}

// openConn dials one connection to target i (modulo the targets) and hands
// it to a loop; the broadcast sender always goes to loop 0.
func (r *runner) openConn(ctx context.Context, role uint8, i int) bool {
	nc, rest, ok := r.dialCounted(ctx, i)
	if !ok {
		return false
	}
	return r.adoptConn(nc, rest, role, i)
}

// redialConn dials connection i again (pubsub soak): a failure is not
// counted as an error, the caller tries again later.
func (r *runner) redialConn(ctx context.Context, role uint8, i int) bool {
	nc, rest, err := r.d.dial(ctx, i)
	if err != nil {
		return false
	}
	return r.adoptConn(nc, rest, role, i)
}

// adoptConn hands an upgraded connection to a loop.
func (r *runner) adoptConn(nc net.Conn, rest []byte, role uint8, i int) bool {
	c := newConn(role, &r.plan, r.o.MaxMessageSize, rand.Uint64())
	c.id, c.node = uint64(i), i%len(r.targets)
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

// dialCounted dials target i, counting the attempt, the handshake latency
// and any error (except one caused by ctx ending).
func (r *runner) dialCounted(ctx context.Context, i int) (net.Conn, []byte, bool) {
	r.c.attempts.Add(1)
	t0 := time.Now()
	nc, rest, err := r.d.dial(ctx, i)
	if err != nil {
		if !ctxDone(ctx) {
			r.errs.addErr(errKind(err, ErrKindDial), err)
		}
		return nil, nil, false
	}
	r.hs.record(int64(time.Since(t0)))
	return nc, rest, true
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
