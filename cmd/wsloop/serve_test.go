package main

import (
	"flag"
	"io"
	"slices"
	"testing"

	"github.com/wsloop/wsloop/api"
)

// Every serve flag is either a Config setting's, with that setting's
// default (or the one serveDefaults declares), or one of the command's
// own: a flag added by hand for a setting (with a default of its own)
// fails here.
func TestServeFlagDefaults(t *testing.T) {
	_, fs := newServeFlags(io.Discard)
	byFlag := map[string]api.SettingInfo{}
	for _, st := range api.Settings() {
		if st.Flag != "" {
			byFlag[st.Flag] = st
		}
	}
	seen := 0
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(ownFlags, f.Name) {
			return
		}
		st, ok := byFlag[f.Name]
		if !ok {
			t.Errorf("-%s is neither a Config setting's flag (flag tag) nor in ownFlags", f.Name)
			return
		}
		seen++
		// Compare as the setting reads them, so that "10s" and "10" agree.
		var flagDef, fieldDef api.Config
		if err := flagDef.Set(st.Name, f.DefValue); err != nil {
			t.Errorf("-%s default %q: %v", f.Name, f.DefValue, err)
			return
		}
		got, _ := flagDef.Get(st.Name)
		want, _ := fieldDef.Get(st.Name)
		if v, ok := serveDefaults[st.Name]; ok {
			want = v // a declared difference
		}
		if got != want {
			t.Errorf("-%s defaults to %q (%s reads %q), the field to %q (declared %q)", f.Name, f.DefValue, st.Name, got, want, st.Default)
		}
	})
	if seen != len(byFlag) {
		t.Errorf("%d setting flags registered, %d declared", seen, len(byFlag))
	}
}

// The flags reach the Config.
func TestServeFlagsConfig(t *testing.T) {
	f, err := parseServeFlags([]string{"-addr", "127.0.0.1:0", "-compress", "-max-outbound", "4194304",
		"-handshake-timeout", "2s", "-origins", "https://a.test,https://b.test", "-log", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Compression.Enabled || cfg.MaxOutboundQueue != 4<<20 || cfg.DefaultConnectionTimeout.Seconds() != 2 ||
		len(cfg.Origins) != 2 || cfg.LogLevel != 2 || cfg.LocalHost != "127.0.0.1" || !cfg.BufferMessage {
		t.Errorf("config %+v", cfg)
	}
	if _, err := parseServeFlags([]string{"-max-outbound", "-1"}, io.Discard); err == nil {
		t.Error("-max-outbound -1 accepted")
	}
}

// serveConfig parses serve flags as the command does and returns the
// server's configuration.
func serveConfig(t testing.TB, args ...string) api.Config {
	t.Helper()
	f, err := parseServeFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
