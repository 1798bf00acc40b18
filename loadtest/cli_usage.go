package loadtest

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagGroups orders the flags of `wsloop loadtest -h` by purpose. A flag
// missing here is listed under "Other", so none goes unseen.
var flagGroups = []struct {
	title string
	names []string
}{
	{"Target and scenario", []string{"url", "scenario", "conns", "duration", "ramp", "allow-remote", "sources"}},
	{"Request", []string{"header", "origin", "subprotocol", "cookies", "insecure", "cert", "key", "cacert"}},
	{"Messages", []string{"size", "binary", "rate", "inflight", "messages", "script"}},
	{"Pass/fail and output", []string{"threshold", "json", "report", "progress", "server-pid", "cpuprofile"}},
	{"Pub/sub", []string{"topics", "publishers", "soak", "outage-gap"}},
	{"Hostile and soak", []string{"attacks", "attackers", "attack-rounds", "budget-conns", "attack-timeout", "baseline", "server-max-message", "cycles", "metrics"}},
	{"Client tuning", []string{"procs", "loops", "dial-workers", "timeout", "close-timeout", "max-message"}},
}

// printFlagGroups writes fs's flags to w under the headings of flagGroups.
func printFlagGroups(w io.Writer, fs *flag.FlagSet) {
	seen := map[string]bool{}
	group := func(title string, fl []*flag.Flag) {
		if len(fl) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, f := range fl {
			name, usage := flag.UnquoteUsage(f)
			line := "  -" + f.Name
			if name != "" {
				line += " " + name
			}
			fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		}
	}
	for _, g := range flagGroups {
		var fl []*flag.Flag
		for _, n := range g.names {
			if f := fs.Lookup(n); f != nil {
				fl = append(fl, f)
				seen[n] = true
			}
		}
		group(g.title, fl)
	}
	var rest []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !seen[f.Name] {
			rest = append(rest, f)
		}
	})
	group("Other", rest)
}
