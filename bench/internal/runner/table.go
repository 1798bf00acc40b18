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

// Row is one implementation's figures for one scenario.
type Row struct {
	Impl     string
	Values   []float64 // one per Scenario.Metrics; NaN when missing
	Err      string
	VsBase   float64 // key metric ÷ Baseline's; NaN when unknown
	VsBest   float64 // key metric ÷ best peer's (peers exclude Subject); NaN when unknown
	BestPeer string
}

// Rows computes the table rows of sc from recs (records of any scenario),
// in the order of impls.
func Rows(sc Scenario, impls []string, recs []*Record) []Row {
	byImpl := map[string]*Record{}
	for _, r := range recs {
		if r.Scenario == sc.Name {
			byImpl[r.Impl] = r
		}
	}
	rows := make([]Row, 0, len(impls))
	key := map[string]float64{}
	for _, impl := range impls {
		row := Row{Impl: impl, Values: make([]float64, len(sc.Metrics)), VsBase: math.NaN(), VsBest: math.NaN()}
		for i := range row.Values {
			row.Values[i] = math.NaN()
		}
		rec := byImpl[impl]
		switch {
		case rec == nil:
			row.Err = "not run"
		case rec.Error != "":
			row.Err = rec.Error
		case rec.Result() == nil:
			row.Err = errNoResult.Error()
		default:
			res := rec.Result()
			for i, m := range sc.Metrics {
				if v, ok := m.Value(res); ok {
					row.Values[i] = v
				}
			}
			if len(row.Values) > 0 && !math.IsNaN(row.Values[0]) {
				key[impl] = row.Values[0]
			}
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
		if !ok || impl == Subject {
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
	fmt.Fprintf(&b, "- server pinned to CPU 0 with GOMAXPROCS=1, load pinned to CPU 1; ratios are the key metric (first column) divided by %s's and by the best peer's (peers exclude %s)\n\n", Baseline, Subject)
	for _, sc := range scenarios {
		if len(sc.Metrics) == 0 {
			continue
		}
		key := sc.Metrics[0]
		dir := "lower is better"
		if key.HigherBetter {
			dir = "higher is better"
		}
		fmt.Fprintf(&b, "## %s\n\n%s. Key metric: %s (%s).\n\n", sc.Name, describe(sc), key.Name, dir)
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
		for _, r := range Rows(sc, impls, rep.Records) {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |", r.Impl, FormatValue(r.Values[0]), FormatRatio(r.VsBase), FormatRatio(r.VsBest))
			for _, v := range r.Values[1:] {
				fmt.Fprintf(&b, " %s |", FormatValue(v))
			}
			note := r.Err
			if note == "" && r.BestPeer != "" && r.Impl == r.BestPeer {
				note = "best peer"
			}
			fmt.Fprintf(&b, " %s |\n", mdEscape(note))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describe says in words what a scenario measures.
func describe(sc Scenario) string {
	l := sc.Load
	switch l.Scenario {
	case "idle":
		return fmt.Sprintf("%d connections opened and left idle for %v; server RSS growth per connection", l.Conns, l.Duration)
	case "echo":
		return fmt.Sprintf("%d connections each keep %d message(s) of %d B in flight for %v; the server echoes each", l.Conns, l.Inflight, l.Size, l.Duration)
	case "broadcast":
		return fmt.Sprintf("one sender sends %g msgs/s of %d B for %v; the server sends each to all %d receivers", l.Rate, l.Size, l.Duration, l.Conns)
	case "handshake":
		return fmt.Sprintf("%d workers open and close connections for %v", l.Conns, l.Duration)
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
