package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Config is what one benchmark session does.
type Config struct {
	Impls          []string  // implementations, in table order
	Plan           Plan      // scenario set
	OutDir         string    // results.json, results.md, charts, logs
	BenchDir       string    // the bench module (builds ./cmd/benchserver)
	RepoDir        string    // the core module (builds ./cmd/wsloop unless LoadtestBin)
	LoadtestBin    string    // prebuilt loadtest binary (optional)
	LoadtestSubcmd []string  // arguments before the flags, e.g. ["loadtest"]
	ServerCPU      int       // CPU for the servers (-1: no pinning)
	LoadCPU        int       // CPU for the loadtest (-1: no pinning)
	Command        string    // the command line, for the report header
	Log            io.Writer // progress lines
	Only           []string  // run only scenarios whose names contain one of these (optional)
	// Unsupported returns why impl cannot run scenarios of group (over
	// TLS when tls), or "" when it can; such runs are recorded as not
	// applicable, not run.
	Unsupported func(impl, group string, tls bool) string
}

// Step is one run of a session: a scenario, an implementation, a round.
type Step struct {
	Scenario Scenario
	Impl     string
	Round    int // 1..Scenario.Repeat
}

// RunOrder lists the runs of scenarios × impls in session order: scenario
// by scenario, and within a scenario round by round, every implementation
// in each round, so drift over time hits every implementation alike.
func RunOrder(scenarios []Scenario, impls []string) []Step {
	var out []Step
	for _, sc := range scenarios {
		for round := 1; round <= max(sc.Repeat, 1); round++ {
			for _, impl := range impls {
				out = append(out, Step{Scenario: sc, Impl: impl, Round: round})
			}
		}
	}
	return out
}

