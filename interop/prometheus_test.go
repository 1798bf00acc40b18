package interop_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const (
	promBin     = "/usr/bin/prometheus" // Debian's prometheus package
	promtoolBin = "/usr/bin/promtool"
)

// TestMetricsPromtool lints `wsloop serve`'s /metrics with promtool, on
// wsloop's own listener and on the net/http mount, after some traffic.
func TestMetricsPromtool(t *testing.T) {
	requireInterop(t)
	requireFile(t, promtoolBin, "promtool (Debian package prometheus)")
	maddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, true, "-mount", maddr)
	echoOnce(t, s.wsURL()+"/echo")
	for _, base := range []string{s.httpURL(), "http://" + maddr} {
		body := get(t, base+"/metrics")
		for _, name := range []string{"wsloop_connections_open", "wsloop_handshakes_accepted_total 1", `wsloop_handshakes_refused_total{reason="origin"}`} {
			if !strings.Contains(body, name) {
				t.Errorf("%s/metrics lacks %q", base, name)
			}
		}
		cmd := exec.Command(promtoolBin, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("promtool check metrics on %s/metrics: %v\n%s", base, err, out)
		}
	}
}

// TestPrometheusScrape starts a real Prometheus server on loopback that
// scrapes `wsloop serve`'s /metrics every second, and queries its API
// until the target is up and a wsloop metric has the value the test
// caused.
func TestPrometheusScrape(t *testing.T) {
	requireInterop(t)
	requireFile(t, promBin, "prometheus (Debian package prometheus)")
	s := startServer(t, false)
	echoOnce(t, s.wsURL()+"/echo")

	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"+
		"  - job_name: wsloop\n    static_configs:\n      - targets: ['%s']\n", s.addr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	paddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, promBin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+paddr)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})

	wants := map[string]string{ // query -> value it must reach
		`up{job="wsloop"}`:                 "1",
		`wsloop_handshakes_accepted_total`: "1",
		`wsloop_messages_received_total`:   "1",
	}
	deadline := time.Now().Add(60 * time.Second)
	for q, want := range wants {
		var got string
		for {
			got = promQuery(paddr, q)
			if got == want || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if got != want {
			t.Errorf("Prometheus query %s = %q, want %q", q, got, want)
		}
	}
}

// promQuery returns the value of an instant query's first sample ("" if
// none or on error).
func promQuery(addr, q string) string {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" || len(r.Data.Result) == 0 {
		return ""
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v
}

// get fetches a URL's body.
func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := httpClient(10 * time.Second).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return string(b)
}

// echoOnce opens a WebSocket, echoes one text message and closes it
// cleanly.
func echoOnce(t *testing.T, u string) {
	t.Helper()
	d := ws.Dialer{Timeout: 10 * time.Second, TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	conn, _, _, err := d.Dial(context.Background(), u)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := wsutil.WriteClientText(conn, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if msg, err := wsutil.ReadServerText(conn); err != nil || string(msg) != "hi" {
		t.Fatalf("echo: %q %v", msg, err)
	}
	_ = ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))))
	_, _ = io.Copy(io.Discard, conn) // until the server closes
}
