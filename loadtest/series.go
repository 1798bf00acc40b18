package loadtest

import "sort"

// SeriesPoint is one second of a run (Result.Series): what happened
// between T−1 and T seconds after the start.
type SeriesPoint struct {
	T          float64 `json:"t_s"`                  // end of the second, since the start of the run
	Sent       uint64  `json:"sent"`                 // messages sent in the second
	Received   uint64  `json:"received"`             // messages received (the throughput)
	P50        float64 `json:"p50_ms"`               // latency of the replies received in the second
	P99        float64 `json:"p99_ms"`               //
	Open       int64   `json:"open"`                 // connections open at T
	Errors     uint64  `json:"errors"`               // errors counted in the second
	ServerCPU  float64 `json:"server_cpu,omitempty"` // server CPU in the second, in cores (-server-pid)
	ServerRSSK int64   `json:"server_rss_kb,omitempty"`
}

// maxSeries bounds the points kept (a day at one a second).
const maxSeries = 86400

// shiftSeries returns src with offset seconds added to each T, appended to
// dst: the series of a composite run's phases, on its own clock.
func shiftSeries(dst, src []SeriesPoint, offset float64) []SeriesPoint {
	for _, p := range src {
		if len(dst) >= maxSeries {
			break
		}
		p.T += offset
		dst = append(dst, p)
	}
	return dst
}

// fillServerSeries sets each point's server CPU and RSS from the server
// samples: the CPU used between the samples nearest to T−1 and T, and the
// RSS of the sample nearest to T.
func fillServerSeries(series []SeriesPoint, samples []ServerSample) {
	if len(samples) < 2 {
		return
	}
	nearest := func(t float64) ServerSample {
		i := sort.Search(len(samples), func(i int) bool { return samples[i].T >= t })
		switch {
		case i == len(samples):
			return samples[i-1]
		case i > 0 && t-samples[i-1].T < samples[i].T-t:
			return samples[i-1]
		}
		return samples[i]
	}
	for i := range series {
		p := &series[i]
		a, b := nearest(p.T-1), nearest(p.T)
		if b.T > a.T {
			p.ServerCPU = (b.CPUS - a.CPUS) / (b.T - a.T)
		}
		p.ServerRSSK = b.RSSKB
	}
}
