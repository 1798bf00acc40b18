package loadtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// -procs 2 runs the load from two worker processes (this test binary,
// started again) and merges their counts, histograms and series.
func TestProcsMergesWorkers(t *testing.T) {
	s := startServer(t, "echo", false)
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-procs", "2", "-conns", "5", "-messages", "30", "-duration", "20s", "-loops", "1",
		"-server-pid", strconv.Itoa(os.Getpid()), "-json", path, "-threshold", "errors==0", s.url}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), out.String())
	}
	res := readResultFile(t, path)
	if res.Config.Procs != 2 || res.Connections.Opened != 5 || res.Messages.Received != 150 || res.Latency.Count != 150 ||
		res.Handshake.Count != 5 || res.Client.Loops != 2 || res.ErrorsTotal != 0 || res.Server == nil {
		t.Errorf("merged result: procs %d opened %d received %d latency %d handshakes %d loops %d errors %v server %v",
			res.Config.Procs, res.Connections.Opened, res.Messages.Received, res.Latency.Count, res.Handshake.Count,
			res.Client.Loops, res.Errors, res.Server != nil)
	}
	var recv uint64
	for _, p := range res.Series {
		recv += p.Received
	}
	if recv > 150 {
		t.Errorf("series counts %d replies, more than the 150 received", recv)
	}
	if code := Main(context.Background(), []string{"-procs", "2", "-scenario", "broadcast", s.url}, &out, &errOut); code != exitUsage {
		t.Errorf("-procs with broadcast: exit %d, want %d", code, exitUsage)
	}
}
