package loadtest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// Soak cycles open, echo and close; after each the server's connection
// count is back to idle and its RSS is recorded.
func TestSoakCycles(t *testing.T) {
	s := startHostileServer(t, "strict")
	o := quick(s.url, &Soak{Load: Echo{Messages: 6, Inflight: 2}, Cycles: 3})
	o.Conns = 5
	o.Duration = 0 // bounded by the cycles
	o.ServerPID, o.SampleInterval = os.Getpid(), 50*time.Millisecond
	res := mustRun(t, o)
	sk := res.Soak
	if sk == nil || sk.CyclesDone != 3 || len(sk.Cycles) != 3 || sk.Verdict != VerdictPass || sk.MetricsError != "" {
		t.Fatalf("soak %+v", sk)
	}
	for i, c := range sk.Cycles {
		if c.N != i+1 || c.Opened != 5 || c.Received != 30 || c.Errors != 0 || c.ServerConns != 0 || c.RSSKB <= 0 || c.P99 <= 0 {
			t.Errorf("cycle %+v", c)
		}
	}
	if res.Messages.Received != 90 || res.Latency.Count != 90 || res.Handshake.Count != 15 || res.Connections.Opened != 15 ||
		res.Connections.ClosedOK != 15 || res.ErrorsTotal != 0 || res.Scenario != ScenarioSoak {
		t.Errorf("totals: messages %+v latency %d handshakes %d connections %+v errors %v",
			res.Messages, res.Latency.Count, res.Handshake.Count, res.Connections, res.Errors)
	}
	if sk.RSSFirstKB <= 0 || sk.RSSMaxKB < sk.RSSLastKB || res.Server == nil {
		t.Errorf("rss figures %+v server %+v", sk, res.Server)
	}
}

// A server whose connection count does not come back fails the soak, and
// Main prints every cycle and exits 1.
func TestSoakDetectsLingeringConnections(t *testing.T) {
	s := startHostileServer(t, "leaky")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-scenario", "soak", "-conns", "3", "-messages", "2", "-cycles", "2",
		"-timeout", "500ms", "-progress", "-1s", s.url}, &out, &errOut)
	if code != exitErrors {
		t.Fatalf("exit %d, want %d; stderr %s\n%s", code, exitErrors, errOut.String(), out.String())
	}
	text := out.String()
	for _, w := range []string{"cycle 1", "cycle 2", "server conns after 3", "server conns after 6", "FAIL", "not back to idle"} {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
}

func TestSoakVerdict(t *testing.T) {
	cycles := func(rss ...int64) []SoakCycle {
		var out []SoakCycle
		for i, r := range rss {
			out = append(out, SoakCycle{N: i + 1, RSSKB: r})
		}
		return out
	}
	tests := []struct {
		name    string
		cycles  []SoakCycle
		errs    uint64
		verdict string
		growths int
	}{
		{"flat", cycles(50000, 52000, 51000, 52000, 51000, 52000, 51000, 52000), 0, VerdictPass, 4},
		{"plateau", cycles(20000, 40000, 50000, 52000, 52000, 52000, 52000, 52000), 0, VerdictPass, 3},
		{"leak", cycles(20000, 30000, 40000, 50000, 60000, 70000, 80000, 90000), 0, VerdictFail, 7},
		{"too few cycles to judge", cycles(20000, 30000, 40000, 50000), 0, VerdictPass, 3},
		{"errors", cycles(1000), 2, VerdictFail, 0},
		{"no rss", cycles(0, 0), 0, VerdictPass, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sk := &SoakStats{Cycles: tc.cycles}
			soakVerdict(sk, tc.errs)
			if sk.Verdict != tc.verdict || sk.RSSGrowths != tc.growths || sk.CyclesDone != len(tc.cycles) {
				t.Errorf("verdict %s growths %d reasons %v", sk.Verdict, sk.RSSGrowths, sk.Reasons)
			}
		})
	}
}
