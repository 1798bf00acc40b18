package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/codec"
)

// deflateClient speaks permessage-deflate from the client side, using the
// codec's compressor and decompressor in the mirrored roles, with or
// without context takeover as negotiated.
type deflateClient struct {
	*client
	params wsflate.Parameters
	out    *codec.Deflater // compresses client messages
	in     *codec.Inflater // inflates server messages
}

func dialDeflate(t *testing.T, h *harness) *deflateClient {
	t.Helper()
	c := h.dial(t, "/", dialOpts{extensions: []httphead.Option{wsflate.Parameters{}.Option()}})
	if len(c.hs.Extensions) != 1 {
		t.Fatalf("extensions %v, want permessage-deflate accepted", c.hs.Extensions)
	}
	var p wsflate.Parameters
	if err := p.Parse(c.hs.Extensions[0]); err != nil {
		t.Fatalf("parse %s: %v", c.hs.Extensions[0], err)
	}
	return &deflateClient{
		client: c,
		params: p,
		// The client's compressor is the "server" role of the codec's
		// types and vice versa.
		out: codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: p.ClientNoContextTakeover, ServerMaxWindowBits: 15}, 6),
		in:  codec.NewInflater(codec.DeflateParams{ClientNoContextTakeover: p.ServerNoContextTakeover, ClientMaxWindowBits: 15}),
	}
}

// sendCompressed sends p compressed, in frames of at most frag bytes.
func (d *deflateClient) sendCompressed(t *testing.T, op ws.OpCode, p []byte, frag int) {
	t.Helper()
	z, err := d.out.Compress(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	first := true
	for {
		n := min(len(z), frag)
		f := ws.NewFrame(op, n == len(z), append([]byte(nil), z[:n]...))
		if first {
			f.Header.Rsv = ws.Rsv(true, false, false)
		} else {
			f.Header.OpCode = ws.OpContinuation
		}
		if err := writeFrame(d.client, f); err != nil {
			t.Fatal(err)
		}
		z, first = z[n:], false
		if len(z) == 0 {
			return
		}
	}
}

// read reads one message, inflating it when RSV1 is set.
func (d *deflateClient) read(t *testing.T) (op ws.OpCode, msg []byte, compressed bool) {
	t.Helper()
	f := readFrame(t, d.client)
	op, compressed, msg = f.Header.OpCode, f.Header.Rsv1(), f.Payload
	for !f.Header.Fin {
		f = readFrame(t, d.client)
		msg = append(msg, f.Payload...)
	}
	if compressed {
		out, err := d.in.Inflate(nil, msg, 64<<20)
		if err != nil {
			t.Fatalf("inflate server message: %v", err)
		}
		msg = out
	}
	return op, msg, compressed
}

func TestDeflateEcho(t *testing.T) {
	t.Parallel()
	large := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog. "), 100)
	bin := make([]byte, 5000)
	for i := range bin {
		bin[i] = byte(i % 13)
	}
	for _, mode := range []struct{ server, client, buffered bool }{
		{false, false, true}, {true, true, true}, {true, false, false}, {false, true, false},
	} {
		t.Run(fmt.Sprintf("takeover_s%v_c%v_buf%v", mode.server, mode.client, mode.buffered), func(t *testing.T) {
			t.Parallel()
			h := start(t, api.Config{BufferMessage: mode.buffered, MaxFrameSize: 1000, Compression: api.Compression{
				Enabled: true, Threshold: 100, ServerContextTakeover: mode.server, ClientContextTakeover: mode.client,
			}}, hooks{data: echo})
			d := dialDeflate(t, h)
			if d.params.ServerNoContextTakeover == mode.server || d.params.ClientNoContextTakeover == mode.client {
				t.Fatalf("negotiated %+v for config %+v", d.params, mode)
			}
			cases := []struct {
				op       ws.OpCode
				p        []byte
				wantComp bool
			}{
				{ws.OpText, []byte("tiny"), false}, // below the threshold
				{ws.OpText, large, true},
				{ws.OpBinary, bin, true},
				{ws.OpText, large, true}, // again: context takeover must stay in sync
				{ws.OpText, []byte{}, false},
				{ws.OpBinary, large[:99], false},
				{ws.OpBinary, large[:100], true},
			}
			for i, tc := range cases {
				d.sendCompressed(t, tc.op, tc.p, 300) // compressed and fragmented
				op, msg, comp := d.read(t)
				if op != tc.op || !bytes.Equal(msg, tc.p) || comp != tc.wantComp {
					t.Fatalf("case %d: got %v %d bytes compressed=%v, want %v %d bytes compressed=%v",
						i, op, len(msg), comp, tc.op, len(tc.p), tc.wantComp)
				}
			}
			// An uncompressed client message is fine too.
			send(t, d.client, ws.OpText, true, large)
			if _, msg, _ := d.read(t); !bytes.Equal(msg, large) {
				t.Fatalf("uncompressed message echo mismatch")
			}
			id := h.idOf(t, d.client)
			if info, _ := h.srv.Connection(id); info.Extensions == "" {
				t.Errorf("ConnectionInfo.Extensions empty")
			}
			// Every compressed message reached OnDataIn whole.
			for _, r := range h.records("data", id) {
				if !r.eom {
					t.Errorf("compressed message delivered in pieces")
				}
			}
		})
	}
}

// Compression can be turned off per connection, and a client that does
// not offer it gets plain frames.
func TestDeflateRefused(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, Compression: api.Compression{Enabled: true}},
		hooks{data: echo, open: func(e *api.WebSocketOpenRequestEvent) {
			e.DisableCompression = e.RequestURI == "/plain"
		}})
	c := h.dial(t, "/plain", dialOpts{extensions: []httphead.Option{wsflate.Parameters{}.Option()}})
	if len(c.hs.Extensions) != 0 {
		t.Errorf("extensions %v on /plain", c.hs.Extensions)
	}
	big := bytes.Repeat([]byte("a"), 1000)
	send(t, c, ws.OpText, true, big)
	if f := readFrame(t, c); f.Header.Rsv1() || !bytes.Equal(f.Payload, big) {
		t.Errorf("plain echo rsv1=%v", f.Header.Rsv1())
	}
	// RSV1 without negotiation is a protocol error.
	f := ws.NewTextFrame([]byte("x"))
	f.Header.Rsv = ws.Rsv(true, false, false)
	if err := writeFrame(c, f); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := readClose(t, c); code != 1002 {
		t.Errorf("close %d, want 1002", code)
	}
}

