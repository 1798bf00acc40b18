package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

func deflateRaw(t *testing.T, level int, msgs ...[]byte) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatalf(
			"flate.NewWriter: %v",
			err,
		)
	}
	var out [][]byte
	for _, m := range msgs {
		buf.Reset()
		_, _ = w.Write(m)
		_ = w.Flush()
		out = append(out, bytes.TrimSuffix(bytes.Clone(buf.Bytes()), []byte{0, 0, 0xff, 0xff}))
	}
	return out
}

func TestInflateMatchesKlauspost(t *testing.T) {
	cases := []struct {
		name  string
		level int
		msgs  [][]byte
	}{
		{
			name:  "empty",
			level: flate.DefaultCompression,
			msgs:  [][]byte{{}},
		},
		{
			name:  "json default level with context takeover",
			level: flate.DefaultCompression,
			msgs:  [][]byte{jsonPayload(5000), jsonPayload(5000), jsonPayload(70000)},
		},
		{
			name:  "random data (stored blocks)",
			level: flate.BestSpeed,
			msgs:  [][]byte{binPayload(100000)},
		},
		{
			name:  "huffman only",
			level: flate.HuffmanOnly,
			msgs:  [][]byte{textPayload(3000)},
		},
		{
			name:  "best compression, long repeats",
			level: flate.BestCompression,
			msgs:  [][]byte{bytes.Repeat([]byte("abc"), 50000)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inf := inflater{window: 1 << 15, takeover: true}
			for i, z := range deflateRaw(t, tc.level, tc.msgs...) {
				got, err := inf.decompress(z)
				if err != nil {
					t.Fatalf(
						"message %d: %v",
						i, err,
					)
				}
				if !bytes.Equal(got, tc.msgs[i]) {
					t.Fatalf(
						"message %d: decoded %d bytes, want %d",
						i, len(got), len(tc.msgs[i]),
					)
				}
			}
		})
	}
}

func TestInflateRejects(t *testing.T) {
	block := binPayload(3000)
	twice := deflateRaw(t, flate.BestCompression, append(bytes.Clone(block), block...))[0]
	cases := []struct {
		name    string
		inf     inflater
		payload []byte
		errPart string
	}{
		{
			name:    "distance beyond a 1 KiB window",
			inf:     inflater{window: 1 << 10},
			payload: twice,
			errPart: "exceeds the negotiated window",
		},
		{
			name:    "invalid block type",
			inf:     inflater{window: 1 << 15},
			payload: []byte{0x07},
			errPart: "invalid block type",
		},
		{
			name:    "stored length check",
			inf:     inflater{window: 1 << 15},
			payload: []byte{0x00, 0x05, 0x00, 0x00, 0x00},
			errPart: "length check",
		},
		{
			name:    "output limit",
			inf:     inflater{window: 1 << 15, maxOutput: 1000},
			payload: deflateRaw(t, flate.BestCompression, bytes.Repeat([]byte{'z'}, 100000))[0],
			errPart: "larger than",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.inf.decompress(tc.payload)
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf(
					"error %v, want one containing %q",
					err, tc.errPart,
				)
			}
		})
	}
	// The same data decodes with a window large enough.
	ok := inflater{window: 1 << 12}
	if _, err := ok.decompress(twice); err != nil {
		t.Fatalf(
			"4 KiB window: %v",
			err,
		)
	}
}

func TestInflateNoContextTakeover(t *testing.T) {
	zs := deflateRaw(t, flate.DefaultCompression, jsonPayload(2000), jsonPayload(2000))
	inf := inflater{window: 1 << 15, takeover: false}
	if _, err := inf.decompress(zs[0]); err != nil {
		t.Fatalf(
			"first message: %v",
			err,
		)
	}
	// The second message refers back into the first: without takeover that
	// must be reported, not silently mis-decoded.
	if _, err := inf.decompress(zs[1]); err == nil {
		t.Fatalf(
			"second message decoded without the first one's history",
		)
	}
}

