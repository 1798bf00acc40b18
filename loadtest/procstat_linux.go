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

// readProc reads VmRSS from /proc/pid/status and utime+stime from
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
	return procSample{rssKB: rss, cpuS: cpu}, nil
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

// sampler polls a process in the background.
type sampler struct {
	pid     int
	start   time.Time
	every   time.Duration
	stop    chan struct{}
	done    chan struct{}
	samples []ServerSample // owned by the goroutine until done is closed
	err     error
}

// maxSamples bounds the samples kept; later ones replace the previous last.
const maxSamples = 4096

func startSampler(pid int, start time.Time, every time.Duration) *sampler {
	s := &sampler{pid: pid, start: start, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
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

// finish stops sampling and returns the samples and the first error.
func (s *sampler) finish() ([]ServerSample, error) {
	close(s.stop)
	<-s.done
	return s.samples, s.err
}
