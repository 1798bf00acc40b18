package loadtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"os"
	"strings"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Parse(reportTemplate))

// chart is one line chart of the report: one or more lines over the run's
// seconds, drawn as inline SVG so the page needs no script or network.
type chart struct {
	ID, Title, Unit string
	Lines           []chartLine
	SVG             template.HTML
}

type chartLine struct {
	Name, Color string
	Y           []float64
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH         = 560, 220
	padL, padR, padT, padB = 56, 12, 12, 28
)

// reportCharts lists the charts of r's series; the server charts only
// when the server was sampled.
func reportCharts(r *Result) []chart {
	n := len(r.Series)
	col := func(f func(SeriesPoint) float64) []float64 {
		y := make([]float64, n)
		for i, p := range r.Series {
			y[i] = f(p)
		}
		return y
	}
	cs := []chart{
		{ID: "throughput", Title: "Throughput", Unit: "msgs/s", Lines: []chartLine{
			{"sent", "#aec7e8", col(func(p SeriesPoint) float64 { return float64(p.Sent) })},
			{"received", "#1f77b4", col(func(p SeriesPoint) float64 { return float64(p.Received) })}}},
		{ID: "latency", Title: "Latency", Unit: "ms", Lines: []chartLine{
			{"p50", "#2ca02c", col(func(p SeriesPoint) float64 { return p.P50 })},
			{"p99", "#d62728", col(func(p SeriesPoint) float64 { return p.P99 })}}},
		{ID: "connections", Title: "Open connections", Unit: "", Lines: []chartLine{
			{"open", "#9467bd", col(func(p SeriesPoint) float64 { return float64(p.Open) })}}},
		{ID: "errors", Title: "Errors", Unit: "per s", Lines: []chartLine{
			{"errors", "#ff7f0e", col(func(p SeriesPoint) float64 { return float64(p.Errors) })}}},
	}
	if r.Server != nil {
		cs = append(cs,
			chart{ID: "server-cpu", Title: "Server CPU", Unit: "cores", Lines: []chartLine{
				{"cpu", "#8c564b", col(func(p SeriesPoint) float64 { return p.ServerCPU })}}},
			chart{ID: "server-rss", Title: "Server RSS", Unit: "MB", Lines: []chartLine{
				{"rss", "#e377c2", col(func(p SeriesPoint) float64 { return float64(p.ServerRSSK) / 1024 })}}})
	}
	ts := col(func(p SeriesPoint) float64 { return p.T })
	for i := range cs {
		cs[i].SVG = template.HTML(chartSVG(&cs[i], ts))
	}
	return cs
}

// chartSVG draws c against the times ts: axes, four grid lines with values,
// one polyline per line and a legend.
func chartSVG(c *chart, ts []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, template.HTMLEscapeString(c.Title))
	top := 0.0
	for _, l := range c.Lines {
		for _, y := range l.Y {
			top = max(top, y)
		}
	}
	top = niceCeil(top)
	tmax := 1.0
	if len(ts) > 0 {
		tmax = max(ts[len(ts)-1], 1)
	}
	x := func(t float64) float64 { return padL + t/tmax*(chartW-padL-padR) }
	y := func(v float64) float64 { return chartH - padB - v/top*(chartH-padT-padB) }
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, padL, y(v), chartW-padR, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-4, y(v)+4, fmtAxis(v))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, padL, chartH-padB, chartW-padR, chartH-padB)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">0 s</text>`, padL, chartH-8)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="#555">%.0f s</text>`, chartW-padR, chartH-8, tmax)
	for li, l := range c.Lines {
		var pts bytes.Buffer
		for i, v := range l.Y {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(ts[i]), y(v))
		}
		fmt.Fprintf(&b, `<polyline class="line" data-line="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`,
			l.Name, l.Color, strings.TrimSpace(pts.String()))
		lx := padL + 10 + li*90
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`,
			lx, padT, l.Color, lx+14, padT+9, l.Name)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtAxis(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.4gk", v/1e3)
	}
	return fmt.Sprintf("%.4g", v)
}

// WriteHTML writes r as one self-contained HTML page to path: the summary
// table, the thresholds and a chart of each time series. It needs no
// network and no script.
func (r *Result) WriteHTML(path string) error {
	var summary bytes.Buffer
	r.WriteSummary(&summary)
	data := struct {
		R       *Result
		Summary string
		Charts  []chart
	}{r, summary.String(), reportCharts(r)}
	var out bytes.Buffer
	if err := reportTmpl.Execute(&out, data); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