// A small compressed message that inflates beyond MaxDecompressedSize is
// refused with 1009; corrupt data with 1007.
func TestDeflateBombAndCorrupt(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, Compression: api.Compression{Enabled: true,
		MaxDecompressedSize: 1 << 20}}, hooks{data: echo})

	d := dialDeflate(t, h)
	id := h.idOf(t, d.client)
	bomb := make([]byte, 64<<20) // 64 MiB of zeros: about 64 KiB compressed
	d.sendCompressed(t, ws.OpBinary, bomb, 1<<20)
	if code, _, _ := readClose(t, d.client); code != 1009 {
		t.Errorf("bomb: close %d, want 1009", code)
	}
	errs := h.wait("error", id, 1, ioWait)
	if !errors.Is(errs[0].err, api.ErrMessageTooBig) || errs[0].code != 1009 {
		t.Errorf("bomb: error event %+v", errs[0])
	}
	if got := h.records("data", id); len(got) != 0 {
		t.Errorf("bomb delivered %d events", len(got))
	}

	d2 := dialDeflate(t, h)
	f := ws.NewBinaryFrame([]byte{0xff, 0xff, 0xff, 0xff, 0x01})
	f.Header.Rsv = ws.Rsv(true, false, false)
	if err := writeFrame(d2.client, f); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := readClose(t, d2.client); code != 1007 {
		t.Errorf("corrupt: close %d, want 1007", code)
	}
	// Compressed text that is not UTF-8 once inflated: 1007.
	d3 := dialDeflate(t, h)
	d3.sendCompressed(t, ws.OpText, bytes.Repeat([]byte{0xff}, 500), 1<<20)
	if code, _, _ := readClose(t, d3.client); code != 1007 {
		t.Errorf("bad utf8: close %d, want 1007", code)
	}
	_ = net.Conn(d3.client)
}
