package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

// WriteMarkdown writes the totals table followed by one table per family.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# WebSocket conformance report\n\n")
	fmt.Fprintf(&b, "- Target: `%s`\n", r.Target)
	if r.Filter != "" {
		fmt.Fprintf(&b, "- Filter: `%s`\n", r.Filter)
	}
	fmt.Fprintf(&b, "- Started: %s, took %v, %d case(s) in parallel\n", r.Started.Format(time.RFC3339), r.Duration.Round(time.Millisecond), r.Parallel)
	if r.Error != "" {
		fmt.Fprintf(&b, "- Error: %s\n", mdEscape(r.Error))
	}
	b.WriteString("\n## Totals\n\n| Family | Cases |")
	for _, s := range Statuses {
		fmt.Fprintf(&b, " %s |", s)
	}
	b.WriteString("\n|---|---:|")
	for range Statuses {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	row := func(t Totals, bold bool) {
		name := mdEscape(t.Family)
		if bold {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %d |", name, t.Total)
		for _, s := range Statuses {
			fmt.Fprintf(&b, " %d |", t.Counts[s])
		}
		b.WriteString("\n")
	}
	for _, t := range r.Families {
		row(t, false)
	}
	row(r.Totals, true)
	for _, fam := range r.Families {
		fmt.Fprintf(&b, "\n## %s\n\n| Case | Verdict | Close | Time | Description | Detail |\n|---|---|---:|---:|---|---|\n", mdEscape(fam.Family))
		for _, res := range r.Results {
			if res.Family != fam.Family {
				continue
			}
			code := ""
			if res.CloseCode != 0 {
				code = fmt.Sprint(res.CloseCode)
			}
			st := res.Status.String()
			if res.Status == Failed {
				st = "**" + st + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %v | %s | %s |\n", res.ID, st, code,
				res.Duration.Round(time.Millisecond), mdEscape(res.Description), mdEscape(res.Detail))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
