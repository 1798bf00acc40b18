package main

import (
	"io"
	"runtime/debug"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MiB", 512 << 20, true},
		{"2GiB", 2 << 30, true},
		{"1TiB", 1 << 40, true},
		{"64KiB", 64 << 10, true},
		{"1000", 1000, true},
		{"1000B", 1000, true},
		{"", 0, false},
		{"0", 0, false},
		{"-5MiB", 0, false},
		{"12MB", 0, false},
		{"lots", 0, false},
	} {
		got, err := parseBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestServeGCFlags(t *testing.T) {
	f, err := parseServeFlags([]string{"-gogc", "25", "-memory-limit", "3GiB"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oldPct := debug.SetGCPercent(100)
	oldLim := debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(oldPct); debug.SetMemoryLimit(oldLim) }()
	if err := f.gc.apply(); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != 25 {
		t.Errorf("GC percent %d, want 25", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Errorf("memory limit %d, want 3 GiB", got)
	}
	f, _ = parseServeFlags(nil, io.Discard)
	debug.SetGCPercent(77)
	if err := f.gc.apply(); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != 77 {
		t.Errorf("without -gogc the GC percent changed to %d", got)
	}
	if f, _ = parseServeFlags([]string{"-memory-limit", "huge"}, io.Discard); f.gc.apply() == nil {
		t.Error("-memory-limit huge accepted")
	}
}
