package loadtest

import (
	"os"
	"testing"
	"time"
)

func TestProcParsers(t *testing.T) {
	stat := []byte("1234 (we ird) (name) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 1 0\n")
	cpu, err := parseStatCPU(stat)
	if err != nil || cpu != 4.0 {
		t.Errorf("parseStatCPU = %v, %v; want 4", cpu, err)
	}
	if _, err := parseStatCPU([]byte("12 (x) S 1 2")); err == nil {
		t.Error("short stat accepted")
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("stat without ')' accepted")
	}
	rss, ok := parseVmRSS([]byte("Name:\tx\nVmPeak:\t 9 kB\nVmRSS:\t    5120 kB\n"))
	if !ok || rss != 5120 {
		t.Errorf("parseVmRSS = %d, %v", rss, ok)
	}
	if _, ok := parseVmRSS([]byte("Name: x\n")); ok {
		t.Error("status without VmRSS accepted")
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.rssKB < 1000 || s.cpuS < 0 {
		t.Errorf("own sample %+v", s)
	}
}

// TestSchedstatCPU checks the nanosecond CPU reading against the tick-based
// one: both count this process's CPU, so after some work they agree to
// within a few ticks. The kernel brings a running thread's figure up to
// date at scheduler ticks and switches, so the test works until it moves.
func TestSchedstatCPU(t *testing.T) {
	ns0, ok := schedstatCPU(os.Getpid())
	if !ok {
		t.Skip("this kernel has no /proc/PID/task/*/schedstat (CONFIG_SCHEDSTATS); readProc uses utime+stime")
	}
	ns1 := ns0
	for deadline := time.Now().Add(2 * time.Second); ns1 == ns0 && time.Now().Before(deadline); {
		for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
		}
		time.Sleep(time.Millisecond) // a switch: the kernel updates the runtime
		if ns1, ok = schedstatCPU(os.Getpid()); !ok {
			t.Fatal("schedstat became unreadable")
		}
	}
	if ns1 <= ns0 {
		t.Fatalf("schedstat did not move over up to 2 s of work: %d -> %d", ns0, ns1)
	}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	ticks, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if d := float64(ns1)/1e9 - ticks; d < -0.2 || d > 0.2 {
		t.Errorf("schedstat %.3f s and utime+stime %.3f s differ by more than 0.2 s", float64(ns1)/1e9, ticks)
	}
}
