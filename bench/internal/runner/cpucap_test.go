package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCgroup makes a directory that looks like a cgroup root of version v.
func fakeCgroup(t *testing.T, v int) string {
	t.Helper()
	root := t.TempDir()
	if v == 1 {
		if err := os.WriteFile(filepath.Join(root, "cpu.cfs_quota_us"), []byte("-1"), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpuset cpu io memory pids"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func readIn(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func onlyChild(t *testing.T, root string) string {
	t.Helper()
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.IsDir() {
			return filepath.Join(root, e.Name())
		}
	}
	t.Fatal("no cgroup created")
	return ""
}

func TestCapCPUv1(t *testing.T) {
	root := fakeCgroup(t, 1)
	release, err := capCPU([]string{root}, 4242, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	dir := onlyChild(t, root)
	if q, p, procs := readIn(t, dir, "cpu.cfs_quota_us"), readIn(t, dir, "cpu.cfs_period_us"), readIn(t, dir, "cgroup.procs"); q != "60000" || p != "100000" || procs != "4242" {
		t.Errorf("quota %q period %q procs %q", q, p, procs)
	}
	// A real cgroup directory is empty once its processes exited; the
	// fake one holds the files written above.
	for _, f := range []string{"cpu.cfs_quota_us", "cpu.cfs_period_us", "cgroup.procs"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	release()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left after release", dir)
	}
}

func TestCapCPUv2(t *testing.T) {
	root := fakeCgroup(t, 2)
	if _, err := capCPU([]string{filepath.Join(root, "missing"), root}, 7, 0.5); err != nil {
		t.Fatal(err)
	}
	dir := onlyChild(t, root)
	if m, sub := readIn(t, dir, "cpu.max"), readIn(t, root, "cgroup.subtree_control"); m != "50000 100000" || sub != "+cpu" {
		t.Errorf("cpu.max %q subtree_control %q", m, sub)
	}
}

func TestCapCPUUnavailable(t *testing.T) {
	root := t.TempDir() // no controller files
	_, err := capCPU([]string{root}, 1, 0.6)
	if err == nil || !strings.Contains(err.Error(), "no writable cgroup CPU controller") {
		t.Errorf("err = %v", err)
	}
	if _, err := capCPU([]string{fakeCgroup(t, 1)}, 1, 1.5); err == nil {
		t.Error("a share over 1 accepted")
	}
}
