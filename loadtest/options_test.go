package loadtest

import (
	"net/netip"
	"testing"
)

func TestParseSources(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		first   string
		last    string
		wantErr bool
	}{
		{"", 0, "", "", false},
		{"3", 3, "127.0.0.1", "127.0.0.3", false},
		{"127.0.0.1-127.0.0.50", 50, "127.0.0.1", "127.0.0.50", false},
		{"127.0.0.250-127.0.1.2", 9, "127.0.0.250", "127.0.1.2", false},
		{"127.0.0.2, 127.0.0.9", 2, "127.0.0.2", "127.0.0.9", false},
		{"::1", 1, "::1", "::1", false},
		{"127.0.0.5-127.0.0.1", 0, "", "", true},
		{"127.0.0.1-::1", 0, "", "", true},
		{"nope", 0, "", "", true},
		{"0", 0, "", "", true},
		{"127.0.0.0-127.1.0.0", 0, "", "", true}, // over 65536
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSources(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if len(got) != tc.n {
				t.Fatalf("got %d addresses, want %d", len(got), tc.n)
			}
			if tc.n > 0 && (got[0] != netip.MustParseAddr(tc.first) || got[tc.n-1] != netip.MustParseAddr(tc.last)) {
				t.Errorf("range %s..%s", got[0], got[tc.n-1])
			}
		})
	}
}
