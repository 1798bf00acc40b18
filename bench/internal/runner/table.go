package runner

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Baseline is the implementation every ratio column compares against.
const Baseline = "gorilla"

// Subject is the implementation under study: "best peer" excludes it.
const Subject = "wsloop"

// Reference is not a peer but a floor: a stateless server on gnet (the
// library under wsloop) that runs only the idle scenarios. "Best peer"
// excludes it.
const Reference = "gnet"

// Row is one implementation's figures for one scenario: with several runs,
// the median of each metric and its range.
type Row struct {
	Impl     string
	Values   []float64 // one per Scenario.Metrics: the median of the runs; NaN when missing
	Lo, Hi   []float64 // one per Scenario.Metrics: the lowest and highest run
	Runs     int       // runs with a Result
	Failed   int       // runs that failed
	Err      string    // the first failure (or "not run")
	NA       string    // why the scenario does not apply to Impl
	VsBase   float64   // key metric ÷ Baseline's; NaN when unknown
	VsBest   float64   // key metric ÷ best peer's (peers exclude Subject); NaN when unknown
	BestPeer string
}

// Rows computes the table rows of sc from recs (records of any scenario),
// in the order of impls. Each metric is the median over the
// implementation's successful runs; ratios compare medians.
func Rows(sc Scenario, impls []string, recs []*Record) []Row {
	byImpl := map[string][]*Record{}
	for _, r := range recs {
		if r.Scenario == sc.Name {
			byImpl[r.Impl] = append(byImpl[r.Impl], r)
		}
	}
	rows := make([]Row, 0, len(impls))
	key := map[string]float64{}
	for _, impl := range impls {
		row := summarize(sc, impl, byImpl[impl])
		if len(row.Values) > 0 && !math.IsNaN(row.Values[0]) {
			key[impl] = row.Values[0]
		}
		rows = append(rows, row)
	}
	if len(sc.Metrics) == 0 {
		return rows
	}
	higher := sc.Metrics[0].HigherBetter
	bestPeer, bestVal := "", math.NaN()
	for _, impl := range impls {
		v, ok := key[impl]
		if !ok || impl == Subject || impl == Reference {
			continue
		}
		if math.IsNaN(bestVal) || (higher && v > bestVal) || (!higher && v < bestVal) {
			bestPeer, bestVal = impl, v
		}
	}
	base, hasBase := key[Baseline]
	for i := range rows {
		v, ok := key[rows[i].Impl]
		if !ok {
			continue
		}
		if hasBase && base != 0 {
			rows[i].VsBase = v / base
		}
		if bestPeer != "" && bestVal != 0 {
			rows[i].VsBest = v / bestVal
			rows[i].BestPeer = bestPeer
		}
	}
	return rows
}

// summarize folds one implementation's runs of sc into a Row (ratios not
// yet set).
func summarize(sc Scenario, impl string, recs []*Record) Row {
	n := len(sc.Metrics)
	row := Row{Impl: impl, Values: make([]float64, n), Lo: make([]float64, n), Hi: make([]float64, n), VsBase: math.NaN(), VsBest: math.NaN()}
	per := make([][]float64, n)
	for _, rec := range recs {
		switch {
		case rec.NA != "":
			row.NA = rec.NA
			continue
		case rec.Error != "":
			row.Failed++
		case rec.Result() == nil:
			row.Failed++
			rec = &Record{Error: errNoResult.Error()}
		default:
			row.Runs++
			for i, m := range sc.Metrics {
				if v, ok := m.Value(rec.Result()); ok {
					per[i] = append(per[i], v)
				}
			}
			continue
		}
		if row.Err == "" {
			row.Err = rec.Error
		}
	}
	if len(recs) == 0 {
		row.Err = "not run"
	}
	for i := range per {
		row.Values[i], row.Lo[i], row.Hi[i] = Median(per[i])
	}
	return row
}

// FormatValue renders a metric value compactly: thousands separated for
// large numbers, three significant digits for small ones, "—" for NaN.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.Abs(v) >= 999.5:
		return groupThousands(int64(math.Round(v)))
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	case v == 0:
		return "0"
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// FormatRatio renders a ratio as "1.23×", "—" for NaN.
func FormatRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", v)
}

