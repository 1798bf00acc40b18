// Command benchrun compares wsloop with its Go peers: it runs every
// scenario against every implementation's benchserver (pinned to one CPU)
// with the wsloop loadtest (pinned to another) and writes results.json,
// results.md and charts. See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wsloop/wsloop/bench/internal/runner"
	"github.com/wsloop/wsloop/bench/servers"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	impls := fs.String("impls", strings.Join(servers.Names, ","), "comma-separated implementations")
	quick := fs.Bool("quick", false, "reduced set: fewer connections, shorter runs (under 5 minutes)")
	out := fs.String("out", "results", "output directory")
	only := fs.String("only", "", "comma-separated substrings: run only scenarios whose names contain one")
	repeat := fs.Int("repeat", 0, "runs per implementation for every scenario (0: 3 for tls-handshake and echo-16KiB-*, 1 for the rest; 1 with -quick)")
	rate := fs.Float64("broadcast-rate", 0, "broadcast sender msgs/s (0: 20)")
	loadBin := fs.String("loadtest-bin", "", "prebuilt loadtest binary (default: build -repo/cmd/wsloop, or ./cmd/benchload without it)")
	loadSub := fs.String("loadtest-subcmd", "loadtest", "subcommand placed before the loadtest flags (empty: none)")
	repo := fs.String("repo", "..", "the wsloop module root (to build ./cmd/wsloop)")
	serverCPU := fs.Int("server-cpu", 0, "CPU for the servers (-1: no pinning)")
	loadCPU := fs.Int("load-cpu", 1, "CPU for the loadtest (-1: no pinning)")
	maxTime := fs.Duration("max-time", 0, "bound on the whole session (0: 10m with -quick, 45m otherwise)")
	list := fs.Bool("list", false, "print the scenarios and exit")
	rerender := fs.Bool("rerender", false, "rewrite results.md and the charts from -out/results.json, run nothing")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: benchrun [flags]\n\nRuns each scenario against each implementation and writes results.json,\nresults.md and PNG/SVG charts to -out.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	names := splitList(*impls)
	for _, n := range names {
		if !known(n) {
			fmt.Fprintf(stderr, "benchrun: unknown implementation %q (known: %s)\n", n, strings.Join(servers.Names, ", "))
			return 2
		}
	}
	if *repeat < 0 {
		fmt.Fprintln(stderr, "benchrun: -repeat must not be negative")
		return 2
	}
	plan := runner.Plan{Quick: *quick, BroadcastRate: *rate, Repeat: *repeat}
	if *list {
		for _, sc := range runner.FilterScenarios(plan.Scenarios(), splitList(*only)) {
			fmt.Fprintf(stdout, "%-22s %-9s x%d %s\n", sc.Name, sc.Group, sc.Repeat, strings.Join(runner.LoadArgs(sc.Load, "ADDR", 0, "OUT.json"), " "))
		}
		return 0
	}
	if *rerender {
		if err := runner.Rerender(*out, names); err != nil {
			fmt.Fprintln(stderr, "benchrun:", err)
			return 1
		}
		return 0
	}
	limit := *maxTime
	if limit <= 0 {
		limit = 45 * time.Minute
		if *quick {
			limit = 10 * time.Minute
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	wd, _ := os.Getwd()
	cfg := runner.Config{
		Impls:          names,
		Plan:           plan,
		OutDir:         *out,
		BenchDir:       wd,
		RepoDir:        *repo,
		LoadtestBin:    *loadBin,
		LoadtestSubcmd: splitFields(*loadSub),
		ServerCPU:      *serverCPU,
		LoadCPU:        *loadCPU,
		Command:        "benchrun " + strings.Join(args, " "),
		Log:            stdout,
		Only:           splitList(*only),
		Unsupported:    servers.Unsupported,
	}
	if cfg.LoadtestBin != "" {
		if abs, err := filepath.Abs(cfg.LoadtestBin); err == nil {
			cfg.LoadtestBin = abs
		}
	}
	rep, err := runner.Session(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	failed, na := 0, 0
	for _, r := range rep.Records {
		switch {
		case r.Error != "":
			failed++
		case r.NA != "":
			na++
		}
	}
	fmt.Fprintf(stdout, "wrote %s (%d runs, %d failed, %d not applicable)\n", filepath.Join(*out, "results.md"), len(rep.Records)-na, failed, na)
	return 0
}

func known(name string) bool {
	for _, n := range servers.Names {
		if n == name {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func splitFields(s string) []string { return strings.Fields(s) }
