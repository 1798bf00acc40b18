package api_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// BenchmarkPausePerMessage is per-message flow control: the handler turns
// AcceptData off on every message and another goroutine turns it back on.
// b.N two-byte messages arrive in one burst; ns/op is the cost of one
// pause/resume cycle. It must not grow with b.N (held TLS plaintext used to
// be compacted on every resume, which made it quadratic): compare
// -benchtime=100000x with -benchtime=400000x.
func BenchmarkPausePerMessage(b *testing.B) {
	for _, useTLS := range []bool{false, true} {
		b.Run(map[bool]string{false: "ws", true: "wss"}[useTLS], func(b *testing.B) {
			var srvp atomic.Pointer[api.Server]
			var got atomic.Int64
			cfg := api.Config{LocalHost: "127.0.0.1", EventLoops: 1, MaxPausedBytes: 64 << 20}
			var url string
			if useTLS {
				srvCfg, _ := serverTLS(b)
				cfg.TLS = srvCfg
			}
			srv := api.New(cfg, api.Events{OnDataIn: func(e *api.DataInEvent) {
				got.Add(1)
				s, id := srvp.Load(), e.ConnectionID
				_ = s.SetAcceptData(id, false)
				go func() { _ = s.SetAcceptData(id, true) }()
			}})
			srvp.Store(srv)
			if err := srv.Listen(); err != nil {
				b.Fatal(err)
			}
			defer srv.Shutdown(b.Context())
			url = "ws://" + srv.Addr() + "/"
			var c interface{ Write([]byte) (int, error) }
			if useTLS {
				_, cli := serverTLS(b)
				c = mustDialWSS(b, "wss://"+srv.Addr()+"/", cli)
			} else {
				conn, _, _, err := ws.Dial(b.Context(), url)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				c = conn
			}
			one := frameBytes(ws.OpBinary, true, []byte("xy"))
			wire := make([]byte, 0, len(one)*b.N)
			for range b.N {
				wire = append(wire, one...)
			}
			b.ResetTimer()
			go func() { _, _ = c.Write(wire) }()
			deadline := time.Now().Add(5 * time.Minute)
			for got.Load() < int64(b.N) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			if n := got.Load(); n != int64(b.N) {
				b.Fatal(fmt.Sprintf("%d of %d messages", n, b.N))
			}
		})
	}
}
