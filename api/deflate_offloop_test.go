package api_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/codec"
)

// Compressed messages that inflate beyond InlineInflateSize are inflated by
// a worker while the connection's reads wait. These tests check what a
// client can see of that: order, content, pause/resume, close codes, and
// that the worker path was taken (Metrics.InflatedOffLoop).

// compressedFrame is one masked client frame carrying p compressed by d.
func compressedFrame(t testing.TB, d *codec.Deflater, op ws.OpCode, p []byte) []byte {
	t.Helper()
	z, err := d.Compress(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	f := ws.NewFrame(op, true, z)
	f.Header.Rsv = ws.Rsv(true, false, false)
	return ws.MustCompileFrame(ws.MaskFrameInPlace(f))
}

// readMessageInflated reads one server message, inflating it if RSV1 is set.
func readMessageInflated(t testing.TB, c net.Conn, in *codec.Inflater) (ws.OpCode, []byte) {
	t.Helper()
	f := readFrame(t, c)
	op, comp, msg := f.Header.OpCode, f.Header.Rsv1(), f.Payload
	for !f.Header.Fin {
		f = readFrame(t, c)
		msg = append(msg, f.Payload...)
	}
	if comp {
		out, err := in.Inflate(nil, msg, 64<<20)
		if err != nil {
			t.Fatalf("inflate server message: %v", err)
		}
		msg = out
	}
	return op, msg
}

// offLoopMessages are pipelined in one write: two of them inflate beyond
// the 64 KiB InlineInflateSize used below.
func offLoopMessages() []struct {
	op ws.OpCode
	p  []byte
} {
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = byte(i / 4096)
	}
	return []struct {
		op ws.OpCode
		p  []byte
	}{
		{ws.OpText, []byte("first")},
		{ws.OpText, bytes.Repeat([]byte("a large text message, inflated off the loop. "), 14000)}, // 630 KB
		{ws.OpBinary, bytes.Repeat([]byte{1, 2, 3, 4, 5}, 2000)},
		{ws.OpBinary, big},
		{ws.OpText, []byte("last")},
	}
}

// pauseOnLarge turns AcceptData off when a large message arrives and back
// on 50 ms later: the messages pipelined behind it must wait, then follow.
func pauseOnLarge(srv func() *api.Server, paused *atomic.Int32) func(*api.DataInEvent) {
	return func(e *api.DataInEvent) {
		if len(e.Data) < 100<<10 || e.DataFormat != api.DataText {
			return
		}
		s, id := srv(), e.ConnectionID
		_ = s.SetAcceptData(id, false)
		paused.Add(1)
		go func() {
			time.Sleep(50 * time.Millisecond)
			_ = s.SetAcceptData(id, true)
		}()
	}
}

func offLoopConfig(clientTakeover bool) api.Config {
	return api.Config{BufferMessage: true, MaxOutboundQueue: 16 << 20, Compression: api.Compression{
		Enabled: true, ClientContextTakeover: clientTakeover, InlineInflateSize: 64 << 10}}
}

// checkEchoes writes all messages in one write and checks the echoes.
func checkEchoes(t *testing.T, c net.Conn, out *codec.Deflater, in *codec.Inflater) {
	t.Helper()
	var wire []byte
	msgs := offLoopMessages()
	for _, m := range msgs {
		wire = append(wire, compressedFrame(t, out, m.op, m.p)...)
	}
	_ = c.SetWriteDeadline(time.Now().Add(ioWait))
	go func() { _, _ = c.Write(wire) }() // the echoes must be read meanwhile
	for i, m := range msgs {
		op, got := readMessageInflated(t, c, in)
		if op != m.op || !bytes.Equal(got, m.p) {
			t.Fatalf("echo %d: %v %d bytes, want %v %d bytes", i, op, len(got), m.op, len(m.p))
		}
	}
}

func TestDeflateOffLoopOrder(t *testing.T) {
	t.Parallel()
	for _, takeover := range []bool{false, true} {
		t.Run(fmt.Sprintf("client_takeover_%v", takeover), func(t *testing.T) {
			t.Parallel()
			var h *harness
			var paused atomic.Int32
			pause := pauseOnLarge(func() *api.Server { return h.srv }, &paused)
			h = start(t, offLoopConfig(takeover), hooks{data: func(h *harness, e *api.DataInEvent) {
				echo(h, e)
				pause(e)
			}})
			d := dialDeflate(t, h)
			checkEchoes(t, d.client, d.out, d.in)
			if n := h.srv.Metrics().InflatedOffLoop; n != 2 {
				t.Errorf("InflatedOffLoop = %d, want 2", n)
			}
			if paused.Load() != 1 {
				t.Errorf("the large text message was delivered %d times", paused.Load())
			}
		})
	}
}

