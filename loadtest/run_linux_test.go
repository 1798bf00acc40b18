package loadtest

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"
)

// quick returns options for a short run of sc against url.
func quick(url string, sc Scenario) Options {
	return Options{URLs: []string{url}, Scenario: sc, Duration: 5 * time.Second, Timeout: 2 * time.Second,
		CloseTimeout: time.Second, Loops: 2, DialWorkers: 8}
}

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestEchoCounts(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		binary bool
		size   int
	}{
		{"text", false, false, 32},
		{"binary-large", false, true, 70000},
		{"wss", true, false, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, "echo", tc.tls)
			e := &Echo{Messages: 100, Inflight: 4, Size: tc.size, Binary: tc.binary}
			o := quick(s.url, e)
			o.Conns, o.Insecure = 20, true
			if tc.size > 1000 {
				o.Conns, e.Messages = 4, 10
			}
			res := mustRun(t, o)
			want := uint64(o.Conns * e.Messages)
			if res.Messages.Sent != want || res.Messages.Received != want || res.Latency.Count != want {
				t.Errorf("sent %d received %d latency count %d, want %d", res.Messages.Sent, res.Messages.Received, res.Latency.Count, want)
			}
			if res.ErrorsTotal != 0 {
				t.Errorf("errors: %v", res.Errors)
			}
			if res.Connections.Opened != uint64(o.Conns) || res.Connections.ClosedOK != uint64(o.Conns) {
				t.Errorf("opened %d closed ok %d, want %d", res.Connections.Opened, res.Connections.ClosedOK, o.Conns)
			}
			if res.Messages.BytesRecv != want*uint64(e.Size) {
				t.Errorf("bytes received %d, want %d", res.Messages.BytesRecv, want*uint64(e.Size))
			}
			if res.Interrupted {
				t.Error("reported interrupted")
			}
		})
	}
}

func TestEchoRate(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Echo{Rate: 2000})
	o.Conns, o.Duration = 10, 600*time.Millisecond
	res := mustRun(t, o)
	if res.ErrorsTotal != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	// 2000/s over the traffic window, with slack for a loaded machine.
	want := 2000 * res.TrafficS
	got := float64(res.Messages.Sent)
	if got < want*0.5 || got > want*1.1+20 {
		t.Errorf("sent %v messages in %.2fs, want about %.0f", got, res.TrafficS, want)
	}
	if res.Messages.Received+res.Messages.Missing != res.Messages.Sent {
		t.Errorf("received %d + missing %d != sent %d", res.Messages.Received, res.Messages.Missing, res.Messages.Sent)
	}
}

func TestPayloadMismatch(t *testing.T) {
	s := startServer(t, "corrupt", false)
	o := quick(s.url, &Echo{Messages: 5})
	o.Conns = 3
	res := mustRun(t, o)
	if got := res.Errors[ErrKindPayloadMismatch]; got != 15 {
		t.Errorf("payload_mismatch = %d, want 15 (errors %v)", got, res.Errors)
	}
}

func TestCloseCodeReported(t *testing.T) {
	s := startServer(t, "close1011", false)
	o := quick(s.url, &Echo{Messages: 3})
	o.Conns = 4
	res := mustRun(t, o)
	if got := res.Errors["close_code_1011"]; got != 4 {
		t.Errorf("close_code_1011 = %d, want 4 (errors %v)", got, res.Errors)
	}
	if res.Messages.Missing != 4 {
		t.Errorf("missing = %d, want 4 (one outstanding request per connection)", res.Messages.Missing)
	}
}

func TestHandshakeStatusReported(t *testing.T) {
	s := startServer(t, "reject", false)
	o := quick(s.url, &Idle{})
	o.Conns, o.Duration = 5, 300*time.Millisecond
	res := mustRun(t, o)
	if got := res.Errors["handshake_status_403"]; got != 5 {
		t.Errorf("handshake_status_403 = %d, want 5 (errors %v)", got, res.Errors)
	}
	if res.Connections.Opened != 0 {
		t.Errorf("opened = %d", res.Connections.Opened)
	}
}

func TestBroadcast(t *testing.T) {
	s := startServer(t, "broadcast", false)
	o := quick(s.url, &Broadcast{Rate: 200, Messages: 20, Size: 100})
	o.Conns = 10
	res := mustRun(t, o)
	if res.Messages.Sent != 20 || res.Messages.Received != 200 || res.Messages.Expected != 200 || res.Messages.Missing != 0 {
		t.Errorf("messages %+v", res.Messages)
	}
	if res.Latency.Count != 200 || res.Latency.Max <= 0 {
		t.Errorf("latency %+v", res.Latency)
	}
	if res.ErrorsTotal != 0 || res.Connections.Opened != 11 || res.Connections.ClosedOK != 11 {
		t.Errorf("errors %v, connections %+v", res.Errors, res.Connections)
	}
}

