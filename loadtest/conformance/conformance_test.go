package conformance

import (
	"context"
	"strings"
	"testing"
	"time"
)

// runOn runs the cases matching filter against path on a fresh test server.
func runOn(t *testing.T, path, filter string, tg Target, parallel int) map[string]Result {
	t.Helper()
	tg.URL = startTestServer(t) + path
	r := Run(context.Background(), tg, filter, parallel)
	if r.Error != "" {
		t.Fatalf(
			"Run: %s",
			r.Error,
		)
	}
	out := map[string]Result{}
	for _, res := range r.Results {
		out[res.ID] = res
	}
	return out
}

// checkVerdicts asserts the status of every case in got: want[id] if
// listed, otherwise def.
func checkVerdicts(t *testing.T, got map[string]Result, want map[string]Status, def Status) {
	t.Helper()
	for id, st := range want {
		if _, ok := got[id]; !ok {
			t.Errorf(
				"case %s expected in the run but missing",
				id,
			)
			_ = st
		}
	}
	for id, res := range got {
		exp, ok := want[id]
		if !ok {
			exp = def
		}
		if res.Status != exp {
			t.Errorf(
				"case %s: got %s (%s), want %s",
				id, res.Status, res.Detail, exp,
			)
		}
	}
}

// The reference server (gobwas/ws, fail-fast UTF-8 through its streaming
// validator) passes everything except the places where gobwas is lax.
func TestReferenceServerFullCatalog(t *testing.T) {
	start := time.Now()
	got := runOn(t, "/echo", "", Target{ReplyTimeout: 5 * time.Second, FailFastWait: time.Second}, 4)
	t.Logf("full catalog: %d cases in %v", len(got), time.Since(start))
	if len(got) != len(Cases()) {
		t.Fatalf(
			"ran %d cases, catalog has %d",
			len(got), len(Cases()),
		)
	}
	want := map[string]Status{
		"1.5.1":  Informational, // non-minimal length accepted
		"1.5.2":  NonStrict,     // gobwas drops TCP on a 64-bit length with the MSB set
		"7.1.6":  Informational,
		"7.8.1":  NonStrict, // gobwas rejects the registered codes 1012-1014
		"7.8.2":  NonStrict,
		"7.8.3":  NonStrict,
		"7.9.11": Failed, // gobwas accepts and echoes close code 5000
		"7.9.12": Failed, // ... and 65535
		"H.5":    Failed, // gobwas only checks the key's length in characters
		"H.6":    Failed, // ... not that it is base64
		"H.11":   Failed, // no header size limit
		"H.20":   Failed, // duplicate keys accepted
	}
	checkVerdicts(t, got, want, OK)
	for id, code := range map[string]uint16{"2.5": 1002, "3.1": 1002, "4.1.1": 1002, "6.4.1": 1007, "6.5.20": 1007, "7.5.1": 1007, "7.7.5": 1007, "1.1.1": 1000} {
		if got[id].CloseCode != code {
			t.Errorf(
				"case %s: close code %d, want %d",
				id, got[id].CloseCode, code,
			)
		}
	}
	if d := got["6.6.1"].Detail; strings.Contains(d, "not fail-fast") {
		t.Errorf(
			"6.6.1 should be fail-fast against gobwas: %s",
			d,
		)
	}
}

// A server that validates UTF-8 only at the end of a message is NON-STRICT
// in the fail-fast cases and OK in the single-frame ones.
func TestLateUTF8IsNonStrict(t *testing.T) {
	got := runOn(t, "/lateutf8", "@quick,6.4,6.5,6.6,6.7", Target{ReplyTimeout: 3 * time.Second, FailFastWait: 300 * time.Millisecond}, 8)
	want := map[string]Status{}
	for id, res := range got {
		if strings.HasPrefix(id, "6.4.") {
			want[id] = OK
			continue
		}
		want[id] = NonStrict
		if res.CloseCode != 1007 || !strings.Contains(res.Detail, "not fail-fast") {
			t.Errorf(
				"case %s: close %d detail %q, want 1007 and not fail-fast",
				id, res.CloseCode, res.Detail,
			)
		}
	}
	if len(got) < 40 {
		t.Fatalf(
			"only %d cases ran",
			len(got),
		)
	}
	checkVerdicts(t, got, want, NonStrict)
}