func TestAcceptDeflateResponse(t *testing.T) {
	cases := []struct {
		name     string
		offer    string
		response string
		wantErr  string
		want     *pmdParams
	}{
		{
			name:     "plain accept",
			offer:    "permessage-deflate",
			response: "permessage-deflate",
			want:     &pmdParams{},
		},
		{
			name:     "server bits within the offer",
			offer:    "permessage-deflate; server_max_window_bits=10",
			response: "permessage-deflate; server_max_window_bits=9; server_no_context_takeover",
			want:     &pmdParams{serverBits: 9, serverNoCtx: true},
		},
		{
			name:     "quoted value",
			offer:    "permessage-deflate; client_max_window_bits",
			response: `permessage-deflate; client_max_window_bits="12"`,
			want:     &pmdParams{clientBits: 12},
		},
		{
			name:     "server bits above the offer",
			offer:    "permessage-deflate; server_max_window_bits=10",
			response: "permessage-deflate; server_max_window_bits=12",
			wantErr:  "not a valid answer",
		},
		{
			name:     "server bits missing although offered",
			offer:    "permessage-deflate; server_max_window_bits=10",
			response: "permessage-deflate",
			wantErr:  "not a valid answer",
		},
		{
			name:     "fallback offer answered",
			offer:    "permessage-deflate; server_max_window_bits=10, permessage-deflate",
			response: "permessage-deflate",
			want:     &pmdParams{},
		},
		{
			name:     "client bits not offered",
			offer:    "permessage-deflate",
			response: "permessage-deflate; client_max_window_bits=15",
			wantErr:  "did not have it",
		},
		{
			name:     "client bits without value in a response",
			offer:    "permessage-deflate; client_max_window_bits",
			response: "permessage-deflate; client_max_window_bits",
			wantErr:  "needs a value",
		},
		{
			name:     "unknown parameter",
			offer:    "permessage-deflate",
			response: "permessage-deflate; foo",
			wantErr:  "unknown parameter",
		},
		{
			name:     "duplicate parameter",
			offer:    "permessage-deflate",
			response: "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
			wantErr:  "twice",
		},
		{
			name:     "bits out of range",
			offer:    "permessage-deflate; server_max_window_bits=10",
			response: "permessage-deflate; server_max_window_bits=7",
			wantErr:  "invalid value",
		},
		{
			name:     "two extensions",
			offer:    "permessage-deflate",
			response: "permessage-deflate, permessage-deflate",
			wantErr:  "more than one",
		},
		{
			name:     "unknown extension accepted",
			offer:    "x-foo, permessage-deflate",
			response: "x-foo",
			wantErr:  "not permessage-deflate",
		},
		{
			name:     "answer to an invalid offer only",
			offer:    "permessage-deflate; bogus=1",
			response: "permessage-deflate",
			wantErr:  "answers no valid offer",
		},
		{
			name:     "value on a flag",
			offer:    "permessage-deflate",
			response: "permessage-deflate; client_no_context_takeover=1",
			wantErr:  "must not have a value",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := acceptDeflateResponse(tc.offer, tc.response)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf(
						"error %v, want one containing %q",
						err, tc.wantErr,
					)
				}
				return
			}
			if err != nil {
				t.Fatalf(
					"unexpected error %v",
					err,
				)
			}
			if *got != *tc.want {
				t.Fatalf(
					"got %+v, want %+v",
					*got, *tc.want,
				)
			}
		})
	}
}

