package loadtest

import (
	"os"
	"testing"
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
