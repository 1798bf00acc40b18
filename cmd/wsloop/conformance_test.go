package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/wsloop/wsloop/loadtest/conformance"
)

// TestConformanceQuick runs the fast subset of the in-repo RFC 6455/7692
// suite against the serve command's /echo, with permessage-deflate off and
// on. Every case must be OK or INFORMATIONAL (performance cases); the
// deflate families are UNIMPLEMENTED only when compression is off.
func TestConformanceQuick(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			cfg := serveConfig(t, "-addr", "127.0.0.1:0", "-compress="+strconv.FormatBool(compress), "-max-outbound", "4194304")
			a, err := startApp(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer a.srv.Shutdown(context.Background())
			url := fmt.Sprintf("ws://127.0.0.1:%d/echo", a.srv.LocalPort())
			rep := conformance.Run(context.Background(), conformance.Target{URL: url}, "@quick", 4)
			if rep.Error != "" {
				t.Fatal(rep.Error)
			}
			var bad []string
			for _, r := range rep.Results {
				switch r.Status {
				case conformance.OK, conformance.Informational:
				case conformance.Unimplemented:
					if compress || !(strings.HasPrefix(r.ID, "12.") || strings.HasPrefix(r.ID, "13.")) {
						bad = append(bad, fmt.Sprintf("%s %s: %s", r.ID, r.Status, r.Detail))
					}
				default:
					bad = append(bad, fmt.Sprintf("%s %s: %s", r.ID, r.Status, r.Detail))
				}
			}
			t.Logf("%d cases in %v", len(rep.Results), rep.Duration)
			if len(bad) > 0 {
				t.Errorf("%d cases not OK:\n%s", len(bad), strings.Join(bad, "\n"))
			}
			if m := a.srv.Metrics(); m.Panics != 0 {
				t.Errorf("%d event handler panics", m.Panics)
			}
		})
	}
}
