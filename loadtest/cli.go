package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Usage is the help text of `wsloop loadtest`.
const Usage = `usage: wsloop loadtest [flags] ws://host:port/path

Generates WebSocket load against any RFC 6455 server and reports throughput,
latency percentiles (HdrHistogram), errors by kind, the client's own CPU use
and, with -server-pid, the server's memory and CPU.

Scenarios (-scenario):
  idle       open -conns connections and hold them for -duration
  echo       -conns connections send -size byte messages and verify each
             echo; -inflight K per connection, or -rate R msgs/s in total
  broadcast  -conns receivers plus one sender that sends -rate stamped
             messages/s to the URL; the server must relay every message to
             every connection; latency is send-to-receive
  churn      -rate connect/upgrade/close cycles per second, checking that
             the server answers the close handshake with 1000
  handshake  as many connect/upgrade cycles as -dial-workers allow
  hostile    an echo baseline phase (-baseline), then the echo load again
             while -attackers hostile clients run -attack-rounds of each
             -attacks kind; reports what the server did to each attack,
             both phases' p99 and (with -server-pid) its peak RSS
  soak       -cycles of: open -conns, echo -messages each, close all;
             reports server RSS and (via -metrics) open connections after
             every cycle

Flags:
`

// exitCodes returned by Main.
const (
	exitOK     = 0 // run finished without errors
	exitErrors = 1 // run finished with errors, or could not run
	exitUsage  = 2 // bad command line
)

// Main is the `wsloop loadtest` command: it parses args (without the
// command name), runs the test, prints progress and a summary to stdout and
// problems to stderr, and writes -json. It returns 0 when the run had no
// errors, 1 when it had errors or could not run, 2 on a usage error. An
// interrupt (SIGINT) or ctx cancellation ends the run early; the summary is
// still printed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, Usage)
		fs.PrintDefaults()
	}
	var o Options
	var sources, jsonPath string
	fs.StringVar(&o.URL, "url", "", "target `URL` (or give it as the argument)")
	fs.StringVar(&o.Scenario, "scenario", ScenarioEcho, "idle, echo, broadcast, churn, handshake, hostile or soak")
	fs.IntVar(&o.Conns, "conns", 100, "connections (broadcast: receivers)")
	fs.DurationVar(&o.Duration, "duration", 0, "ramp plus traffic time (default 10s); then a drain of at most -timeout and closing of at most -close-timeout")
	fs.Float64Var(&o.Ramp, "ramp", 0, "connections opened per second (0: as fast as -dial-workers allow)")
	fs.IntVar(&o.Size, "size", 32, "payload `bytes` per message (broadcast: at least 35)")
	fs.IntVar(&o.Inflight, "inflight", 0, "echo: messages in flight per connection (default 1; with -rate: most outstanding, default 128)")
	fs.Float64Var(&o.Rate, "rate", 0, "echo: total msgs/s; broadcast: sender msgs/s (default 10); churn: cycles/s (default 100); handshake: limit")
	fs.IntVar(&o.Messages, "messages", 0, "echo: messages per connection; broadcast: messages sent; churn/handshake: cycles (0: until -duration); soak: per connection per cycle (default 10)")
	fs.BoolVar(&o.Binary, "binary", false, "send binary frames (default text)")
	fs.StringVar(&sources, "sources", "", "source addresses to bind: a count N (127.0.0.1..N), a range 127.0.0.1-127.0.0.50, or a list")
	fs.BoolVar(&o.Insecure, "insecure", false, "wss: do not verify the server certificate (self-signed servers)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow non-loopback targets and sources")
	fs.StringVar(&o.Origin, "origin", "", "Origin header to send")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "sample this server process's RSS and CPU from /proc")
	fs.DurationVar(&o.Progress, "progress", 0, "progress line interval when stdout is not a terminal (default 1s; negative: none)")
	fs.StringVar(&jsonPath, "json", "", "write the result as JSON to `file`")
	fs.IntVar(&o.Loops, "loops", 0, "client event loops (default GOMAXPROCS)")
	fs.IntVar(&o.DialWorkers, "dial-workers", 0, "concurrent dials and handshakes (default 64)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "dial, handshake and echo-response timeout (default 5s)")
	fs.DurationVar(&o.CloseTimeout, "close-timeout", 0, "wait for close replies at the end (default 2s)")
	fs.IntVar(&o.MaxMessageSize, "max-message", 0, "largest server message accepted in bytes (default 16 MiB)")
	var attacks string
	fs.StringVar(&attacks, "attacks", "", "hostile: comma-separated attack kinds (default all: "+strings.Join(AttackKinds, ",")+")")
	fs.IntVar(&o.Attackers, "attackers", 0, "hostile: concurrent hostile clients (default 4)")
	fs.IntVar(&o.AttackRounds, "attack-rounds", 0, "hostile: rounds of every attack kind (default 3)")
	fs.IntVar(&o.BudgetConns, "budget-conns", 0, "hostile: connections of one budget attack, each withholding the last byte of a large message (default 60)")
	fs.DurationVar(&o.AttackTimeout, "attack-timeout", 0, "hostile: how long an attack waits for the server to close it; set to the server's handshake timeout plus a margin (default 12s)")
	fs.DurationVar(&o.Baseline, "baseline", 0, "hostile: attacker-free echo phase before the attack phase (default 3s)")
	fs.IntVar(&o.ServerMaxMessage, "server-max-message", 0, "hostile: the server's message size limit; the oversize attack declares one byte more (default 16 MiB)")
	fs.IntVar(&o.Cycles, "cycles", 0, "soak: cycles to run (0: until -duration)")
	fs.StringVar(&o.MetricsPath, "metrics", "", `hostile, soak: path of the server's metrics JSON with a "Connections" field (default /metrics; "-": none)`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch fs.NArg() {
	case 0:
	case 1:
		if o.URL != "" {
			fmt.Fprintln(stderr, "loadtest: give the URL once")
			return exitUsage
		}
		o.URL = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "loadtest: unexpected arguments %q\n", fs.Args()[1:])
		return exitUsage
	}
	if o.URL == "" {
		fs.Usage()
		return exitUsage
	}
	var err error
	if attacks != "" {
		o.Attacks = strings.Split(attacks, ",")
	}
	if o.Sources, err = ParseSources(sources); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	var prog *Progress
	if o.Progress >= 0 {
		prog = NewProgress(stdout, o.Progress)
	}
	res, err := Run(ctx, o, prog)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		if errors.Is(err, ErrInvalidOptions) {
			return exitUsage
		}
		return exitErrors
	}
	fmt.Fprintln(stdout)
	res.WriteSummary(stdout)
	if jsonPath != "" {
		if err := res.WriteJSON(jsonPath); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return exitErrors
		}
	}
	if res.ErrorsTotal > 0 || res.failed() {
		return exitErrors
	}
	return exitOK
}
