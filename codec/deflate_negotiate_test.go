package codec

import (
	"fmt"
	"iter"
	"slices"
	"testing"
)

func pmdOffers(items ...string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, s := range items {
			if !yield([]byte(s)) {
				return
			}
		}
	}
}

func TestNegotiateDeflateTable(t *testing.T) {
	on := DeflateConfig{Enabled: true}
	takeover := DeflateConfig{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true}
	small := DeflateConfig{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true,
		ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}
	const both = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	np := DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	tp := DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	with := func(p DeflateParams, f func(*DeflateParams)) DeflateParams { f(&p); return p }
	tests := []struct {
		name   string
		cfg    DeflateConfig
		offers []string
		resp   string // "" = declined
		params DeflateParams
	}{
		{"disabled", DeflateConfig{}, []string{"permessage-deflate"}, "", DeflateParams{}},
		{"no offers", on, nil, "", DeflateParams{}},
		{"plain default cfg", on, []string{"permessage-deflate"}, both, np},
		{"plain takeover cfg", takeover, []string{"permessage-deflate"}, "permessage-deflate", tp},
		{"client asks server no takeover", takeover, []string{"permessage-deflate; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover", with(tp, func(p *DeflateParams) { p.ServerNoContextTakeover = true })},
		{"client offers client no takeover", takeover, []string{"permessage-deflate; client_no_context_takeover"},
			"permessage-deflate; client_no_context_takeover", with(tp, func(p *DeflateParams) { p.ClientNoContextTakeover = true })},
		{"server takeover only", DeflateConfig{Enabled: true, ServerContextTakeover: true}, []string{"permessage-deflate"},
			"permessage-deflate; client_no_context_takeover", with(tp, func(p *DeflateParams) { p.ClientNoContextTakeover = true })},
		{"client takeover only", DeflateConfig{Enabled: true, ClientContextTakeover: true}, []string{"permessage-deflate"},
			"permessage-deflate; server_no_context_takeover", with(tp, func(p *DeflateParams) { p.ServerNoContextTakeover = true })},
		{"client bits no value, takeover cfg", takeover, []string{"permessage-deflate; client_max_window_bits"}, "permessage-deflate", tp},
		{"client bits no value, small cfg", small, []string{"permessage-deflate; client_max_window_bits"},
			"permessage-deflate; client_max_window_bits=9", DeflateParams{ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}},
		{"client bits not offered, small cfg", small, []string{"permessage-deflate"},
			"permessage-deflate", DeflateParams{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}},
		{"client bits 12 offered, cfg 15", takeover, []string{"permessage-deflate; client_max_window_bits=12"},
			"permessage-deflate; client_max_window_bits=12", with(tp, func(p *DeflateParams) { p.ClientMaxWindowBits = 12 })},
		{"client bits 8 offered, cfg 9", small, []string{"permessage-deflate; client_max_window_bits=8"},
			"permessage-deflate; client_max_window_bits=8", DeflateParams{ServerMaxWindowBits: 10, ClientMaxWindowBits: 8}},
		{"server bits 12 offered, cfg 15", takeover, []string{"permessage-deflate; server_max_window_bits=12"},
			"permessage-deflate; server_max_window_bits=12", with(tp, func(p *DeflateParams) { p.ServerMaxWindowBits = 12 })},
		{"server bits 13 offered, cfg 10", small, []string{"permessage-deflate; server_max_window_bits=13"},
			"permessage-deflate; server_max_window_bits=10", DeflateParams{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}},
		{"all params", on, []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11"},
			both + "; server_max_window_bits=9; client_max_window_bits=11",
			with(np, func(p *DeflateParams) { p.ServerMaxWindowBits, p.ClientMaxWindowBits = 9, 11 })},
		{"quoted value", takeover, []string{`permessage-deflate; server_max_window_bits="10"`},
			"permessage-deflate; server_max_window_bits=10", with(tp, func(p *DeflateParams) { p.ServerMaxWindowBits = 10 })},
		{"quoted escaped value", takeover, []string{`permessage-deflate; client_max_window_bits="1\1"`},
			"permessage-deflate; client_max_window_bits=11", with(tp, func(p *DeflateParams) { p.ClientMaxWindowBits = 11 })},
		{"whitespace and case", takeover, []string{"  PerMessage-Deflate ;\tServer_Max_Window_Bits = 11 ; client_max_window_bits "},
			"permessage-deflate; server_max_window_bits=11", with(tp, func(p *DeflateParams) { p.ServerMaxWindowBits = 11 })},
		{"first bad second good", on, []string{"permessage-deflate; server_max_window_bits=7", "permessage-deflate; client_max_window_bits"}, both, np},
		{"other extension first", on, []string{"x-webkit-deflate-frame; no_context_takeover", "permessage-deflate"}, both, np},
		{"comma list in one item", on, []string{"foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=8"},
			both + "; server_max_window_bits=8", with(np, func(p *DeflateParams) { p.ServerMaxWindowBits = 8 })},
		{"quoted comma does not split", on, []string{`foo; a="x, permessage-deflate", permessage-deflate`}, both, np},
		{"all bad", on, []string{"permessage-deflate; bogus", "permessage-deflate; server_max_window_bits"}, "", DeflateParams{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("X: ")
			resp, p, ok := NegotiateDeflate(prefix, pmdOffers(tt.offers...), tt.cfg)
			if ok != (tt.resp != "") {
				t.Fatalf("ok = %v, resp %q", ok, resp)
			}
			if want := "X: " + tt.resp; string(resp) != want {
				t.Errorf("resp = %q, want %q", resp, want)
			}
			if p != tt.params {
				t.Errorf("params = %+v, want %+v", p, tt.params)
			}
		})
	}
}

// Every valid and invalid window value, for both window parameters.
func TestNegotiateDeflateWindowValues(t *testing.T) {
	cfg := DeflateConfig{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true}
	for _, param := range []string{"server_max_window_bits", "client_max_window_bits"} {
		for bits := 8; bits <= 15; bits++ {
			offer := fmt.Sprintf("permessage-deflate; %s=%d", param, bits)
			resp, p, ok := NegotiateDeflate(nil, pmdOffers(offer), cfg)
			want := fmt.Sprintf("permessage-deflate; %s=%d", param, bits)
			got := p.ServerMaxWindowBits
			if param == "client_max_window_bits" {
				got = p.ClientMaxWindowBits
			}
			if !ok || string(resp) != want || got != bits {
				t.Errorf("%s: ok=%v resp=%q bits=%d", offer, ok, resp, got)
			}
		}
		for _, v := range []string{"7", "16", "0", "08", "015", "abc", "", `""`, `"8`, "1 0", "-9", "+9", "9.0", "99999999999999999999", `"\"`} {
			offer := fmt.Sprintf("permessage-deflate; %s=%s", param, v)
			if resp, _, ok := NegotiateDeflate(nil, pmdOffers(offer), cfg); ok {
				t.Errorf("%q accepted: %q", offer, resp)
			}
		}
	}
}

func TestNegotiateDeflateDeclines(t *testing.T) {
	cfg := DeflateConfig{Enabled: true}
	for _, offer := range []string{
		"permessage-deflate; server_max_window_bits",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
		"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; client_max_window_bits; client_max_window_bits=10",
		"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
		"permessage-deflate; server_no_context_takeover=1",
		`permessage-deflate; client_no_context_takeover=""`,
		"permessage-deflate; unknown",
		"permessage-deflate; unknown=1",
		"permessage-deflate;",
		"permessage-deflate; ; client_max_window_bits",
		"permessage-deflate x",
		"permessage-deflate; server_max_window_bits=10 junk",
		"permessage-deflate; server_max_window_bits=\"10",
		"permessage-deflatex",
		"x-permessage-deflate",
		"",
		" , ",
	} {
		if resp, p, ok := NegotiateDeflate([]byte("keep"), pmdOffers(offer), cfg); ok || string(resp) != "keep" || p != (DeflateParams{}) {
			t.Errorf("%q: ok=%v resp=%q p=%+v", offer, ok, resp, p)
		}
	}
}

// The config's takeover flags and windows over every offer combination:
// the response must always agree with the params and the RFC's rules.
func TestNegotiateDeflateCombinations(t *testing.T) {
	flags := []string{"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits=11", "client_max_window_bits"}
	for mask := range 1 << len(flags) {
		offer := "permessage-deflate"
		var offered [4]bool
		for i, f := range flags {
			if mask&(1<<i) != 0 {
				offer += "; " + f
				offered[i] = true
			}
		}
		for cfgMask := range 4 {
			cfg := DeflateConfig{Enabled: true, ServerContextTakeover: cfgMask&1 != 0, ClientContextTakeover: cfgMask&2 != 0,
				ServerMaxWindowBits: 12, ClientMaxWindowBits: 10}
			resp, p, ok := NegotiateDeflate(nil, pmdOffers(offer), cfg)
			if !ok {
				t.Fatalf("%q declined", offer)
			}
			if want := offered[0] || !cfg.ServerContextTakeover; p.ServerNoContextTakeover != want {
				t.Errorf("%q cfg %d: ServerNoContextTakeover = %v", offer, cfgMask, p.ServerNoContextTakeover)
			}
			if want := offered[1] || !cfg.ClientContextTakeover; p.ClientNoContextTakeover != want {
				t.Errorf("%q cfg %d: ClientNoContextTakeover = %v", offer, cfgMask, p.ClientNoContextTakeover)
			}
			wantS := 12
			if offered[2] {
				wantS = 11
			}
			wantC := 15
			if offered[3] {
				wantC = 10
			}
			if p.ServerMaxWindowBits != wantS || p.ClientMaxWindowBits != wantC {
				t.Errorf("%q: windows %d/%d, want %d/%d", offer, p.ServerMaxWindowBits, p.ClientMaxWindowBits, wantS, wantC)
			}
			// The response must parse back and carry the same facts.
			back := pmdParseResponse(t, string(resp))
			if _, has := back["server_no_context_takeover"]; has != p.ServerNoContextTakeover {
				t.Errorf("%q: resp %q disagrees on server takeover", offer, resp)
			}
			if _, has := back["client_no_context_takeover"]; has != p.ClientNoContextTakeover {
				t.Errorf("%q: resp %q disagrees on client takeover", offer, resp)
			}
			if _, has := back["client_max_window_bits"]; has != offered[3] {
				t.Errorf("%q: resp %q: client_max_window_bits must appear iff offered", offer, resp)
			}
			if _, has := back["server_max_window_bits"]; has != offered[2] {
				t.Errorf("%q: resp %q: server_max_window_bits must appear iff offered", offer, resp)
			}
		}
	}
}

// pmdParseResponse decodes our own response through the offer parser's
// syntax (names only) into a map; flags map to "true".
func pmdParseResponse(t *testing.T, s string) map[string]string {
	t.Helper()
	parts := slices.Collect(func(yield func(string) bool) {
		start := 0
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ';' {
				if !yield(s[start:i]) {
					return
				}
				start = i + 2
			}
		}
	})
	if parts[0] != "permessage-deflate" {
		t.Fatalf("bad response %q", s)
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		name, val := p, "true"
		for i := range p {
			if p[i] == '=' {
				name, val = p[:i], p[i+1:]
			}
		}
		m[name] = val
	}
	return m
}

