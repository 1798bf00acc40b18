package api_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

func writeTempFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// SendFile of 5 MiB arrives as one binary message, in several fragments,
// equal to the file.
func TestSendFile(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	path, data := writeTempFile(t, 5<<20)
	errc := make(chan error, 1)
	go func() { errc <- h.srv.SendFile(id, path) }()
	var got []byte
	frames := 0
	for {
		f := readFrame(t, c)
		want := ws.OpContinuation
		if frames == 0 {
			want = ws.OpBinary
		}
		if f.Header.OpCode != want {
			t.Fatalf("frame %d opcode %v, want %v", frames, f.Header.OpCode, want)
		}
		frames++
		got = append(got, f.Payload...)
		if f.Header.Fin {
			break
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("SendFile: %v", err)
	}
	if !bytes.Equal(got, data) || frames < 2 {
		t.Fatalf("got %d bytes in %d frames, equal=%v", len(got), frames, bytes.Equal(got, data))
	}
	// A message sent afterwards is a new, whole message.
	if err := h.srv.SendText(id, "after"); err != nil {
		t.Fatal(err)
	}
	if op, m := readMessage(t, c); op != ws.OpText || string(m) != "after" {
		t.Errorf("after SendFile: %v %q", op, m)
	}
	// An empty file is one empty binary message; a missing file an error.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.SendFile(id, empty); err != nil {
		t.Fatal(err)
	}
	if op, m := readMessage(t, c); op != ws.OpBinary || len(m) != 0 {
		t.Errorf("empty file: %v %d bytes", op, len(m))
	}
	if err := h.srv.SendFile(id, filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// With a client that reads slowly, SendFile waits for room: the bytes
// queued for the connection stay bounded by the outbound limit.
func TestSendFileSlowReaderBounded(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	h := start(t, api.Config{MaxOutboundQueue: limit, OutBufferSize: 32 << 10}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	path, data := writeTempFile(t, 5<<20)
	errc := make(chan error, 1)
	go func() { errc <- h.srv.SendFile(id, path) }()
	var maxQueued atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if info, ok := h.srv.Connection(id); ok && int64(info.QueuedBytes) > maxQueued.Load() {
				maxQueued.Store(int64(info.QueuedBytes))
			}
		}
	}()
	var got []byte
	buf := make([]byte, 64<<10)
	// The payload plus at most 14 header bytes per 64 KiB fragment.
	for len(got) < len(data)+14*(len(data)/(64<<10)+1) {
		time.Sleep(2 * time.Millisecond) // slow reader: about 32 MB/s at most
		_ = c.SetReadDeadline(time.Now().Add(ioWait))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
		if len(got) >= len(data) {
			// Stop once the final fragment was read whole.
			if msg, ok := joinFrames(got); ok {
				got = msg
				break
			}
		}
	}
	close(stop)
	if err := <-errc; err != nil {
		t.Fatalf("SendFile: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("file mismatch: %d bytes", len(got))
	}
	// One 64 KiB piece (plus its header) may be appended while just under the limit.
	if m := maxQueued.Load(); m > limit+(64<<10)+16 || m == 0 {
		t.Errorf("max queued %d bytes, limit %d", m, limit)
	}
}

// joinFrames parses server frames from wire and returns the payload of the
// message if it is complete.
func joinFrames(wire []byte) ([]byte, bool) {
	var out []byte
	for len(wire) > 0 {
		r := bytes.NewReader(wire)
		hdr, err := ws.ReadHeader(r)
		if err != nil {
			return nil, false
		}
		hl := len(wire) - r.Len()
		if int64(len(wire)-hl) < hdr.Length {
			return nil, false
		}
		out = append(out, wire[hl:hl+int(hdr.Length)]...)
		wire = wire[hl+int(hdr.Length):]
		if hdr.Fin {
			return out, len(wire) == 0
		}
	}
	return nil, false
}

// Interrupt aborts a SendFile waiting for room.
func TestSendFileInterrupt(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{}), hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	path, _ := writeTempFile(t, 4<<20)
	errc := make(chan error, 1)
	go func() { errc <- h.srv.SendFile(id, path) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case err := <-errc:
			if !errors.Is(err, api.ErrInterrupted) {
				t.Fatalf("SendFile: %v, want ErrInterrupted", err)
			}
			return
		case <-tick.C:
			_ = h.srv.Interrupt(id)
		case <-deadline:
			t.Fatal("SendFile not interrupted")
		}
	}
}
