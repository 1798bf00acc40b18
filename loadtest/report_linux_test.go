package loadtest

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium is Debian's browser, installed by .ci/install-deps.sh.
const chromium = "/usr/bin/chromium"

// The report of a sampled run is one HTML page with a chart per series,
// each with its lines drawn, and no reference to anything outside it.
func TestReportHasAChartPerSeries(t *testing.T) {
	path := writeReport(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	charts := map[string]int{} // series → polylines with at least two points
	var summary bool
	var walk func(n *html.Node, series string)
	walk = func(n *html.Node, series string) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "figure" && attr(n, "class") == "chart":
				series = attr(n, "data-series")
				charts[series] += 0
			case n.Data == "polyline" && series != "" && len(strings.Fields(attr(n, "points"))) >= 2:
				charts[series]++
			case n.Data == "table" && attr(n, "id") == "summary":
				summary = true
			case n.Data == "script" || (n.Data == "link" && attr(n, "href") != "") || attr(n, "src") != "":
				t.Errorf("the page loads something: <%s>", n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, series)
		}
	}
	walk(doc, "")
	for _, s := range []string{"throughput", "latency", "connections", "errors", "server-cpu", "server-rss"} {
		if charts[s] == 0 {
			t.Errorf("no drawn chart for %s (charts %v)", s, charts)
		}
	}
	if !summary || !bytes.Contains(raw, []byte("p99&lt;30s")) {
		t.Error("the summary table or the threshold is missing")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// A real browser renders the report: headless Chromium's screenshot of it
// is far from blank.
func TestReportRendersInChromium(t *testing.T) {
	if os.Getenv("WSLOOP_INTEROP") == "off" {
		t.Skip("WSLOOP_INTEROP=off: the browser check is disabled")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v (run `bash .ci/install-deps.sh`, or set WSLOOP_INTEROP=off to skip explicitly)", chromium, err)
	}
	path := writeReport(t)
	shot := filepath.Join(t.TempDir(), "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,1200", "--screenshot="+shot, "file://"+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colors := map[uint32]bool{}
	var ink, all int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			all++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	if len(colors) < 8 || ink*100 < all {
		t.Errorf("screenshot looks blank: %d colours, %d of %d pixels inked", len(colors), ink, all)
	}
}

// writeReport runs a short sampled echo load with a threshold and writes
// its report.
func writeReport(t *testing.T) string {
	t.Helper()
	s := startServer(t, "echo", false)
	path := filepath.Join(t.TempDir(), "report.html")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-conns", "4", "-rate", "400", "-duration", "2500ms", "-progress", "-1s",
		"-server-pid", strconv.Itoa(os.Getpid()), "-threshold", "p99<30s", "-report", path, s.url}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	return path
}