func groupThousands(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// WriteMarkdown writes the header (date, machine, command) and one table
// per scenario.
func WriteMarkdown(w io.Writer, rep *Report, scenarios []Scenario, impls []string) error {
	m := rep.Machine
	var b strings.Builder
	fmt.Fprintf(&b, "# wsloop benchmark results\n\n")
	fmt.Fprintf(&b, "- date: %s\n", m.Date)
	fmt.Fprintf(&b, "- machine: %d CPUs, %s, %s\n", m.NumCPU, m.CPUModel, m.OS)
	fmt.Fprintf(&b, "- Go: %s\n", m.GoVersion)
	fmt.Fprintf(&b, "- command: `%s`\n", rep.Command)
	fmt.Fprintf(&b, "- server pinned to CPU 0 with GOMAXPROCS=1, load pinned to CPU 1; ratios are the key metric (first column) divided by %s's and by the best peer's (peers exclude %s)\n", Baseline, Subject)
	b.WriteString("- a scenario run several times per implementation (interleaved: every implementation once per round) shows the median of the runs with their range in parentheses; ratios and charts use the medians\n\n")
	for _, sc := range scenarios {
		if len(sc.Metrics) == 0 {
			continue
		}
		key := sc.Metrics[0]
		dir := "lower is better"
		if key.HigherBetter {
			dir = "higher is better"
		}
		rows := Rows(sc, impls, rep.Records)
		n := 0 // runs per implementation, from the records (a rerender may not know -repeat)
		for _, r := range rows {
			n = max(n, r.Runs+r.Failed)
		}
		runs := ""
		if n > 1 {
			runs = fmt.Sprintf(" Median of %d runs (range).", n)
		}
		fmt.Fprintf(&b, "## %s\n\n%s. Key metric: %s (%s).%s\n\n", sc.Name, describe(sc), key.Name, dir, runs)
		b.WriteString("| impl |")
		for _, mt := range sc.Metrics[:1] {
			fmt.Fprintf(&b, " %s |", mt.Name)
		}
		fmt.Fprintf(&b, " vs %s | vs best peer |", Baseline)
		for _, mt := range sc.Metrics[1:] {
			fmt.Fprintf(&b, " %s |", mt.Name)
		}
		b.WriteString(" note |\n|---|")
		b.WriteString(strings.Repeat("---:|", len(sc.Metrics)+2))
		b.WriteString("---|\n")
		for _, r := range rows {
			if r.NA != "" {
				fmt.Fprintf(&b, "| %s | n/a | — | — |%s %s |\n", r.Impl, strings.Repeat(" — |", len(sc.Metrics)-1), mdEscape("n/a: "+r.NA))
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |", r.Impl, FormatCell(r, 0), FormatRatio(r.VsBase), FormatRatio(r.VsBest))
			for i := 1; i < len(r.Values); i++ {
				fmt.Fprintf(&b, " %s |", FormatCell(r, i))
			}
			fmt.Fprintf(&b, " %s |\n", mdEscape(rowNote(r)))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatCell renders metric i of a row: the median, and with several runs
// the range, e.g. "13.8 (12.9–14.6)".
func FormatCell(r Row, i int) string {
	v := FormatValue(r.Values[i])
	if r.Runs > 1 && !math.IsNaN(r.Values[i]) {
		v += fmt.Sprintf(" (%s–%s)", FormatValue(r.Lo[i]), FormatValue(r.Hi[i]))
	}
	return v
}

// rowNote is the table's note: failures (of some or all runs), or "best
// peer".
func rowNote(r Row) string {
	switch {
	case r.Runs == 0:
		return r.Err
	case r.Failed > 0:
		return fmt.Sprintf("%d of %d runs failed: %s", r.Failed, r.Failed+r.Runs, r.Err)
	case r.BestPeer != "" && r.Impl == r.BestPeer:
		return "best peer"
	}
	return ""
}

// describe says in words what a scenario measures.
func describe(sc Scenario) string {
	l := sc.Load
	switch l.Scenario {
	case "idle":
		tls := ""
		if l.TLS {
			tls = " TLS 1.3"
		}
		return fmt.Sprintf("%d%s connections opened, then held idle until %v after the first dial (hold s: the hold measured); server RSS growth per connection, and server CPU while they rest", l.Conns, tls, l.Duration)
	case "echo":
		return fmt.Sprintf("%d connections each keep %d message(s) of %d B in flight for %v; the server echoes each", l.Conns, l.Inflight, l.Size, l.Duration)
	case "broadcast":
		return fmt.Sprintf("one sender sends %g msgs/s of %d B for %v; the server sends each to all %d receivers", l.Rate, l.Size, l.Duration, l.Conns)
	case "handshake":
		if l.TLS {
			d := fmt.Sprintf("the loadtest's 64 dial workers run %d TLS 1.3 (ECDSA P-256) connect, upgrade and close cycles; server CPU per handshake and the share of the time its core was busy", l.Cycles)
			if sc.ServerCPUShare > 0 {
				d += fmt.Sprintf("; the server gets %.0f%% of its core (a cgroup CPU quota), so that it and not the load generator is the limit", sc.ServerCPUShare*100)
			}
			return d
		}
		return fmt.Sprintf("the loadtest's 64 dial workers run %d connect, upgrade and close cycles", l.Cycles)
	}
	return l.Scenario
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