func TestIdleWithSelfSampling(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Idle{})
	o.Conns, o.Duration, o.Ramp = 50, 700*time.Millisecond, 500
	o.ServerPID = os.Getpid() // the test server runs in this process
	o.SampleInterval = 100 * time.Millisecond
	res := mustRun(t, o)
	if res.Connections.Opened != 50 || res.Connections.Peak != 50 || res.Connections.ClosedOK != 50 || res.ErrorsTotal != 0 {
		t.Fatalf("connections %+v errors %v", res.Connections, res.Errors)
	}
	if res.RampS < 0.05 {
		t.Errorf("ramp took %.3fs; 50 conns at 500/s needs about 0.1s", res.RampS)
	}
	sv := res.Server
	if sv == nil || sv.RSSBeforeKB <= 0 || sv.RSSLoadedKB <= 0 || sv.RSSPeakKB < sv.RSSBeforeKB || len(sv.Samples) < 3 || sv.CPUS < 0 {
		t.Fatalf("server stats %+v", sv)
	}
	if sv.SampleError != "" {
		t.Errorf("sample error %s", sv.SampleError)
	}
}

func TestChurnAndHandshake(t *testing.T) {
	s := startServer(t, "echo", false)
	res := mustRun(t, quick(s.url, &Churn{Rate: 400, Cycles: 40}))
	if res.Connections.Opened != 40 || res.Connections.ClosedOK != 40 || res.Latency.Count != 40 || res.ErrorsTotal != 0 {
		t.Errorf("churn: connections %+v latency %d errors %v", res.Connections, res.Latency.Count, res.Errors)
	}
	res = mustRun(t, quick(s.url, &Handshake{Cycles: 60}))
	if res.Connections.Opened != 60 || res.Handshake.Count != 60 || res.ErrorsTotal != 0 || res.Connections.PerSec <= 0 {
		t.Errorf("handshake: connections %+v errors %v", res.Connections, res.Errors)
	}
}

func TestSourceAddressSpreading(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Idle{})
	srcs, err := ParseSources("127.0.0.2-127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	o.Conns, o.Duration, o.Sources = 6, 300*time.Millisecond, srcs
	res := mustRun(t, o)
	if res.Connections.Opened != 6 {
		t.Fatalf("opened %d, errors %v", res.Connections.Opened, res.Errors)
	}
	got := s.remoteIPs()
	if got["127.0.0.2"] != 3 || got["127.0.0.3"] != 3 || len(got) != 2 {
		t.Errorf("server saw %v, want 3 each from 127.0.0.2 and 127.0.0.3", got)
	}
}

func TestStopsAtDuration(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Echo{})
	o.Conns, o.Duration = 4, 400*time.Millisecond
	t0 := time.Now()
	res := mustRun(t, o)
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("run took %v with -duration 400ms", d)
	}
	if res.Interrupted || res.Messages.Received == 0 || res.ErrorsTotal != 0 {
		t.Errorf("interrupted %v received %d errors %v", res.Interrupted, res.Messages.Received, res.Errors)
	}
}

func TestStopsOnCancel(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Echo{})
	o.Conns, o.Duration = 4, time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	res, err := Run(ctx, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("run took %v after cancel at 300ms", d)
	}
	if !res.Interrupted || res.Messages.Received == 0 {
		t.Errorf("interrupted %v received %d", res.Interrupted, res.Messages.Received)
	}
	if res.Connections.ClosedOK != 4 {
		t.Errorf("closed ok %d, want 4", res.Connections.ClosedOK)
	}
}

func TestRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"no target", Options{}},
		{"remote target", Options{URLs: []string{"ws://10.1.2.3:80/"}}},
		{"second target remote", Options{URLs: []string{"ws://127.0.0.1:1/", "ws://10.1.2.3:80/"}}},
		{"remote source", Options{URLs: []string{"ws://127.0.0.1:1/"}, Sources: mustSources(t, "10.0.0.1")}},
		{"scheme", Options{URLs: []string{"http://127.0.0.1:1/"}}},
		{"family", Options{URLs: []string{"ws://[::1]:1/"}, Sources: mustSources(t, "127.0.0.2")}},
		{"size", Options{URLs: []string{"ws://127.0.0.1:1/"}, Scenario: &Echo{Size: maxSize + 1}}},
		{"inflight", Options{URLs: []string{"ws://127.0.0.1:1/"}, Scenario: &Echo{Inflight: maxInflight + 1}}},
		{"broadcast size", Options{URLs: []string{"ws://127.0.0.1:1/"}, Scenario: &Broadcast{Size: 1 << 30}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.o, nil)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func mustSources(t *testing.T, s string) []netip.Addr {
	t.Helper()
	a, err := ParseSources(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A run of a few seconds has one series point a second, each with the
// throughput, latency and open connections of that second, and the server
// columns when the server is sampled.
func TestSeries(t *testing.T) {
	s := startServer(t, "echo", false)
	o := quick(s.url, &Echo{Rate: 500})
	o.Conns, o.Duration, o.ServerPID, o.SampleInterval = 5, 3200*time.Millisecond, os.Getpid(), 100*time.Millisecond
	res := mustRun(t, o)
	if n := len(res.Series); n < 3 || n > 6 {
		t.Fatalf("%d points for a 3.2 s run: %+v", n, res.Series)
	}
	var recv uint64
	for i, p := range res.Series {
		recv += p.Received
		if i > 0 && p.T-res.Series[i-1].T < 0.5 {
			t.Errorf("points %d and %d are %.2f s apart", i-1, i, p.T-res.Series[i-1].T)
		}
		if i >= 1 && i < 3 && (p.Received == 0 || p.P99 <= 0 || p.P50 > p.P99 || p.Open != 5 || p.ServerRSSK <= 0) {
			t.Errorf("point %d: %+v", i, p)
		}
	}
	if recv > res.Messages.Received || recv == 0 {
		t.Errorf("series received %d, total %d", recv, res.Messages.Received)
	}
}
