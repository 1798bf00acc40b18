package loadtest

import (
	"bytes"
	"testing"
	"time"
)

// A scenario made of several runs shares one Progress: nested begin/end
// pairs and a final end from the outer run must neither panic nor leave a
// reporting goroutine behind.
func TestProgressSharedAcrossRuns(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, time.Hour)
	r := &runner{}
	p.begin(r)
	p.begin(r) // a second run starting while the first still reports
	p.end()
	p.end() // the outer run ends after its inner runs did
	p.begin(r)
	p.end()
	if p.stop != nil {
		t.Fatal("progress still reporting after end")
	}
}