func TestNegotiateDeflateNoAllocs(t *testing.T) {
	dst := make([]byte, 0, 256)
	items := [][]byte{[]byte("permessage-deflate; server_max_window_bits=7"), []byte("permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\"")}
	seq := func(yield func([]byte) bool) {
		for _, it := range items {
			if !yield(it) {
				return
			}
		}
	}
	cfg := DeflateConfig{Enabled: true}
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, ok := NegotiateDeflate(dst[:0], seq, cfg); !ok {
			t.Fatal("declined")
		}
	})
	if allocs != 0 {
		t.Errorf("allocs = %v", allocs)
	}
}

func TestDeflateConfigHelpers(t *testing.T) {
	for _, tt := range []struct {
		threshold, n int
		want         bool
	}{{0, 63, false}, {0, 64, true}, {-1, 0, true}, {10, 9, false}, {10, 10, true}} {
		c := DeflateConfig{Threshold: tt.threshold}
		if got := c.ShouldCompress(tt.n); got != tt.want {
			t.Errorf("Threshold %d n %d: %v", tt.threshold, tt.n, got)
		}
	}
	for _, tt := range [][2]int{{0, DefaultDeflateLevel}, {5, 5}, {10, DefaultDeflateLevel}, {-1, DefaultDeflateLevel}} {
		c := DeflateConfig{Level: tt[0]}
		if got := c.EffectiveLevel(); got != tt[1] {
			t.Errorf("Level %d -> %d", tt[0], got)
		}
	}
}
