package loadtest

import (
	"strings"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	res := &Result{Latency: LatencyStats{P99: 12.5, Max: 40}, ErrorsTotal: 0, Messages: MessageStats{PerSec: 15000}}
	tests := []struct {
		in   string
		pass bool
		err  string
	}{
		{"p99<50ms", true, ""},
		{"p99 < 10ms", false, ""},
		{"p99<=12.5", true, ""},
		{"max<0.04s", false, ""},
		{"max<=40000us", true, ""},
		{"errors==0", true, ""},
		{"errors!=0", false, ""},
		{"rate>=10000", true, ""},
		{"rate>15000", false, ""},
		{"p99<", false, "bad value"},
		{"latency<5", false, "unknown metric"},
		{"p99~5", false, "want metric"},
		{"rate>=10k", false, "bad value"},
		{"errors==1ms", false, "bad value"},
	}
	for _, tc := range tests {
		th, err := ParseThreshold(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := th.Judge(res); got.Pass != tc.pass {
			t.Errorf("%q: pass %v (actual %v), want %v", tc.in, got.Pass, got.Actual, tc.pass)
		}
	}
}
