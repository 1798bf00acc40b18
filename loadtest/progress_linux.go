package loadtest

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Progress prints live progress while Run works. On a terminal it redraws
// one line every 500 ms; otherwise it writes a plain, newline-terminated
// line every Interval.
type Progress struct {
	w        io.Writer
	terminal bool
	interval time.Duration

	r    *runner
	stop chan struct{}
	wg   sync.WaitGroup
}

// NewProgress returns a Progress writing to w. interval applies when w is
// not a terminal (default 1s); a negative interval disables the lines.
func NewProgress(w io.Writer, interval time.Duration) *Progress {
	p := &Progress{w: w, interval: interval, terminal: isTerminal(w)}
	if p.interval == 0 {
		p.interval = time.Second
	}
	if p.terminal {
		p.interval = 500 * time.Millisecond
	}
	return p
}

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// begin starts reporting on r. Scenarios made of several runs (hostile,
// soak) share one Progress: each run's begin ends the one before, and end
// may be called again after the last run ended.
func (p *Progress) begin(r *runner) {
	if p.interval < 0 {
		return
	}
	p.end()
	p.r = r
	p.stop = make(chan struct{})
	p.wg.Go(p.loop)
}

func (p *Progress) end() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.stop = nil
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func (p *Progress) loop() {
	tk := time.NewTicker(p.interval)
	defer tk.Stop()
	last := time.Now()
	var lastRecv, lastCycles uint64
	iv := newHist()
	for {
		select {
		case <-p.stop:
			return
		case <-tk.C:
		}
		r := p.r
		now := time.Now()
		dt := now.Sub(last).Seconds()
		last = now
		t := r.totals()
		cycles := r.c.cycles.Load()
		iv.Reset()
		recs := []*recorder{r.hs, r.cyc}
		for _, l := range r.loops {
			recs = append(recs, l.rec)
		}
		for i, rc := range recs {
			rc.mu.Lock()
			if i > 0 || r.plan.hsProgress {
				// Handshake latencies only for the handshake scenario.
				iv.Merge(rc.iv)
			}
			rc.iv.Reset()
			rc.mu.Unlock()
		}
		var line string
		elapsed := time.Since(r.start).Seconds()
		p99 := float64(iv.ValueAtQuantile(99)) / 1000
		switch {
		case r.plan.cycles:
			line = fmt.Sprintf("[%6.1fs] open %d  cycles/s %.0f  total %d  p99 %.2fms  errors %d",
				elapsed, r.c.open.Load(), float64(cycles-lastCycles)/dt, cycles, p99, r.c.errorTotal.Load())
		default:
			target := r.o.Conns + r.plan.extraTarget
			line = fmt.Sprintf("[%6.1fs] conns %d/%d  msgs/s %.0f  total %d  p99 %.2fms  errors %d",
				elapsed, r.c.open.Load(), target, float64(t.recv-lastRecv)/dt, t.recv, p99, r.c.errorTotal.Load())
		}
		lastRecv, lastCycles = t.recv, cycles
		if p.terminal {
			fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		} else {
			fmt.Fprintln(p.w, line)
		}
	}
}
