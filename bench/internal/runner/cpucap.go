package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoots are where capCPU looks for a cgroup CPU controller: cgroup
// v1's cpu hierarchy, then cgroup v2 (a hybrid system's unified mount, or
// the root of a v2-only one).
var cgroupRoots = []string{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}

// cpuCapPeriod is the quota period, in microseconds.
const cpuCapPeriod = 100000

// capCPU moves process pid (all its threads) into a new cgroup whose CPU
// quota is share of one CPU (0 < share ≤ 1), so that a server faster than
// the load generator still runs out of CPU first. release moves nothing
// back: call it after the process exited, to remove the cgroup.
func capCPU(roots []string, pid int, share float64) (release func(), err error) {
	if share <= 0 || share > 1 {
		return nil, fmt.Errorf("CPU share %v out of (0, 1]", share)
	}
	quota := int(share * cpuCapPeriod)
	var errs []error
	for _, root := range roots {
		dir, err := capIn(root, pid, quota)
		if err == nil {
			return func() { _ = os.Remove(dir) }, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no writable cgroup CPU controller: %w", errors.Join(errs...))
}

// capIn creates the cgroup under root (v1 when root has cpu.cfs_quota_us,
// v2 when it lists the cpu controller) and moves pid into it.
func capIn(root string, pid, quota int) (string, error) {
	v1 := fileExists(filepath.Join(root, "cpu.cfs_quota_us"))
	if !v1 {
		ctl, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		if err != nil || !hasField(string(ctl), "cpu") {
			return "", fmt.Errorf("%s: no cpu controller", root)
		}
		// v2: children get the cpu controller only when the parent
		// delegates it.
		if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+cpu"), 0o644); err != nil {
			return "", fmt.Errorf("%s: %w", root, err)
		}
	}
	dir := filepath.Join(root, "wsloop-bench-"+strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(pid))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	var err error
	if v1 {
		err = os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), []byte(strconv.Itoa(cpuCapPeriod)), 0o644)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "cpu.cfs_quota_us"), []byte(strconv.Itoa(quota)), 0o644)
		}
	} else {
		err = os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(fmt.Sprintf("%d %d", quota, cpuCapPeriod)), 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
	}
	if err != nil {
		_ = os.Remove(dir)
		return "", err
	}
	return dir, nil
}

func fileExists(path string) bool { _, err := os.Stat(path); return err == nil }

func hasField(s, f string) bool {
	for _, x := range strings.Fields(s) {
		if x == f {
			return true
		}
	}
	return false
}
