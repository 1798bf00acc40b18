package conformance

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Result is one case's outcome in a Report.
type Result struct {
	ID          string `json:"id"`
	Family      string `json:"family"`
	Description string `json:"description"`
	Verdict
}

// Totals counts results by status.
type Totals struct {
	Family string         `json:"family"`
	Total  int            `json:"total"`
	Counts map[Status]int `json:"counts"`
}

func (t *Totals) add(s Status) {
	if t.Counts == nil {
		t.Counts = map[Status]int{}
	}
	t.Total++
	t.Counts[s]++
}

// Report is the outcome of a run.
type Report struct {
	Target   string        `json:"target"`
	Filter   string        `json:"filter,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Parallel int           `json:"parallel"`
	Results  []Result      `json:"results"`
	Families []Totals      `json:"families"`
	Totals   Totals        `json:"totals"`
	// Error is set when the run could not start (for example a bad filter).
	Error string `json:"error,omitempty"`
}

// Failed returns the number of FAILED results.
func (r Report) Failed() int { return r.Totals.Counts[Failed] }

// Run runs the catalog cases matching filter against target with up to
// parallel cases at a time (default 4). The filter is a comma-separated
// list of terms: IDs or ID prefixes ("1", "6.4", "7.3.2"), globs on IDs
// ("6.*.1"), /regexps/ on IDs and family names, family names ("Framing"),
// "@quick" for the fast subset, and "!term" to exclude. Empty selects all.
func Run(ctx context.Context, target Target, filter string, parallel int) Report {
	quick := false
	var terms []string
	for _, t := range strings.Split(filter, ",") {
		if strings.TrimSpace(t) == "@quick" {
			quick = true
			continue
		}
		terms = append(terms, t)
	}
	cs, err := Select(Cases(), strings.Join(terms, ","), quick)
	if err != nil {
		return Report{Target: target.URL, Filter: filter, Started: time.Now(), Error: err.Error()}
	}
	r := RunCases(ctx, target, cs, parallel, nil)
	r.Filter = filter
	return r
}

// RunCases runs the given cases; progress, if not nil, is called (from one
// goroutine at a time) as each case finishes.
func RunCases(ctx context.Context, target Target, cs []Case, parallel int, progress func(Result)) Report {
	t := target.withDefaults()
	if parallel <= 0 {
		parallel = 4
	}
	r := Report{Target: t.URL, Started: time.Now(), Parallel: parallel, Results: make([]Result, len(cs))}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next = make(chan int)
	)
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res := runOne(ctx, &t, cs[i])
				mu.Lock()
				r.Results[i] = res
				if progress != nil {
					progress(res)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range cs {
		if ctx.Err() != nil {
			r.Results[i] = Result{ID: cs[i].ID, Family: cs[i].Family, Description: cs[i].Description,
				Verdict: Verdict{Status: Failed, Detail: "not run: " + ctx.Err().Error()}}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	r.Duration = time.Since(r.Started)
	r.tally()
	return r
}

func runOne(ctx context.Context, t *Target, c Case) (res Result) {
	res = Result{ID: c.ID, Family: c.Family, Description: c.Description}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			res.Verdict = failf("case panicked: %v\n%s", p, debug.Stack())
		}
		res.Duration = time.Since(start)
	}()
	res.Verdict = c.Run(cctx, t)
	if cctx.Err() != nil && res.Status != Failed {
		res.Verdict = failf("case timed out after %v (%s)", t.Timeout, res.Detail)
	} else if cctx.Err() != nil {
		res.Detail = fmt.Sprintf("case timed out after %v: %s", t.Timeout, res.Detail)
	}
	return res
}

// tally fills the per-family and overall totals.
func (r *Report) tally() {
	r.Families = nil
	r.Totals = Totals{Family: "all", Counts: map[Status]int{}}
	idx := map[string]int{}
	for _, res := range r.Results {
		i, ok := idx[res.Family]
		if !ok {
			i = len(r.Families)
			idx[res.Family] = i
			r.Families = append(r.Families, Totals{Family: res.Family, Counts: map[Status]int{}})
		}
		r.Families[i].add(res.Status)
		r.Totals.add(res.Status)
	}
}
