package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/wsloop/wsloop/api"
)

// The commands' help goes to stdout with exit 0 and says what they do.
func TestHelpAndVersion(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "-h"}, []string{"usage: wsloop serve", "/echo", "/chat", "/healthz", "/metrics ", "/metrics.json", "-max-outbound", "-mount"}},
		{[]string{"conformance", "-h"}, []string{"usage: wsloop conformance"}},
		{[]string{"version"}, []string{"wsloop ", "go1."}},
		{[]string{"-h"}, []string{"version", "serve", "loadtest", "conformance"}},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		text := out.String() + errOut.String()
		if code != 0 {
			t.Errorf("%v: exit %d\n%s", c.args, code, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, text)
			}
		}
	}
}

// serve's limits default to the api's defaults (one source of truth).
func TestServeDefaults(t *testing.T) {
	_, fs := newServeFlags(&bytes.Buffer{})
	for flag, want := range map[string]string{
		"max-outbound":      strconv.Itoa(api.DefaultMaxOutboundQueue),
		"max-message":       strconv.FormatInt(api.DefaultMaxMessageSize, 10),
		"handshake-timeout": api.DefaultConnectionTimeout.String(),
	} {
		if got := fs.Lookup(flag).DefValue; got != want {
			t.Errorf("-%s default %s, want the api's %s", flag, got, want)
		}
	}
}
