package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// BenchmarkInflateInbound measures a round trip of a compressed client
// message echoed uncompressed: a 16 KiB message is inflated on the loop
// (below InflateInline), a 1 MiB one by a worker. server-allocs/op is the
// whole process's mallocs per round trip (the client side allocates
// nothing): 0 on the loop path; on the worker path the job, the copy of
// the compressed payload and the one exact output buffer.
func BenchmarkInflateInbound(b *testing.B) {
	for _, size := range []int{16 << 10, 1 << 20} {
		name := strconv.Itoa(size>>10) + "KiB"
		b.Run(name, func(b *testing.B) {
			e, _ := startEngine(b, Options{NumLoops: 1, Deflate: codec.DeflateConfig{Enabled: true, Threshold: 1 << 30}}, true)
			c := deflateUpgrade(b, "127.0.0.1:"+strconv.Itoa(e.Port()))
			defer c.Close()
			msg := []byte(strings.Repeat("compressible text for the inflate benchmark ", size/44+1))[:size]
			z, err := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, 1).Compress(nil, msg)
			if err != nil {
				b.Fatal(err)
			}
			f := ws.NewFrame(ws.OpBinary, true, z)
			f.Header.Rsv = ws.Rsv(true, false, false)
			frame := ws.MustCompileFrame(ws.MaskFrameInPlace(f))
			benchRoundTrips(b, c, frame, size, 20)
			b.ReportMetric(float64(e.Metrics().InflatedOffLoop.Load())/float64(b.N+20), "off-loop/op")
		})
	}
}

// deflateUpgrade opens a WebSocket that negotiates permessage-deflate
// without context takeover.
func deflateUpgrade(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	req := strings.Replace(upgradeRequest, "\r\n\r\n",
		"\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n\r\n", 1)
	if _, err := io.WriteString(c, req); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 || !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		tb.Fatalf("upgrade: %v %v", resp, err)
	}
	if br.Buffered() != 0 {
		tb.Fatal("unexpected data after the 101")
	}
	return c
}
