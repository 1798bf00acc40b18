package loadtest

import (
	"bytes"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// warnServerPID is silent for the process that listens on the target's
// port and warns for one that does not.
func TestWarnServerPID(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	var w bytes.Buffer
	warnServerPID(&w, os.Getpid(), []string{"ws://127.0.0.1:1/x", "ws://127.0.0.1:" + port + "/echo"})
	if w.Len() != 0 {
		t.Errorf("warned for the listening process: %s", w.String())
	}
	warnServerPID(&w, os.Getppid(), []string{"ws://127.0.0.1:" + port + "/echo"})
	if !strings.Contains(w.String(), "does not listen on port "+port) {
		t.Errorf("no warning for a process that does not listen: %q", w.String())
	}
}