// The broken server must be caught in every family that checks validation,
// while the plain echo cases still pass: a suite that cannot fail is
// worthless, and one that always fails is too.
func TestBrokenServerFails(t *testing.T) {
	failing := []string{"1.4.1", "1.4.3", "2.5", "3.1", "3.2", "3.6", "3.7", "4.1.1", "4.1.3", "4.2.5", "5.1", "5.2",
		"5.9", "5.13", "5.15", "6.4.1", "6.4.20", "6.5.1", "6.6.1", "6.7.1", "7.3.2", "7.3.6", "7.5.1", "7.9.1",
		"7.9.4", "12.1.2", "12.6.2", "13.1.1"}
	passing := []string{"1.1.1", "1.2.7", "1.1.9", "2.1", "2.10", "5.3", "5.6", "6.2.1", "7.3.3", "9.1.1", "H.1", "H.16"}
	want := map[string]Status{}
	for _, id := range failing {
		want[id] = Failed
	}
	for _, id := range passing {
		want[id] = OK
	}
	got := runOn(t, "/broken", strings.Join(append(failing, passing...), ","),
		Target{ReplyTimeout: time.Second, FailFastWait: 200 * time.Millisecond}, 8)
	checkVerdicts(t, got, want, OK)
}

func TestWrongAcceptKeyFails(t *testing.T) {
	got := runOn(t, "/badaccept", "H.1,1.1.1,2.1", Target{ReplyTimeout: time.Second}, 3)
	for _, id := range []string{"H.1", "1.1.1", "2.1"} {
		if got[id].Status != Failed || !strings.Contains(got[id].Detail, "Sec-WebSocket-Accept") {
			t.Errorf(
				"case %s: got %s %q, want FAILED about Sec-WebSocket-Accept",
				id, got[id].Status, got[id].Detail,
			)
		}
	}
}

// A server that accepts a small server_max_window_bits but compresses with
// a 32 KiB window is caught by the window-checking decoder.
func TestWindowLiarFails(t *testing.T) {
	got := runOn(t, "/liar", "13.3,13.1.1", Target{ReplyTimeout: 3 * time.Second}, 4)
	want := map[string]Status{"13.1.1": OK, "13.3.7": OK}
	for b := 1; b <= 6; b++ {
		want[id(13, 3, b)] = Failed
	}
	checkVerdicts(t, got, want, OK)
	if d := got["13.3.1"].Detail; !strings.Contains(d, "exceeds the negotiated window of 512 bytes") {
		t.Errorf(
			"13.3.1 detail %q does not name the window violation",
			d,
		)
	}
}

func TestDeclinedDeflateIsUnimplemented(t *testing.T) {
	got := runOn(t, "/nodeflate", "12.1.1,12.6.1,13.1.1,13.5.5", Target{ReplyTimeout: 3 * time.Second}, 4)
	checkVerdicts(t, got, map[string]Status{"12.1.1": Unimplemented, "12.6.1": Unimplemented, "13.1.1": Unimplemented, "13.5.5": OK}, OK)
}

// Quick subset against the reference: every family, well under 20 s (a
// bound for a catalog without its slow cases, scaled under -race; it is
// about 2 s on an idle machine).
func TestQuickSubsetIsFast(t *testing.T) {
	start := time.Now()
	got := runOn(t, "/echo", "@quick", Target{ReplyTimeout: 5 * time.Second, FailFastWait: time.Second}, 4)
	el := time.Since(start)
	fams := map[string]bool{}
	for _, res := range got {
		fams[res.Family] = true
	}
	if len(fams) != len(Families()) {
		t.Errorf(
			"quick subset covers %d families, want %d",
			len(fams), len(Families()),
		)
	}
	if limit := 20 * time.Second * raceSlowdown; el > limit {
		t.Errorf(
			"quick subset took %v, want < %v",
			el, limit,
		)
	}
	t.Logf("quick subset: %d cases in %v", len(got), el)
}

func TestServerGone(t *testing.T) {
	tg := Target{URL: "ws://127.0.0.1:1/echo", ReplyTimeout: time.Second}
	r := Run(context.Background(), tg, "1.1.1,H.2", 2)
	for _, res := range r.Results {
		if res.Status != Failed {
			t.Errorf(
				"case %s against a closed port: got %s, want FAILED",
				res.ID, res.Status,
			)
		}
	}
	if r.Failed() != 2 {
		t.Errorf(
			"Failed() = %d, want 2",
			r.Failed(),
		)
	}
}
