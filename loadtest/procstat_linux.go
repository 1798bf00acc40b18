package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is 100
// on every Linux architecture Go supports (sysconf needs cgo to ask).
const clockTicks = 100

// procSample is one reading of a process.
type procSample struct {
	rssKB int64
	cpuS  float64
}

// readProc reads VmRSS from /proc/pid/status and the process's CPU time:
// the sum of its threads' nanosecond run times from
// /proc/pid/task/*/schedstat when the kernel has them (a server at rest
// uses well under one 10 ms tick per second), else utime+stime from
// /proc/pid/stat.
func readProc(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return s, err
	}
	rss, ok := parseVmRSS(status)
	if !ok {
		return s, errors.New("no VmRSS in /proc status")
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return s, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return s, err
	}
	if ns, ok := schedstatCPU(pid); ok {
		cpu = float64(ns) / 1e9
	}
	return procSample{rssKB: rss, cpuS: cpu}, nil
}

// schedstatCPU sums the first field (time on CPU, ns) of every thread's
// /proc/pid/task/TID/schedstat. ok is false when any of them cannot be
// read (no CONFIG_SCHEDSTATS, or the process is gone).
func schedstatCPU(pid int) (ns uint64, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + t.Name() + "/schedstat")
		if err != nil {
			return 0, false // a thread that exited meanwhile, or no schedstat
		}
		f := bytes.Fields(b)
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		ns += v
	}
	return ns, true
}

// parseVmRSS finds "VmRSS:   1234 kB" and returns the number of kB.
func parseVmRSS(status []byte) (int64, bool) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(string(f[0]), 10, 64)
		return v, err == nil
	}
	return 0, false
}

// parseStatCPU returns (utime+stime)/USER_HZ from a /proc/pid/stat line. The
// command name may contain spaces and parentheses, so fields are counted
// after the last ')'.
func parseStatCPU(stat []byte) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc stat times: %v %v", err1, err2)
	}
	return float64(ut+st) / clockTicks, nil
}

// selfUsage returns this process's user and system CPU time and peak RSS.
func selfUsage() (user, sys float64, maxRSSKB int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, 0
	}
	tv := func(t syscall.Timeval) float64 {
		return float64(t.Sec) + float64(t.Usec)/1e6
	}
	return tv(ru.Utime), tv(ru.Stime), int64(ru.Maxrss)
}

// raiseNoFile raises the soft RLIMIT_NOFILE to the hard limit and returns the
// resulting soft limit.
func raiseNoFile() uint64 {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		nl := rl
		nl.Cur = nl.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl) == nil {
			rl = nl
		}
	}
	return rl.Cur
}

// Marks: the moments of a run at which the sampler reads the server
// process besides its periodic samples.
const (
	markBefore       = iota // when sampling starts, before the first dial
	markTrafficStart        // the measured window begins
	markTrafficEnd          // the measured window ends
	markLoaded              // every reply in, connections still open
	markAfter               // every connection closed
	numMarks
)

// sampler is the one resource sampler of a run: it polls a process in the
// background and reads it at the marks. Its methods are nil-safe, so a run
// without a server process calls them unconditionally.
type sampler struct {
	pid     int
	start   time.Time
	every   time.Duration
	stop    chan struct{}
	done    chan struct{}
	samples []ServerSample // owned by the goroutine until done is closed
	err     error          // the goroutine's first error

	marks    [numMarks]procSample
	marked   [numMarks]bool
	markErr  error
	finished bool
}

// maxSamples bounds the samples kept; later ones replace the previous last.
const maxSamples = 4096

// startSampler reads pid once (markBefore), failing if it cannot, and
// starts polling it every interval.
func startSampler(pid int, start time.Time, every time.Duration) (*sampler, error) {
	s := &sampler{pid: pid, start: start, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	p, err := readProc(pid)
	if err != nil {
		return nil, err
	}
	s.marks[markBefore], s.marked[markBefore] = p, true
	go s.run()
	return s, nil
}

func (s *sampler) run() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		s.take()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *sampler) take() {
	p, err := readProc(s.pid)
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return
	}
	smp := ServerSample{T: time.Since(s.start).Seconds(), RSSKB: p.rssKB, CPUS: p.cpuS}
	if len(s.samples) >= maxSamples {
		s.samples[len(s.samples)-1] = smp
		return
	}
	s.samples = append(s.samples, smp)
}

// mark reads the process now and keeps the reading as mark m (the latest
// reading wins). Marks are taken by the goroutine that runs the phases.
func (s *sampler) mark(m int) {
	if s == nil {
		return
	}
	p, err := readProc(s.pid)
	if err != nil {
		if s.markErr == nil {
			s.markErr = err
		}
		return
	}
	s.marks[m], s.marked[m] = p, true
}

// now reads the process without keeping the reading (zero without a
// sampler or on error, which is remembered).
func (s *sampler) now() procSample {
	if s == nil {
		return procSample{}
	}
	p, err := readProc(s.pid)
	if err != nil && s.markErr == nil {
		s.markErr = err
	}
	return p
}

// serverLoad is what the server did in the measured window, to which its
// CPU and memory are related.
type serverLoad struct {
	msgs   uint64 // messages the client received in the window (0: no per-message figure)
	peak   int64  // most connections open at once (0: no per-connection figure)
	opened uint64 // handshakes (cycles)
	cycles bool   // churn/handshake: CPU per thousand handshakes
}

// finish stops polling and returns the server figures (nil without a
// sampler). A mark never taken stands in for its nearest neighbour: the
// window's start for markBefore, its end and markLoaded for markAfter.
func (s *sampler) finish(ld serverLoad) *ServerStats {
	if s == nil || s.finished {
		return nil
	}
	s.finished = true
	close(s.stop)
	<-s.done
	m := s.marks
	if !s.marked[markAfter] {
		m[markAfter] = m[markBefore]
	}
	if !s.marked[markTrafficStart] {
		m[markTrafficStart] = m[markBefore]
	}
	if !s.marked[markTrafficEnd] {
		m[markTrafficEnd] = m[markAfter]
	}
	if !s.marked[markLoaded] {
		m[markLoaded] = m[markTrafficEnd]
	}
	before, loaded, after := m[markBefore], m[markLoaded], m[markAfter]
	st := &ServerStats{PID: s.pid, RSSBeforeKB: before.rssKB, RSSLoadedKB: loaded.rssKB, RSSAfterKB: after.rssKB,
		CPUS: after.cpuS - before.cpuS, TrafficCPUS: m[markTrafficEnd].cpuS - m[markTrafficStart].cpuS, Samples: s.samples}
	st.RSSPeakKB = max(before.rssKB, loaded.rssKB, after.rssKB)
	for _, x := range s.samples {
		st.RSSPeakKB = max(st.RSSPeakKB, x.RSSKB)
	}
	switch {
	case ld.cycles:
		if ld.opened > 0 {
			st.CPUPerKConns = st.CPUS / float64(ld.opened) * 1000
		}
	default:
		if ld.peak > 0 && loaded.rssKB > 0 {
			st.BytesPerConn = float64(loaded.rssKB-before.rssKB) * 1024 / float64(ld.peak)
		}
		if ld.msgs > 0 {
			st.CPUPerMMsgs = st.TrafficCPUS / float64(ld.msgs) * 1e6
		}
	}
	err := s.markErr
	if err == nil {
		err = s.err
	}
	if err != nil {
		st.SampleError = err.Error()
	}
	return st
}
