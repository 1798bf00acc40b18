package engine

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// A message larger than a loop's read buffer arrives over several reads
// and is still delivered whole; one that fits the default buffer (64 KiB
// plus its header) is echoed the same.
func TestReadBufferSizes(t *testing.T) {
	for _, tc := range []struct {
		readBuf, size int
	}{
		{4096, 100 << 10},    // many reads per message
		{0, 64 << 10},        // the default: one read when the bytes are there
		{0, 600 << 10},       // larger than the default buffer
		{128 << 10, 1 << 10}, // small messages, custom size
	} {
		t.Run(strconv.Itoa(tc.readBuf)+"/"+strconv.Itoa(tc.size), func(t *testing.T) {
			e, _ := startEngine(t, Options{NumLoops: 1, BufferMessage: true, ReadBufferSize: tc.readBuf}, true)
			want := tc.readBuf
			if want == 0 {
				want = DefaultReadBufferSize
			}
			if e.opts.ReadBufferSize != want {
				t.Fatalf("ReadBufferSize %d, want %d", e.opts.ReadBufferSize, want)
			}
			c, br := rawUpgrade(t, "127.0.0.1:"+strconv.Itoa(e.Port()), nil)
			defer c.Close()
			payload := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
			frame := ws.MustCompileFrame(ws.MaskFrameInPlace(ws.NewBinaryFrame(bytes.Clone(payload))))
			if _, err := c.Write(frame); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			h, err := ws.ReadHeader(br)
			if err != nil {
				t.Fatal(err)
			}
			if !h.Fin || h.OpCode != ws.OpBinary || h.Length != int64(len(payload)) {
				t.Fatalf("echo header %+v, want one final binary frame of %d bytes", h, len(payload))
			}
			got := make([]byte, h.Length)
			if _, err := io.ReadFull(br, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatal("echoed payload differs")
			}
		})
	}
}
