package main

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsloop/wsloop/loadtest"
)

// TestHostileAgainstServe runs every attack of the loadtest's hostile
// scenario once against the serve command (compression on, so the bomb
// meets a real inflater) while well-behaved clients echo: each attack must
// get the answer the RFCs ask for, the echo clients no error, and the
// server must end with no connection and no handler panic.
func TestHostileAgainstServe(t *testing.T) {
	const maxMessage = 1 << 20
	// An 8 MiB memory budget: the budget attack's 60 messages of 960 KiB
	// do not all fit, so some wait and get 1013 after a second.
	cfg := serveConfig(t, "-addr", "127.0.0.1:0", "-compress", "-max-message", strconv.Itoa(maxMessage),
		"-max-outbound", "1048576", "-handshake-timeout", "1s", "-max-buffered", "8388608", "-buffer-wait", "1s")
	a, err := startApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.srv.Shutdown(context.Background())
	sc := &loadtest.Hostile{Load: loadtest.Echo{Inflight: 2}, Baseline: 500 * time.Millisecond,
		Attackers: 4, AttackRounds: 1, AttackTimeout: 4 * time.Second, ServerMaxMessage: maxMessage,
		MetricsPath: "/metrics.json"}
	o := loadtest.Options{
		URLs:     []string{fmt.Sprintf("ws://127.0.0.1:%d/echo", a.srv.LocalPort())},
		Scenario: sc, Conns: 4, Duration: 4 * time.Second,
		Timeout: 5 * time.Second, CloseTimeout: 2 * time.Second, Loops: 2, DialWorkers: 4,
	}
	// The budget attack fills the memory budget on purpose, which would
	// change what the other attacks see (the slow reader's messages would
	// wait for it): it runs on its own, after them, against the same server.
	for _, k := range loadtest.AttackKinds {
		if k != loadtest.AttackBudget {
			sc.Attacks = append(sc.Attacks, k)
		}
	}
	res, err := loadtest.Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	hb := *sc
	hb.Attacks = []string{loadtest.AttackBudget}
	ob := o
	ob.Scenario = &hb
	resB, err := loadtest.Run(context.Background(), ob, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := resB.Hostile; h == nil || h.Verdict != loadtest.VerdictPass || resB.ErrorsTotal != 0 {
		t.Errorf("budget run: verdict %+v, %d echo client errors", h, resB.ErrorsTotal)
	}
	maps.Copy(res.Attacks, resB.Attacks)
	want := map[string][]string{ // the outcomes wsloop may produce
		// Cut off at the 1 s handshake deadline (checked below); a client
		// whose last bytes are still unread when the server closes gets a
		// reset instead of a clean close.
		loadtest.AttackSlowloris: {"tcp_close", "reset"},
		loadtest.AttackDribble:   {"tcp_close", "reset"},
		loadtest.AttackHeaders:   {"http_431"},
		loadtest.AttackOversize:  {"close_1009"},
		loadtest.AttackBomb:      {"close_1009"},
		// The echoes beyond MaxOutboundQueue are refused, the reader kept.
		loadtest.AttackSlowReader: {"dropped_echoes"},
		loadtest.AttackPingFlood:  {"echo_ok"},
		loadtest.AttackFragFlood:  {"echo_ok"},
		loadtest.AttackGarbage:    {"close_1002"},
		loadtest.AttackVanish:     {"reset_sent"},
	}
	for kind, a := range res.Attacks {
		if a.Failures != 0 || a.NotRun != 0 {
			t.Errorf("%s: %d failures (%s), %d not run", kind, a.Failures, a.FailureSample, a.NotRun)
		}
		if outs, ok := want[kind]; ok {
			var n uint64
			for _, o := range outs {
				n += a.Outcomes[o]
			}
			if n != a.Attempts {
				t.Errorf("%s: outcomes %v, want each of %v", kind, a.Outcomes, outs)
			}
		}
		if kind == loadtest.AttackBudget {
			// Each attempt: "done_N/1013_M" over 60 connections, with
			// some of each (failures, checked above, are the others).
			for out := range a.Outcomes {
				var done, later int
				if _, err := fmt.Sscanf(out, "done_%d/1013_%d", &done, &later); err != nil || done == 0 || later == 0 || done+later != 60 {
					t.Errorf("budget: outcome %s, want done_N/1013_M with N, M > 0 and N+M = 60", out)
				}
			}
		}
		if (kind == loadtest.AttackSlowloris || kind == loadtest.AttackDribble) && a.MaxCloseMS > 3000 {
			t.Errorf("%s: closed after %.0f ms, want about the 1 s handshake deadline", kind, a.MaxCloseMS)
		}
		if kind == loadtest.AttackBadFrames || kind == loadtest.AttackBadUTF8 {
			code := map[string]string{loadtest.AttackBadFrames: "close_1002", loadtest.AttackBadUTF8: "close_1007"}[kind]
			for out := range a.Outcomes {
				if !strings.HasSuffix(out, "/"+code) {
					t.Errorf("%s: outcome %s, want every variant to end with %s", kind, out, code)
				}
			}
		}
	}
	if len(res.Attacks) != len(loadtest.AttackKinds) {
		t.Errorf("%d attack kinds ran, want %d", len(res.Attacks), len(loadtest.AttackKinds))
	}
	h := res.Hostile
	if h == nil || h.Verdict != loadtest.VerdictPass {
		t.Fatalf("hostile verdict: %+v", h)
	}
	if res.ErrorsTotal != 0 || res.Latency.Count == 0 {
		t.Errorf("well-behaved clients: %d errors %v, %d echoes", res.ErrorsTotal, res.Errors, res.Latency.Count)
	}
	// The run's last /metrics.json request may still be closing.
	m := a.srv.Metrics()
	for deadline := time.Now().Add(5 * time.Second); m.TCPConnections != 0 && time.Now().Before(deadline); m = a.srv.Metrics() {
		time.Sleep(10 * time.Millisecond)
	}
	if m.Panics != 0 || m.Connections != 0 || m.TCPConnections != 0 {
		t.Errorf("server after the run: %d panics, %d WebSockets, %d TCP connections", m.Panics, m.Connections, m.TCPConnections)
	}
	if m.BufferCloses == 0 || m.BufferedBytes != 0 || m.BufferWaiting != 0 {
		t.Errorf("budget after the run: %d closes with 1013, %d bytes counted, %d waiting; want some, 0, 0",
			m.BufferCloses, m.BufferedBytes, m.BufferWaiting)
	}
	if m.InflatedOffLoop == 0 {
		t.Errorf("the bomb was not inflated by a worker")
	}
	t.Logf("p99 %.2f ms under attack, %.2f ms baseline; max %.1f ms", res.Latency.P99, h.BaselineLatency.P99, res.Latency.Max)
}
