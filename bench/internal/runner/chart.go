package runner

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ChartSpec is one bar chart: a metric of every scenario of its groups,
// one bar per implementation per scenario (the median of repeated runs).
type ChartSpec struct {
	File   string // base name without extension
	Title  string
	Groups []string
	Metric string // Metric.Name to plot
}

// DefaultCharts are the charts the README embeds.
var DefaultCharts = []ChartSpec{
	{File: "idle-memory", Title: "Idle memory per connection (bytes, lower is better)", Groups: []string{GroupIdle}, Metric: MetricBytesPerConn.Name},
	{File: "echo-throughput", Title: "Echo throughput, server on one core (msgs/s, higher is better)", Groups: []string{GroupEcho}, Metric: MetricMsgsPerSec.Name},
	{File: "echo-cpu", Title: "Echo server CPU per million messages (s, lower is better)", Groups: []string{GroupEcho}, Metric: MetricCPUPerMMsgs.Name},
	{File: "echo-p99", Title: "Echo p99 round trip (ms, lower is better)", Groups: []string{GroupEcho}, Metric: MetricP99.Name},
	{File: "broadcast-throughput", Title: "Broadcast deliveries/s (higher is better)", Groups: []string{GroupBroadcast}, Metric: MetricDeliveriesPerSec.Name},
	{File: "broadcast-p99", Title: "Broadcast p99 send-to-receive (ms, lower is better)", Groups: []string{GroupBroadcast}, Metric: MetricP99.Name},
	{File: "idle-cpu", Title: "Server CPU at rest, all connections idle (ms per s, lower is better)", Groups: []string{GroupIdle, GroupTLS}, Metric: MetricCPUAtRest.Name},
	{File: "tls-handshake", Title: "TLS 1.3 handshakes/s, ECDSA P-256 (higher is better)", Groups: []string{GroupTLS}, Metric: MetricHandshakesPerSec.Name},
	{File: "tls-idle-memory", Title: "TLS idle memory per connection (bytes, lower is better)", Groups: []string{GroupTLS}, Metric: MetricBytesPerConn.Name},
}

// ChartData extracts the categories (scenario labels) and, per
// implementation with at least one value, one value per category (NaN when
// missing). ok is false
// when no scenario of the group has the metric or no value exists.
func ChartData(spec ChartSpec, scenarios []Scenario, impls []string, recs []*Record) (labels []string, values map[string][]float64, ok bool) {
	values = map[string][]float64{}
	for _, sc := range scenarios {
		if !slices.Contains(spec.Groups, sc.Group) {
			continue
		}
		idx := -1
		for i, m := range sc.Metrics {
			if m.Name == spec.Metric {
				idx = i
			}
		}
		if idx < 0 {
			continue
		}
		labels = append(labels, sc.Label)
		for _, r := range Rows(sc, impls, recs) {
			v := r.Values[idx]
			values[r.Impl] = append(values[r.Impl], v)
			if !math.IsNaN(v) {
				ok = true
			}
		}
	}
	for impl, vals := range values {
		if !slices.ContainsFunc(vals, func(v float64) bool { return !math.IsNaN(v) }) {
			delete(values, impl) // no bar at all rather than zero bars (n/a, failed)
		}
	}
	return labels, values, ok && len(labels) > 0
}

// WriteCharts writes spec.File + ".png" and ".svg" into dir for every spec
// that has data, and returns the base names written.
func WriteCharts(dir string, specs []ChartSpec, scenarios []Scenario, impls []string, recs []*Record) ([]string, error) {
	var written []string
	for _, spec := range specs {
		labels, values, ok := ChartData(spec, scenarios, impls, recs)
		if !ok {
			continue
		}
		p, err := barChart(spec.Title, spec.Metric, labels, impls, values)
		if err != nil {
			return written, fmt.Errorf("chart %s: %w", spec.File, err)
		}
		width := vg.Length(4.5+1.3*float64(len(labels))) * vg.Inch
		for _, ext := range []string{".png", ".svg"} {
			if err := saveChart(p, width, 4*vg.Inch, filepath.Join(dir, spec.File+ext)); err != nil {
				return written, fmt.Errorf("chart %s: %w", spec.File, err)
			}
		}
		written = append(written, spec.File)
	}
	return written, nil
}

// barChart draws grouped bars: one group per label, one bar per impl.
func barChart(title, ylabel string, labels, impls []string, values map[string][]float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	n := 0
	for _, impl := range impls {
		if len(values[impl]) > 0 {
			n++
		}
	}
	barW := vg.Points(math.Max(6, math.Min(16, 70/float64(max(n, 1)))))
	i := 0
	for _, impl := range impls {
		vals := values[impl]
		if len(vals) == 0 {
			continue
		}
		pv := make(plotter.Values, len(vals))
		for j, v := range vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				pv[j] = v
			}
		}
		bars, err := plotter.NewBarChart(pv, barW)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = barW * vg.Length(float64(i)-float64(n-1)/2)
		p.Add(bars)
		p.Legend.Add(impl, bars)
		i++
	}
	p.NominalX(labels...)
	return p, nil
}

// legendWidth is the column right of the plot that holds the legend, so it
// never hides a bar.
const legendWidth = 1.2 * vg.Inch

// saveChart draws p with its legend in a column on the right and writes a
// PNG or an SVG, by the extension of path.
func saveChart(p *plot.Plot, w, h vg.Length, path string) error {
	var (
		canvas  vg.CanvasSizer
		writeTo func(io.Writer) error
	)
	if strings.HasSuffix(path, ".svg") {
		c := vgsvg.New(w, h)
		canvas, writeTo = c, func(out io.Writer) error { _, err := c.WriteTo(out); return err }
	} else {
		c := vgimg.New(w, h)
		canvas, writeTo = c, func(out io.Writer) error { _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(out); return err }
	}
	dc := draw.New(canvas)
	legend := p.Legend
	p.Legend = plot.NewLegend() // drawn below, outside the plot area
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	p.Legend = legend
	legend.Top = true
	legend.Draw(draw.Crop(dc, w-legendWidth, 0, 0, -vg.Points(24)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
