package main

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcFlags are the serve command's garbage-collector settings. They change
// the whole process (the runtime has one collector), so the library leaves
// them to the program; serve exposes them because they trade memory per
// idle connection against CPU (see README, "Idle CPU and memory").
type gcFlags struct {
	gogc     int    // -1: leave the runtime's setting (GOGC, default 100)
	memLimit string // "": leave the runtime's setting (GOMEMLIMIT)
}

func (g *gcFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&g.gogc, "gogc", -1, "garbage collector target percentage, as GOGC (lower: less memory per idle connection, more GC CPU while connections open; -1: keep GOGC or 100)")
	fs.StringVar(&g.memLimit, "memory-limit", "", "soft memory limit for the whole process, as GOMEMLIMIT (e.g. 2GiB; empty: keep GOMEMLIMIT); the memory budget defaults to a quarter of it")
}

// apply sets the process's collector from the flags.
func (g *gcFlags) apply() error {
	if g.memLimit != "" {
		n, err := parseBytes(g.memLimit)
		if err != nil {
			return fmt.Errorf("bad -memory-limit: %w", err)
		}
		debug.SetMemoryLimit(n)
	}
	if g.gogc >= 0 {
		debug.SetGCPercent(g.gogc)
	}
	return nil
}

// parseBytes reads a byte count with an optional binary suffix (KiB, MiB,
// GiB, TiB) or a plain B, as GOMEMLIMIT does.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a positive byte count (e.g. 512MiB)", s)
	}
	return n * mult, nil
}
