package runner

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	Date      string `json:"date"`
	NumCPU    int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// DetectMachine reads the CPU model from /proc/cpuinfo and the rest from the
// runtime.
func DetectMachine(now time.Time) Machine {
	return Machine{
		Date:      now.UTC().Format("2006-01-02 15:04 MST"),
		NumCPU:    runtime.NumCPU(),
		CPUModel:  cpuModel("/proc/cpuinfo"),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// cpuModel returns the first "model name" in a cpuinfo file, or "unknown".
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
