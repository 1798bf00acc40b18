package conformance

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// usage is printed by -h and on flag errors.
const usage = `usage: wsloop conformance [flags]

Runs the RFC 6455 / RFC 7692 conformance catalog against a WebSocket echo
endpoint (every message must come back with the same type).

Flags:
`

// Main is the command-line entry point. It returns the process exit code:
// 0 when no case FAILED, 1 when at least one did, 2 on usage errors.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		url      = fs.String("url", "ws://127.0.0.1:8080/echo", "ws:// or wss:// URL of the echo endpoint")
		cases    = fs.String("cases", "", "case filter: IDs or prefixes (1,6.4,7.3.2), globs (6.*.1), /regexp/, family names, !term to exclude")
		parallel = fs.Int("parallel", 4, "cases run at the same time")
		mdFile   = fs.String("report", "", "write a Markdown report to this file")
		jsonFile = fs.String("json", "", "write a JSON report to this file")
		quick    = fs.Bool("quick", false, "run only the fast subset (every family, fewer sizes, no 16 MiB cases)")
		insecure = fs.Bool("insecure", false, "skip TLS certificate verification for wss URLs")
		timeout  = fs.Duration("timeout", DefaultTimeout, "limit for one case")
		reply    = fs.Duration("reply-timeout", DefaultReplyTimeout, "longest silence while a reply is expected")
		failFast = fs.Duration("fail-fast-wait", DefaultFailFastWait, "how long fail-fast cases wait before sending the rest of a message")
		list     = fs.Bool("list", false, "list the selected cases and exit")
		verbose  = fs.Bool("v", false, "print every case as it finishes")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "conformance: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if _, err := parseEndpoint(*url); err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return 2
	}
	selected, err := Select(Cases(), *cases, *quick)
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return 2
	}
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "conformance: no case matches %q\n", *cases)
		return 2
	}
	if *list {
		for _, c := range selected {
			fmt.Fprintf(stdout, "%-8s %-34s %s\n", c.ID, c.Family, c.Description)
		}
		return 0
	}
	t := Target{URL: *url, Timeout: *timeout, ReplyTimeout: *reply, FailFastWait: *failFast}
	if *insecure {
		t.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	var progress func(Result)
	if *verbose {
		progress = func(r Result) {
			fmt.Fprintf(stdout, "%-8s %-13s %8v  %s\n", r.ID, r.Status, r.Duration.Round(time.Millisecond), r.Detail)
		}
	}
	rep := RunCases(ctx, t, selected, *parallel, progress)
	rep.Filter = *cases
	if *quick {
		rep.Filter = strings.TrimPrefix(rep.Filter+",@quick", ",")
	}
	writeSummary(stdout, rep)
	if *mdFile != "" {
		if err := writeFile(*mdFile, rep.WriteMarkdown); err != nil {
			fmt.Fprintf(stderr, "conformance: %v\n", err)
			return 2
		}
	}
	if *jsonFile != "" {
		if err := writeFile(*jsonFile, rep.WriteJSON); err != nil {
			fmt.Fprintf(stderr, "conformance: %v\n", err)
			return 2
		}
	}
	if rep.Failed() > 0 {
		return 1
	}
	return 0
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeSummary prints per-family totals and every FAILED case.
func writeSummary(w io.Writer, r Report) {
	fmt.Fprintf(w, "%s: %d case(s) in %v\n", r.Target, r.Totals.Total, r.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "%-36s %5s", "family", "cases")
	for _, s := range Statuses {
		fmt.Fprintf(w, " %13s", s)
	}
	fmt.Fprintln(w)
	for _, t := range append(append([]Totals{}, r.Families...), r.Totals) {
		fmt.Fprintf(w, "%-36s %5d", t.Family, t.Total)
		for _, s := range Statuses {
			fmt.Fprintf(w, " %13d", t.Counts[s])
		}
		fmt.Fprintln(w)
	}
	for _, res := range r.Results {
		if res.Status == Failed {
			fmt.Fprintf(w, "FAILED %-8s %s\n       %s\n", res.ID, res.Description, res.Detail)
		}
	}
}
