package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Usage is the help text of `wsloop loadtest`.
const Usage = `usage: wsloop loadtest [flags] ws://host:port/path [more target URLs]

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
  script     the messages of a -script file: what each connection sends
             when it opens and then (at -rate, or the next on each answer),
             and what answer each expects
  pubsub     -conns subscribers over the target URLs (nodes), -topics
             topics, -publishers of them publishing -rate msgs/s in total
             (sub/pub/msg text protocol); deliveries/s, publish-to-delivery
             latency and lost/duplicated messages per node; -soak redials
             dropped connections and reports outages (of a node, or of
             one publisher's messages on a node); with -procs N the
             subscribers spread over N processes and the first publishes

Several target URLs spread the connections over them in turn.
Exit status: 0 ok, 1 errors (or a failed hostile/soak verdict), 2 usage,
3 a -threshold failed (with -threshold the thresholds decide, not errors).
`

// newFlagSet returns the flag set of the command and the values it fills.
func newFlagSet(stderr io.Writer) (*flag.FlagSet, *cliFlags) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, Usage)
		printFlagGroups(stderr, fs)
	}
	f := &cliFlags{}
	f.register(fs)
	return fs, f
}

// signalContext ends ctx on an interrupt (SIGINT).
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt)
}

// exitCodes returned by Main.
const (
	exitOK     = 0 // run finished without errors
	exitErrors = 1 // run finished with errors, or could not run
	exitUsage  = 2 // bad command line
	exitFailed = 3 // a -threshold failed
)

// Main is the `wsloop loadtest` command: it parses args (without the
// command name), runs the test, prints progress and a summary to stdout and
// problems to stderr, and writes -json. It returns 0 when the run had no
// errors, 1 when it had errors or could not run, 2 on a usage error. With
// -threshold the thresholds decide instead of the error count: 0 when all
// pass, 3 when any fails (a run that could not run, or a failed hostile or
// soak verdict, is still 1). An
// interrupt (SIGINT) or ctx cancellation ends the run early; the summary is
// still printed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	f.urls = append(f.urls, fs.Args()...)
	if len(f.urls) == 0 {
		fs.Usage()
		return exitUsage
	}
	o, err := f.options()
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return exitUsage
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	if f.cpuProfile != "" {
		done, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return exitUsage
		}
		defer done()
	}
	warnServerPID(stderr, o.ServerPID, o.URLs)
	var res *Result
	if f.procs > 1 {
		flagArgs, urls := args[:len(args)-fs.NArg()], fs.Args()
		res, err = runProcs(ctx, f.procs, flagArgs, urls, f, o, stderr)
	} else {
		var prog *Progress
		if o.Progress >= 0 {
			prog = NewProgress(stdout, o.Progress)
		}
		res, err = Run(ctx, o, prog)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		if errors.Is(err, ErrInvalidOptions) {
			return exitUsage
		}
		return exitErrors
	}
	thresholdsOK := res.JudgeThresholds(f.thresholds)
	fmt.Fprintln(stdout)
	res.WriteSummary(stdout)
	if f.jsonPath != "" {
		if err := res.WriteJSON(f.jsonPath); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return exitErrors
		}
	}
	if f.report != "" {
		if err := res.WriteHTML(f.report); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return exitErrors
		}
	}
	switch {
	case res.failed():
		return exitErrors
	case len(f.thresholds) > 0:
		if !thresholdsOK {
			return exitFailed
		}
		return exitOK
	case res.ErrorsTotal > 0:
		return exitErrors
	}
	return exitOK
}
