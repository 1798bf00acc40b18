package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMainProgressAndJSON(t *testing.T) {
	s := startServer(t, "echo", false)
	path := filepath.Join(t.TempDir(), "res.json")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-scenario", "echo", "-conns", "5", "-duration", "650ms",
		"-progress", "100ms", "-loops", "1", "-json", path, s.url}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	text := out.String()
	if strings.Contains(text, "\r") || strings.Contains(text, "\x1b") {
		t.Error("terminal control characters in non-terminal output")
	}
	var progress int
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "[") && strings.Contains(line, "conns 5/5") && strings.Contains(line, "msgs/s") {
			progress++
		}
	}
	if progress < 3 {
		t.Errorf("%d progress lines, want at least 3:\n%s", progress, text)
	}
	for _, want := range []string{"loadtest echo", "throughput", "latency", "client cpu", "errors", "0"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if res.Schema != ResultSchema || res.Scenario != "echo" || res.Config.Conns != 5 || res.Messages.Received == 0 ||
		res.Latency.P99 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Client.Loops != 1 || res.Errors == nil {
		t.Errorf("decoded result %+v", res)
	}
	// The names the benchmark runner reads must stay stable.
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "scenario", "duration_s", "traffic_s", "connections", "messages", "latency", "handshake_latency", "errors", "errors_total", "client"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	msgs := m["messages"].(map[string]any)
	for _, k := range []string{"sent", "received", "msgs_per_s", "mb_per_s"} {
		if _, ok := msgs[k]; !ok {
			t.Errorf("messages lacks %q", k)
		}
	}
	lat := m["latency"].(map[string]any)
	for _, k := range []string{"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency lacks %q", k)
		}
	}
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no url", nil, 2},
		{"bad flag", []string{"-nope"}, 2},
		{"scenario", []string{"-scenario", "flood", "ws://127.0.0.1:1/"}, 2},
		{"one url remote", []string{"ws://127.0.0.1:1/", "ws://192.0.2.1:80/"}, 2},
		{"bad sources", []string{"-sources", "x-y", "ws://127.0.0.1:1/"}, 2},
		{"remote", []string{"ws://192.0.2.1:80/"}, 2},
		{"help", []string{"-h"}, 0},
		{"nothing listening", []string{"-conns", "2", "-duration", "200ms", "-progress", "-1s", "ws://127.0.0.1:1/"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := Main(context.Background(), tc.args, &out, &errOut); got != tc.want {
				t.Errorf("exit %d, want %d; stderr %s", got, tc.want, errOut.String())
			}
		})
	}
}

func TestProgressTerminalMode(t *testing.T) {
	s := startServer(t, "echo", false)
	var out bytes.Buffer
	p := NewProgress(&out, time.Hour)
	if p.terminal {
		t.Fatal("a buffer was taken for a terminal")
	}
	p.terminal, p.interval = true, 100*time.Millisecond // as NewProgress sets them for a tty
	o := quick(s.url, &Idle{})
	o.Conns, o.Duration = 3, 450*time.Millisecond
	if _, err := Run(context.Background(), o, p); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if n := strings.Count(text, "\r\x1b[K["); n < 3 {
		t.Errorf("%d redraws, want at least 3: %q", n, text)
	}
	if strings.Count(text, "\n") != 1 || !strings.HasSuffix(text, "\n") {
		t.Errorf("want exactly one newline, at the end: %q", text)
	}
}

// -h lists every flag once, under headings by purpose, none under "Other".
func TestUsageGroupsFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"-h"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d", code)
	}
	text := errOut.String()
	for _, h := range []string{"Target and scenario:", "Request:", "Messages:", "Pass/fail and output:", "Hostile and soak:", "Client tuning:"} {
		if !strings.Contains(text, "\n"+h+"\n") {
			t.Errorf("no heading %q", h)
		}
	}
	if strings.Contains(text, "\nOther:") {
		t.Errorf("flags without a group:\n%s", text[strings.Index(text, "\nOther:"):])
	}
	for _, f := range []string{"-header", "-subprotocol", "-threshold", "-report", "-script", "-cookies", "-cacert"} {
		if strings.Count(text, "\n  "+f+" ") != 1 {
			t.Errorf("%s is not listed exactly once", f)
		}
	}
}
