package loadtest

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A run within its thresholds exits 0; the same run with a threshold it
// cannot meet exits 3 and says which failed, in the summary and the JSON.
func TestThresholdsDecideTheExitStatus(t *testing.T) {
	s := startServer(t, "echo", false)
	run := func(ths ...string) (int, string, *Result) {
		path := filepath.Join(t.TempDir(), "r.json")
		args := []string{"-conns", "4", "-messages", "50", "-duration", "5s", "-progress", "-1s", "-json", path}
		for _, th := range ths {
			args = append(args, "-threshold", th)
		}
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append(args, s.url), &out, &errOut)
		if errOut.Len() > 0 {
			t.Logf("stderr: %s", errOut.String())
		}
		return code, out.String(), readResultFile(t, path)
	}
	code, text, res := run("p99<30s", "errors==0", "rate>=1")
	if code != exitOK || len(res.Thresholds) != 3 || strings.Contains(text, "FAIL") {
		t.Errorf("passing run: exit %d thresholds %+v\n%s", code, res.Thresholds, text)
	}
	code, text, res = run("errors==0", "p99<1us")
	if code != exitFailed || !strings.Contains(text, "FAIL  p99<1us") || len(res.Thresholds) != 2 {
		t.Errorf("failing run: exit %d thresholds %+v\n%s", code, res.Thresholds, text)
	}
	if len(res.Thresholds) == 2 && (!res.Thresholds[0].Pass || res.Thresholds[1].Pass) {
		t.Errorf("thresholds %+v, want the first to pass and the second to fail", res.Thresholds)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"-threshold", "p99<<5", s.url}, &out, &errOut); code != exitUsage {
		t.Errorf("bad threshold: exit %d, want %d", code, exitUsage)
	}
}