// Over TLS the plaintext decrypted after the large message cannot stay in
// gnet's buffer: it is held and processed after the worker's result.
func TestDeflateOffLoopOrderTLS(t *testing.T) {
	t.Parallel()
	srvCfg, cliCfg := serverTLS(t)
	cfg := offLoopConfig(true)
	cfg.TLS = srvCfg
	var h *tlsHarness
	var paused atomic.Int32
	h = startTLS(t, cfg, api.Events{OnDataIn: pauseOnLarge(func() *api.Server { return h.srv }, &paused)})
	d := ws.Dialer{TLSConfig: cliCfg, Timeout: 5 * time.Second,
		Extensions: []httphead.Option{wsflate.Parameters{}.Option()}}
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	nc, br, hs, err := d.Dial(ctx, h.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if len(hs.Extensions) != 1 || br != nil {
		t.Fatalf("extensions %v, buffered reader %v", hs.Extensions, br != nil)
	}
	var p wsflate.Parameters
	if err := p.Parse(hs.Extensions[0]); err != nil {
		t.Fatal(err)
	}
	out := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: p.ClientNoContextTakeover, ServerMaxWindowBits: 15}, 6)
	in := codec.NewInflater(codec.DeflateParams{ClientNoContextTakeover: p.ServerNoContextTakeover, ClientMaxWindowBits: 15})
	checkEchoes(t, nc.(*tls.Conn), out, in)
	if n := h.srv.Metrics().InflatedOffLoop; n != 2 {
		t.Errorf("InflatedOffLoop = %d, want 2", n)
	}
	if errs := h.errorList(); len(errs) > 0 {
		t.Errorf("server errors: %v", errs)
	}
}

// A compression bomb is cut by a worker at the limit (1009); what the
// client pipelined behind it is not delivered; a connection on the same
// loop keeps being served meanwhile.
func TestDeflateOffLoopBomb(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{EventLoops: 1, BufferMessage: true, Compression: api.Compression{Enabled: true,
		MaxDecompressedSize: 4 << 20}}, hooks{data: echo})
	good := dialDeflate(t, h)
	bad := dialDeflate(t, h)
	badID := h.idOf(t, bad.client)
	wire := compressedFrame(t, bad.out, ws.OpBinary, make([]byte, 8<<20)) // 8 MiB of zeros > the 4 MiB limit
	wire = append(wire, compressedFrame(t, bad.out, ws.OpText, []byte("behind the bomb"))...)
	if _, err := bad.client.Write(wire); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		msg := []byte(fmt.Sprint("good ", i))
		good.sendCompressed(t, ws.OpText, msg, 1<<20)
		if _, got, _ := good.read(t); !bytes.Equal(got, msg) {
			t.Fatalf("good connection: echo %q, want %q", got, msg)
		}
	}
	if code, _, _ := readClose(t, bad.client); code != 1009 {
		t.Errorf("bomb: close %d, want 1009", code)
	}
	errs := h.wait("error", badID, 1, ioWait)
	if !errors.Is(errs[0].err, api.ErrMessageTooBig) {
		t.Errorf("bomb: error event %+v", errs[0])
	}
	if got := h.records("data", badID); len(got) != 0 {
		t.Errorf("bomb connection delivered %d messages", len(got))
	}
	if n := h.srv.Metrics().InflatedOffLoop; n != 1 {
		t.Errorf("InflatedOffLoop = %d, want 1", n)
	}
}

// Clients that close while their message is on a worker: the worker's
// result finds the connection gone and drops it (run with -race: the
// Inflater must not be touched by the loop meanwhile).
func TestDeflateOffLoopCloseDuring(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, Compression: api.Compression{Enabled: true, InflateWorkers: 1}}, hooks{data: echo})
	msg := make([]byte, 4<<20)
	var wire []byte // the same bytes every time: no client context takeover
	for range 10 {
		d := dialDeflate(t, h)
		if wire == nil {
			wire = compressedFrame(t, d.out, ws.OpBinary, msg)
		}
		if _, err := d.client.Write(wire); err != nil {
			t.Fatal(err)
		}
		_ = d.client.Close()
	}
	deadline := time.Now().Add(ioWait)
	for h.srv.Metrics().Connections > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m := h.srv.Metrics()
	if m.Connections != 0 || m.Panics != 0 {
		t.Fatalf("after the closes: %d connections, %d panics", m.Connections, m.Panics)
	}
	if m.InflatedOffLoop == 0 {
		t.Errorf("no message went to a worker")
	}
	// The server still works, workers included.
	d := dialDeflate(t, h)
	d.sendCompressed(t, ws.OpBinary, msg[:1<<20], 1<<20)
	if _, got, _ := d.read(t); len(got) != 1<<20 {
		t.Fatalf("echo %d bytes", len(got))
	}
}