func TestUTF8FailPoint(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{
			in:   "plain ascii",
			want: -1,
		},
		{
			in:   "\x80abc",
			want: 1,
		},
		{
			in:   "ab\xed\xa0\x80",
			want: 4,
		},
		{
			in:   "\xe0\x9f\xbf",
			want: 2,
		},
		{
			in:   "ok\xf1\x80\x80",
			want: 5,
		},
		{
			in:   "\xf4\x90\x80\x80",
			want: 2,
		},
		{
			in:   "\xc3 x",
			want: 2,
		},
	}
	for _, tc := range cases {
		if got := utf8FailPoint([]byte(tc.in)); got != tc.want {
			t.Errorf(
				"utf8FailPoint(%q) = %d, want %d",
				tc.in, got, tc.want,
			)
		}
	}
	for _, v := range append(append([]utf8Vector{}, validUTF8...), invalidUTF8...) {
		fp := utf8FailPoint([]byte(v.data))
		if (fp == -1) != utf8.ValidString(v.data) {
			t.Errorf(
				"vector %q: fail point %d disagrees with utf8.ValidString",
				v.name, fp,
			)
		}
		// No prefix shorter than the fail point may be known invalid: the
		// standard library agrees that it is a valid prefix.
		if fp > 0 {
			prefix := []byte(v.data[:fp-1])
			if utf8FailPoint(prefix) != -1 && utf8FailPoint(prefix) != len(prefix) {
				t.Errorf(
					"vector %q: prefix before the fail point is already invalid",
					v.name,
				)
			}
		}
	}
	// Random inputs: validity must agree with the standard library.
	for n := 0; n < 2000; n++ {
		b := binPayload(n % 13)
		b = append(b, byte(n), byte(n>>3))
		if (utf8FailPoint(b) == -1) != utf8.Valid(b) {
			t.Fatalf(
				"utf8FailPoint disagrees with utf8.Valid on % x",
				b,
			)
		}
	}
}

func TestSelect(t *testing.T) {
	all := Cases()
	cases := []struct {
		filter string
		quick  bool
		check  func(Case) bool
		min    int
	}{
		{
			filter: "",
			check:  func(Case) bool { return true },
			min:    len(all),
		},
		{
			filter: "6.4",
			check:  func(c Case) bool { return strings.HasPrefix(c.ID, "6.4.") },
			min:    20,
		},
		{
			filter: "2.1",
			check:  func(c Case) bool { return c.ID == "2.1" },
			min:    1,
		},
		{
			filter: "Framing,!1.2",
			check:  func(c Case) bool { return c.Family == famFraming && !strings.HasPrefix(c.ID, "1.2.") },
			min:    10,
		},
		{
			filter: "7.*.1",
			check:  func(c Case) bool { return strings.HasPrefix(c.ID, "7.") && strings.HasSuffix(c.ID, ".1") },
			min:    4,
		},
		{
			filter: "/^H\\./",
			check:  func(c Case) bool { return c.Family == famHandshake },
			min:    15,
		},
		{
			filter: "/deflate/",
			check:  func(c Case) bool { return strings.HasPrefix(c.ID, "12.") || strings.HasPrefix(c.ID, "13.") },
			min:    40,
		},
		{
			filter: "9",
			quick:  true,
			check:  func(c Case) bool { return c.Quick && strings.HasPrefix(c.ID, "9.") },
			min:    5,
		},
	}
	for _, tc := range cases {
		got, err := Select(all, tc.filter, tc.quick)
		if err != nil {
			t.Fatalf(
				"Select(%q): %v",
				tc.filter, err,
			)
		}
		if len(got) < tc.min {
			t.Errorf(
				"Select(%q) picked %d cases, want at least %d",
				tc.filter, len(got), tc.min,
			)
		}
		for _, c := range got {
			if !tc.check(c) {
				t.Errorf(
					"Select(%q) picked %s (%s)",
					tc.filter, c.ID, c.Family,
				)
			}
		}
	}
	if _, err := Select(all, "/(/", false); err == nil {
		t.Errorf(
			"bad regexp accepted",
		)
	}
	if r := Run(context.Background(), Target{URL: "ws://127.0.0.1:1/"}, "[", 1); r.Error == "" {
		t.Errorf(
			"Run with a bad glob did not report an error",
		)
	}
}

func TestCatalog(t *testing.T) {
	cs := Cases()
	seen := map[string]bool{}
	perFamily := map[string]int{}
	quickFamily := map[string]int{}
	for i, c := range cs {
		if seen[c.ID] {
			t.Errorf(
				"duplicate case ID %s",
				c.ID,
			)
		}
		seen[c.ID] = true
		if c.Description == "" || c.Run == nil || c.Family == "" {
			t.Errorf(
				"case %s lacks a description, family or Run",
				c.ID,
			)
		}
		if i > 0 && !lessID(cs[i-1].ID, c.ID) {
			t.Errorf(
				"cases not sorted: %s before %s",
				cs[i-1].ID, c.ID,
			)
		}
		perFamily[c.Family]++
		if c.Quick {
			quickFamily[c.Family]++
			if strings.Contains(c.Description, "16M") {
				t.Errorf(
					"quick case %s sends 16 MiB",
					c.ID,
				)
			}
		}
	}
	for _, f := range Families() {
		if perFamily[f] == 0 || quickFamily[f] == 0 {
			t.Errorf(
				"family %q has %d cases, %d quick",
				f, perFamily[f], quickFamily[f],
			)
		}
	}
}