// Session runs cfg: builds the binaries, runs every scenario against every
// implementation, and writes the outputs. The report is returned even when
// ctx is cancelled part way (with the runs done so far).
func Session(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(filepath.Join(cfg.OutDir, "logs"), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	serverBin := filepath.Join(tmp, "benchserver")
	fmt.Fprintf(cfg.Log, "building benchserver ...\n")
	if err := goBuild(ctx, cfg.BenchDir, serverBin, "./cmd/benchserver"); err != nil {
		return nil, err
	}
	loadBin, err := buildLoadtest(ctx, &cfg, tmp)
	if err != nil {
		return nil, err
	}

	// One certificate for the whole session: every server does the same
	// ECDSA P-256 work.
	certFile, keyFile, err := serverutil.WriteSelfSigned(tmp)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	cert := &Cert{CertFile: certFile, KeyFile: keyFile}

	rep := &Report{Machine: DetectMachine(time.Now()), Command: cfg.Command}
	scenarios := FilterScenarios(cfg.Plan.Scenarios(), cfg.Only)
	for _, st := range RunOrder(scenarios, cfg.Impls) {
		if ctx.Err() != nil {
			break
		}
		sc := st.Scenario
		var rec *Record
		if why := cfg.notApplicable(sc, st.Impl); why != "" {
			if st.Round > 1 {
				continue // recorded once
			}
			rec = &Record{Impl: st.Impl, Scenario: sc.Name, Group: sc.Group, Round: st.Round, NA: why}
		} else {
			rec = runOne(ctx, cfg, st, cert, serverBin, loadBin, tmp)
		}
		rep.Records = append(rep.Records, rec)
		fmt.Fprintf(cfg.Log, "%-22s %-8s %s\n", sc.Name, st.Impl, runStatus(st, rec))
		if err := writeJSON(filepath.Join(cfg.OutDir, "results.json"), rep); err != nil {
			return rep, err
		}
	}
	if err := WriteOutputs(cfg.OutDir, rep, scenarios, cfg.Impls); err != nil {
		return rep, err
	}
	return rep, ctx.Err()
}

// notApplicable says why sc does not apply to impl ("" when it does).
func (cfg *Config) notApplicable(sc Scenario, impl string) string {
	if cfg.Unsupported != nil {
		return cfg.Unsupported(impl, sc.Group, sc.Load.TLS)
	}
	return ""
}

// runStatus is the progress line's verdict on one run.
func runStatus(st Step, rec *Record) string {
	status := "ok"
	switch sc := st.Scenario; {
	case rec.NA != "":
		status = "n/a: " + rec.NA
	case rec.Error != "":
		status = "FAILED: " + rec.Error
	case rec.Result() != nil && len(sc.Metrics) > 0:
		if v, ok := sc.Metrics[0].Value(rec.Result()); ok {
			status = fmt.Sprintf("%s %s", FormatValue(v), sc.Metrics[0].Name)
		}
	}
	if st.Scenario.Repeat > 1 {
		status = fmt.Sprintf("[run %d/%d] %s", st.Round, st.Scenario.Repeat, status)
	}
	return status
}

// buildLoadtest returns the loadtest binary: cfg.LoadtestBin if set, else
// the core module's ./cmd/wsloop (run as "wsloop loadtest ..."), else the
// bench module's ./cmd/benchload (no subcommand).
func buildLoadtest(ctx context.Context, cfg *Config, tmp string) (string, error) {
	if cfg.LoadtestBin != "" {
		return cfg.LoadtestBin, nil
	}
	bin := filepath.Join(tmp, "wsloop")
	if st, err := os.Stat(filepath.Join(cfg.RepoDir, "cmd", "wsloop")); err == nil && st.IsDir() {
		fmt.Fprintf(cfg.Log, "building the loadtest CLI (./cmd/wsloop in %s) ...\n", cfg.RepoDir)
		return bin, goBuild(ctx, cfg.RepoDir, bin, "./cmd/wsloop")
	}
	fmt.Fprintf(cfg.Log, "building the loadtest CLI (./cmd/benchload; %s has no cmd/wsloop) ...\n", cfg.RepoDir)
	cfg.LoadtestSubcmd = nil
	return bin, goBuild(ctx, cfg.BenchDir, bin, "./cmd/benchload")
}

// FilterScenarios keeps the scenarios whose name contains one of only (all
// when only is empty).
func FilterScenarios(all []Scenario, only []string) []Scenario {
	if len(only) == 0 {
		return all
	}
	var out []Scenario
	for _, sc := range all {
		for _, o := range only {
			if o != "" && strings.Contains(sc.Name, o) {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

// Rerender reads dir/results.json and writes results.md and the charts
// again (for example after a change to the report code), for the scenarios
// of the quick and the full plan that have records.
func Rerender(dir string, impls []string) error {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	have := map[string]bool{}
	for _, r := range rep.Records {
		have[r.Scenario] = true
	}
	var scenarios []Scenario
	seen := map[string]bool{}
	for _, p := range []Plan{{Quick: true}, {}} {
		for _, sc := range p.Scenarios() {
			if have[sc.Name] && !seen[sc.Name] {
				seen[sc.Name] = true
				scenarios = append(scenarios, sc)
			}
		}
	}
	return WriteOutputs(dir, &rep, scenarios, impls)
}

// WriteOutputs writes results.json, results.md and the charts.
func WriteOutputs(dir string, rep *Report, scenarios []Scenario, impls []string) error {
	if err := writeJSON(filepath.Join(dir, "results.json"), rep); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	if err := WriteMarkdown(f, rep, scenarios, impls); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = WriteCharts(dir, DefaultCharts, scenarios, impls, rep.Records)
	return err
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func goBuild(ctx context.Context, dir, out, pkg string) error {
	bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, err, b)
	}
	return nil
}

// runName names a run's log and JSON files: impl-scenario, with -rN for
// the rounds of a repeated scenario.
func runName(st Step) string {
	name := st.Impl + "-" + st.Scenario.Name
	if st.Scenario.Repeat > 1 {
		name += fmt.Sprintf("-r%d", st.Round)
	}
	return name
}

// runOne runs one step; failures are recorded in the Record, never
// returned. TLS scenarios serve cert.
func runOne(ctx context.Context, cfg Config, st Step, cert *Cert, serverBin, loadBin, tmp string) *Record {
	sc, impl := st.Scenario, st.Impl
	rec := &Record{Impl: impl, Scenario: sc.Name, Group: sc.Group, Round: st.Round}
	logPath := filepath.Join(cfg.OutDir, "logs", runName(st)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	defer logf.Close()

	addr, err := FreeAddr()
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	fmt.Fprintf(logf, "== server %s %s on %s (tls %v)\n", impl, sc.Mode, addr, sc.Load.TLS)
	if !sc.Load.TLS {
		cert = nil
	}
	srv, err := StartServer(ctx, serverBin, cfg.ServerCPU, impl, addr, sc.Mode, cert, logf)
	if err != nil {
		rec.Error = "server: " + err.Error()
		return rec
	}
	release := func() {}
	if sc.ServerCPUShare > 0 {
		if release, err = capCPU(cgroupRoots, srv.PID(), sc.ServerCPUShare); err != nil {
			srv.Stop()
			rec.NA = "needs a cgroup CPU quota: " + err.Error()
			return rec
		}
		fmt.Fprintf(logf, "== server CPU capped at %.0f%% of a core (cgroup quota)\n", sc.ServerCPUShare*100)
	}
	defer func() {
		srv.Stop()
		release() // the cgroup can go once the server left it
	}()

	jsonPath := filepath.Join(tmp, runName(st)+".json")
	args := append(append([]string{}, cfg.LoadtestSubcmd...), LoadArgs(sc.Load, addr, srv.PID(), jsonPath)...)
	rec.Command = append([]string{filepath.Base(loadBin)}, args...)
	fmt.Fprintf(logf, "== %s\n", strings.Join(rec.Command, " "))
	rctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	cmd := pinned(rctx, cfg.LoadCPU, loadBin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	runErr := cmd.Run()

	raw, readErr := os.ReadFile(jsonPath)
	switch {
	case readErr == nil:
		if _, perr := ParseLoadResult(raw); perr != nil {
			rec.Error = perr.Error()
			return rec
		}
		rec.Raw = raw
		if runErr != nil {
			fmt.Fprintf(logf, "== loadtest exited: %v (result kept)\n", runErr)
		}
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		rec.Error = fmt.Sprintf("loadtest timed out after %v", sc.Timeout)
	case runErr != nil:
		rec.Error = fmt.Sprintf("loadtest: %v (see %s)", runErr, logPath)
	default:
		rec.Error = "loadtest wrote no JSON: " + readErr.Error()
	}
	return rec
}
