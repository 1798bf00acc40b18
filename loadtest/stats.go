package loadtest

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Error kinds counted in Result.Errors. Handshake failures with an HTTP
// status other than 101 are counted as "handshake_status_<code>", and close
// frames with an unexpected code as "close_code_<code>".
const (
	ErrKindDial            = "dial"               // TCP connect failed
	ErrKindTLS             = "tls"                // TLS handshake failed
	ErrKindHandshake       = "handshake"          // bad or unreadable HTTP upgrade response
	ErrKindTimeout         = "timeout"            // no response within Options.Timeout
	ErrKindPayloadMismatch = "payload_mismatch"   // echoed payload differs from what was sent
	ErrKindProtocol        = "protocol"           // malformed frame from the server
	ErrKindDisconnect      = "disconnect"         // connection ended without a close handshake
	ErrKindUnexpectedMsg   = "unexpected_message" // echo arrived with nothing outstanding
	ErrKindCloseTimeout    = "close_timeout"      // no close reply within Options.CloseTimeout
	ErrKindIO              = "io"                 // other socket error
	ErrKindSubprotocol     = "subprotocol"        // the server chose no offered subprotocol, or one not offered
	ErrKindReplyMismatch   = "reply_mismatch"     // script: an answer did not match what the script expects
	ErrKindReplyTimeout    = "reply_timeout"      // script: an expected answer did not come within its time
	ErrKindPubSub          = "pubsub_err"         // pubsub: the server answered err
)

// histogram bounds, in microseconds.
const (
	histMin    = 1
	histMax    = 60_000_000
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// recorder holds one latency histogram for the whole run, one for the
// current progress interval and one for the current second of the time
// series, guarded by a mutex that only its owner (a loop or worker), the
// progress reporter and the series collector take.
type recorder struct {
	mu    sync.Mutex
	total *hdrhistogram.Histogram
	iv    *hdrhistogram.Histogram
	sec   *hdrhistogram.Histogram
}

func newRecorder() *recorder { return &recorder{total: newHist(), iv: newHist(), sec: newHist()} }

// record adds one latency in nanoseconds.
func (r *recorder) record(ns int64) {
	us := ns / 1000
	if us < histMin {
		us = histMin
	} else if us > histMax {
		us = histMax
	}
	r.mu.Lock()
	_ = r.total.RecordValue(us)
	_ = r.iv.RecordValue(us)
	_ = r.sec.RecordValue(us)
	r.mu.Unlock()
}

// counters are the run's shared counters, updated atomically.
type counters struct {
	open       atomic.Int64  // connections open now
	peakOpen   atomic.Int64  // most connections open at once
	opened     atomic.Uint64 // successful handshakes
	attempts   atomic.Uint64 // dial attempts
	closedOK   atomic.Uint64 // close handshakes completed with the expected code
	doneConns  atomic.Int64  // connections that finished their message quota
	cycles     atomic.Uint64 // churn/handshake cycles completed
	errorTotal atomic.Uint64 // sum of all error kinds
}

// msgCounters count messages; each loop has its own set (written only by
// that loop, read by the reporter) so loops do not share cache lines.
type msgCounters struct {
	sent      atomic.Uint64 // messages sent (echo requests, broadcast messages)
	recv      atomic.Uint64 // messages received and counted (echoes, broadcast deliveries)
	bytesSent atomic.Uint64 // payload bytes sent
	bytesRecv atomic.Uint64 // payload bytes received
	lost      atomic.Uint64 // echo requests outstanding on connections that ended
	skipped   atomic.Uint64 // paced sends skipped because the connection was backlogged
	foreign   atomic.Uint64 // messages without a stamp (broadcast), or unsolicited (script)
	expected  atomic.Uint64 // script: answers expected
	_         [64]byte
}

// msgTotals is a plain sum of msgCounters.
type msgTotals struct {
	sent, recv, bytesSent, bytesRecv, lost, skipped, foreign, expected uint64
}

func (t *msgTotals) add(m *msgCounters) {
	t.sent += m.sent.Load()
	t.recv += m.recv.Load()
	t.bytesSent += m.bytesSent.Load()
	t.bytesRecv += m.bytesRecv.Load()
	t.lost += m.lost.Load()
	t.skipped += m.skipped.Load()
	t.foreign += m.foreign.Load()
	t.expected += m.expected.Load()
}

func (c *counters) addOpen(d int64) {
	n := c.open.Add(d)
	for {
		p := c.peakOpen.Load()
		if n <= p || c.peakOpen.CompareAndSwap(p, n) {
			return
		}
	}
}

// errorCounts counts errors by kind.
type errorCounts struct {
	mu      sync.Mutex
	m       map[string]uint64
	samples map[string]string // first error message of each kind
	c       *counters
}

func (e *errorCounts) add(kind string) { e.addErr(kind, nil) }

// addErr counts one error of the kind and keeps err's text if it is the
// first of its kind.
func (e *errorCounts) addErr(kind string, err error) {
	e.mu.Lock()
	if e.m == nil {
		e.m = make(map[string]uint64)
		e.samples = make(map[string]string)
	}
	e.m[kind]++
	if _, ok := e.samples[kind]; !ok && err != nil {
		e.samples[kind] = err.Error()
	}
	e.mu.Unlock()
	e.c.errorTotal.Add(1)
}

func (e *errorCounts) sampleSnapshot() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.samples) == 0 {
		return nil
	}
	out := make(map[string]string, len(e.samples))
	for k, v := range e.samples {
		out[k] = v
	}
	return out
}

func (e *errorCounts) snapshot() map[string]uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]uint64, len(e.m))
	for k, v := range e.m {
		out[k] = v
	}
	return out
}

// sortedKinds returns the keys of m in order.
func sortedKinds(m map[string]uint64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// latencyOf summarizes h (microseconds) as a LatencyStats in milliseconds.
func latencyOf(h *hdrhistogram.Histogram) LatencyStats {
	if h.TotalCount() == 0 {
		return LatencyStats{}
	}
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return LatencyStats{
		Count: uint64(h.TotalCount()),
		Min:   ms(h.Min()),
		Mean:  h.Mean() / 1000,
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}