func sampleReport() Report {
	r := Report{Target: "ws://x/echo", Started: time.Unix(0, 0).UTC(), Parallel: 2, Results: []Result{
		{ID: "1.1.1", Family: famFraming, Description: "a | pipe", Verdict: Verdict{Status: OK, CloseCode: 1000}},
		{ID: "3.1", Family: famRSV, Description: "rsv", Verdict: Verdict{Status: Failed, Detail: "echoed\nit"}},
		{ID: "3.2", Family: famRSV, Description: "rsv2", Verdict: Verdict{Status: NonStrict}},
	}}
	r.tally()
	return r
}

func TestReportWriters(t *testing.T) {
	r := sampleReport()
	if r.Failed() != 1 || r.Totals.Total != 3 || len(r.Families) != 2 || r.Families[1].Counts[NonStrict] != 1 {
		t.Fatalf(
			"bad totals: %+v",
			r.Families,
		)
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatalf(
			"WriteMarkdown: %v",
			err,
		)
	}
	for _, want := range []string{"## Totals", "| 1 Framing | 1 | 1 | 0 | 0 | 0 | 0 |", "| **all** | 3 |", "## 3 Reserved bits",
		"| 3.1 | **FAILED** |", `a \| pipe`, "echoed it"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf(
				"markdown lacks %q:\n%s",
				want, md.String(),
			)
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatalf(
			"WriteJSON: %v",
			err,
		)
	}
	var back struct {
		Results []struct {
			ID     string `json:"id"`
			Status Status `json:"status"`
		} `json:"results"`
		Totals struct {
			Counts map[string]int `json:"counts"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf(
			"JSON does not parse: %v",
			err,
		)
	}
	if len(back.Results) != 3 || back.Results[1].Status != Failed || back.Totals.Counts["FAILED"] != 1 {
		t.Fatalf(
			"JSON round trip lost data: %s",
			js.String(),
		)
	}
}

func TestMainCLI(t *testing.T) {
	base := startTestServer(t)
	dir := t.TempDir()
	md, js := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.json")
	cases := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{
			name: "passing run with reports",
			args: []string{"-url", base + "/echo", "-cases", "1.1.1,2.1", "-report", md, "-json", js, "-reply-timeout", "3s"},
			code: 0,
			out:  "2 case(s)",
		},
		{
			name: "failing run",
			args: []string{"-url", base + "/broken", "-cases", "4.1.1", "-reply-timeout", "1s", "-v"},
			code: 1,
			out:  "FAILED 4.1.1",
		},
		{
			name: "list",
			args: []string{"-list", "-quick", "-cases", "H"},
			code: 0,
			out:  "H.20",
		},
		{
			name: "bad flag",
			args: []string{"-nope"},
			code: 2,
		},
		{
			name: "bad url",
			args: []string{"-url", "http//x"},
			code: 2,
		},
		{
			name: "no match",
			args: []string{"-cases", "99.9"},
			code: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), tc.args, &out, &errb)
			if code != tc.code {
				t.Fatalf(
					"exit %d, want %d\nstdout: %s\nstderr: %s",
					code, tc.code, out.String(), errb.String(),
				)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf(
					"stdout lacks %q:\n%s",
					tc.out, out.String(),
				)
			}
		})
	}
	b, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(b), "| 1.1.1 | OK |") {
		t.Fatalf(
			"markdown report: %v\n%s",
			err, b,
		)
	}
	b, err = os.ReadFile(js)
	if err != nil || !json.Valid(b) {
		t.Fatalf(
			"json report: %v",
			err,
		)
	}
}
