package loadtest

import (
	"time"
)

// seriesCollector takes one SeriesPoint a second while a run has loops or
// cycle workers.
type seriesCollector struct {
	r      *runner
	stop   chan struct{}
	done   chan struct{}
	points []SeriesPoint // owned by the goroutine until done is closed

	last       msgTotals
	lastErrs   uint64
	lastCycles uint64
}

// startSeries starts collecting r's series.
func startSeries(r *runner) *seriesCollector {
	s := &seriesCollector{r: r, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *seriesCollector) run() {
	defer close(s.done)
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tk.C:
			s.take()
		}
	}
}

// take records the second that just ended.
func (s *seriesCollector) take() {
	r := s.r
	h := newHist()
	recs := []*recorder{r.cyc}
	if r.plan.hsProgress {
		recs = append(recs, r.hs)
	}
	for _, l := range r.loops {
		recs = append(recs, l.rec)
	}
	for _, rc := range recs {
		rc.mu.Lock()
		h.Merge(rc.sec)
		rc.sec.Reset()
		rc.mu.Unlock()
	}
	if !r.plan.hsProgress {
		r.hs.mu.Lock()
		r.hs.sec.Reset()
		r.hs.mu.Unlock()
	}
	t := r.totals()
	errs := r.c.errorTotal.Load()
	p := SeriesPoint{T: time.Since(r.start).Seconds(), Sent: t.sent - s.last.sent, Received: t.recv - s.last.recv,
		Open: r.c.open.Load(), Errors: errs - s.lastErrs}
	if r.plan.cycles { // churn and handshake: cycles completed
		cycles := r.c.cycles.Load()
		p.Received, s.lastCycles = cycles-s.lastCycles, cycles
	}
	if h.TotalCount() > 0 {
		p.P50 = float64(h.ValueAtQuantile(50)) / 1000
		p.P99 = float64(h.ValueAtQuantile(99)) / 1000
	}
	s.last, s.lastErrs = t, errs
	if len(s.points) < maxSeries {
		s.points = append(s.points, p)
	}
}

// finish stops collecting and returns the points.
func (s *seriesCollector) finish() []SeriesPoint {
	if s == nil {
		return nil
	}
	close(s.stop)
	<-s.done
	return s.points
}
