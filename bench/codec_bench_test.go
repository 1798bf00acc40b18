package bench_test

// Frame reading and writing micro-benchmarks: wsloop's codec against
// gobwas/ws (ReadHeader + Cipher) and gorilla/websocket (its Conn over an
// in-memory connection). Every reader consumes the same endless stream of
// masked binary frames, copied from memory in 32 KiB reads, so the copy
// cost is the same for all three; one op is one message.
//
//	go test -run '^$' -bench . -benchmem

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"

	"github.com/wsloop/wsloop/codec"
)

const framesPerStream = 64

var frameSizes = []struct {
	name string
	size int
}{
	{name: "1KiB", size: 1 << 10},
	{name: "16KiB", size: 16 << 10},
}

// maskedStream returns framesPerStream masked binary frames of size bytes.
func maskedStream(size int) []byte {
	payload := bytes.Repeat([]byte{0x5a}, size)
	var s []byte
	for i := 0; i < framesPerStream; i++ {
		s = codec.AppendClientFrame(s, codec.OpBinary, true, false, [4]byte{1, 2, 3, byte(i)}, payload)
	}
	return s
}

// loopReader repeats a stream forever.
type loopReader struct {
	s   []byte
	pos int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.s[r.pos:])
	r.pos = (r.pos + n) % len(r.s)
	return n, nil
}

// memConn is a net.Conn that reads a repeating stream and discards writes.
type memConn struct{ r loopReader }

func (c *memConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
func (c *memConn) hijack() (net.Conn, *bufio.ReadWriter, error) {
	return c, bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c)), nil
}

// hijackWriter is the http.ResponseWriter gorilla's Upgrader hijacks.
type hijackWriter struct {
	http.ResponseWriter
	c *memConn
}

func (w hijackWriter) Header() http.Header                          { return http.Header{} }
func (w hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.c.hijack() }
func (w hijackWriter) WriteHeader(int)                              {}
func (w hijackWriter) Write(p []byte) (int, error)                  { return len(p), nil }

// gorillaConn upgrades a memConn with gorilla's server-side Upgrader.
func gorillaConn(tb testing.TB, stream []byte) *websocket.Conn {
	tb.Helper()
	mc := &memConn{r: loopReader{s: stream}}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	up := websocket.Upgrader{ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10}
	c, err := up.Upgrade(hijackWriter{c: mc}, req, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func BenchmarkReadFrame(b *testing.B) {
	for _, fs := range frameSizes {
		stream := maskedStream(fs.size)
		b.Run("wsloop/"+fs.name, func(b *testing.B) { benchReadCodec(b, stream, fs.size) })
		b.Run("gobwas/"+fs.name, func(b *testing.B) { benchReadGobwas(b, stream, fs.size) })
		b.Run("gorilla/"+fs.name, func(b *testing.B) { benchReadGorilla(b, stream, fs.size) })
	}
}

func benchReadCodec(b *testing.B, stream []byte, size int) {
	src := &loopReader{s: stream}
	buf := make([]byte, 32<<10)
	var d codec.Decoder
	d.Reset(codec.DecoderLimits{MaxMessageSize: 1 << 20})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	msgs, got := 0, 0
	for msgs < b.N {
		n, _ := src.Read(buf)
		p := buf[:n]
		for len(p) > 0 {
			ev, used, err := d.Next(p)
			if err != nil {
				b.Fatal(err)
			}
			p = p[used:]
			if ev.Kind == codec.EventData {
				got += len(ev.Payload)
				if ev.MessageEnd {
					msgs++
				}
			}
		}
	}
	if got < b.N*size {
		b.Fatalf("decoded %d bytes, want at least %d", got, b.N*size)
	}
}

func benchReadGobwas(b *testing.B, stream []byte, size int) {
	br := bufio.NewReaderSize(&loopReader{s: stream}, 32<<10)
	payload := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := ws.ReadHeader(br)
		if err != nil {
			b.Fatal(err)
		}
		if h.Length != int64(size) || !h.Masked {
			b.Fatalf("header %+v", h)
		}
		if _, err := io.ReadFull(br, payload); err != nil {
			b.Fatal(err)
		}
		ws.Cipher(payload, h.Mask, 0)
	}
	if payload[0] != 0x5a {
		b.Fatalf("unmasked byte %#x", payload[0])
	}
}

func benchReadGorilla(b *testing.B, stream []byte, size int) {
	c := gorillaConn(b, stream)
	payload := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		typ, r, err := c.NextReader()
		if err != nil {
			b.Fatal(err)
		}
		if typ != websocket.BinaryMessage {
			b.Fatalf("type %d", typ)
		}
		if _, err := io.ReadFull(r, payload); err != nil {
			b.Fatal(err)
		}
	}
	if payload[0] != 0x5a {
		b.Fatalf("unmasked byte %#x", payload[0])
	}
}

func BenchmarkWriteFrame(b *testing.B) {
	for _, fs := range frameSizes {
		payload := bytes.Repeat([]byte{0xa5}, fs.size)
		b.Run("wsloop/"+fs.name, func(b *testing.B) {
			dst := make([]byte, 0, fs.size+16)
			b.SetBytes(int64(fs.size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dst = codec.AppendFrame(dst[:0], codec.OpBinary, true, payload)
			}
			if len(dst) != fs.size+codec.HeaderLen(fs.size) {
				b.Fatalf("frame of %d bytes", len(dst))
			}
		})
		b.Run("gobwas/"+fs.name, func(b *testing.B) {
			var out bytes.Buffer
			out.Grow(fs.size + 16)
			b.SetBytes(int64(fs.size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out.Reset()
				if err := ws.WriteHeader(&out, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(len(payload))}); err != nil {
					b.Fatal(err)
				}
				out.Write(payload)
			}
			if out.Len() != fs.size+codec.HeaderLen(fs.size) {
				b.Fatalf("frame of %d bytes", out.Len())
			}
		})
		b.Run("gorilla/"+fs.name, func(b *testing.B) {
			c := gorillaConn(b, maskedStream(16))
			b.SetBytes(int64(fs.size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := c.WriteMessage(websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCodecAgreesWithGobwas checks the benchmark's inputs and outputs: the
// codec decodes the masked stream to the original payloads, and its frames
// are the bytes gobwas writes.
func TestCodecAgreesWithGobwas(t *testing.T) {
	for _, fs := range frameSizes {
		stream := maskedStream(fs.size)
		var d codec.Decoder
		d.Reset(codec.DecoderLimits{})
		msgs, p := 0, append([]byte(nil), stream...)
		for len(p) > 0 {
			ev, n, err := d.Next(p)
			if err != nil {
				t.Fatal(err)
			}
			p = p[n:]
			if ev.Kind == codec.EventData && !bytes.Equal(ev.Payload, bytes.Repeat([]byte{0x5a}, len(ev.Payload))) {
				t.Fatalf("%s: payload not unmasked", fs.name)
			}
			if ev.MessageEnd {
				msgs++
			}
		}
		if msgs != framesPerStream {
			t.Errorf("%s: %d messages, want %d", fs.name, msgs, framesPerStream)
		}
		payload := bytes.Repeat([]byte{0xa5}, fs.size)
		var gb bytes.Buffer
		_ = ws.WriteHeader(&gb, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(fs.size)})
		gb.Write(payload)
		if !bytes.Equal(codec.AppendFrame(nil, codec.OpBinary, true, payload), gb.Bytes()) {
			t.Errorf("%s: codec frame differs from gobwas's", fs.name)
		}
	}
}
