package api_test

import (
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// Pausing from inside OnDataIn on a TLS connection keeps the messages that
// were decrypted in the same read: they are delivered after resume, not
// dropped with the rest of the record's plaintext.
func TestTLSAcceptDataPauseFromHandler(t *testing.T) {
	t.Parallel()
	srvCfg, cliCfg := serverTLS(t)
	var h *tlsHarness
	h = startTLS(t, api.Config{TLS: srvCfg}, api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			if string(e.Data) == "stop" {
				_ = h.srv.SetAcceptData(e.ConnectionID, false)
				go func() {
					time.Sleep(100 * time.Millisecond)
					_ = h.srv.SetAcceptData(e.ConnectionID, true)
				}()
			}
		},
	})
	c := mustDialWSS(t, h.url(), cliCfg)
	var wire []byte
	msgs := []string{"a", "stop", "b", "c"}
	for _, m := range msgs {
		wire = append(wire, frameBytes(ws.OpText, true, []byte(m))...)
	}
	if _, err := c.Write(wire); err != nil { // one TLS record
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	for _, want := range msgs {
		got, _, err := wsutil.ReadServerData(c)
		if err != nil {
			t.Fatalf("waiting for the echo of %q: %v", want, err)
		}
		if string(got) != want {
			t.Fatalf("echo %q, want %q", got, want)
		}
	}
}
