package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net"
	"runtime/debug"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// budgetOpts is a 1 MiB budget: requests for large messages may fill
// 960 KiB of it.
func budgetOpts() Options {
	return Options{BufferMessage: true, MaxBufferedBytes: 1 << 20, MaxOutbound: 4 << 20}
}

// frameParts returns a masked binary frame of n bytes (fin or not, op or
// continuation) split into its header with the first k payload bytes, and
// the rest.
func frameParts(op ws.OpCode, fin bool, n, k int, fill byte) (head, rest []byte) {
	f := ws.NewFrame(op, fin, bytes.Repeat([]byte{fill}, n))
	b := ws.MustCompileFrame(ws.MaskFrameInPlace(f))
	h := len(b) - n
	return b[:h+k], b[h+k:]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readEcho reads one whole data message (or fails on a close).
func readEcho(t *testing.T, c net.Conn, br *bufio.Reader) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := ws.ReadFrame(br)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if f.Header.OpCode == ws.OpClose {
		t.Fatalf("closed with %d %q", binary.BigEndian.Uint16(f.Payload), f.Payload[2:])
	}
	return f.Payload
}

// readCloseCode reads frames until a close frame and returns its code.
func readCloseCode(t *testing.T, c net.Conn, br *bufio.Reader) uint16 {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(br)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if f.Header.OpCode == ws.OpClose && len(f.Payload) >= 2 {
			return binary.BigEndian.Uint16(f.Payload)
		}
	}
}

func write(t *testing.T, c net.Conn, p []byte) {
	t.Helper()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(p); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// A large sender waits while the budget is held, a small-message client
// keeps working (whole and split messages), and the waiter completes once
// the holder's message is done.
func TestBudgetWaitsThenGrants(t *testing.T) {
	t.Parallel()
	e, _ := startEngine(t, budgetOpts(), true)
	addr := "127.0.0.1:" + itoa(e.Port())
	a, abr := rawUpgrade(t, addr, nil)
	b, bbr := rawUpgrade(t, addr, nil)
	s, sbr := rawUpgrade(t, addr, nil)

	const big = 900 << 10
	aHead, aRest := frameParts(ws.OpBinary, true, big, 100<<10, 'a')
	write(t, a, aHead)
	waitFor(t, "A's reservation", func() bool { return e.BudgetInUse() >= big })
	bHead, bRest := frameParts(ws.OpBinary, true, big, 10<<10, 'b')
	write(t, b, bHead)
	waitFor(t, "B to wait", func() bool { return e.BudgetWaiting() == 1 })

	// Small messages pass: whole, and split across two writes.
	for i := range 20 {
		msg := bytes.Repeat([]byte{byte('0' + i%10)}, 1000)
		f := ws.MustCompileFrame(ws.MaskFrameInPlace(ws.NewFrame(ws.OpBinary, true, bytes.Clone(msg))))
		if i%2 == 0 {
			write(t, s, f)
		} else {
			write(t, s, f[:300])
			time.Sleep(time.Millisecond)
			write(t, s, f[300:])
		}
		if got := readEcho(t, s, sbr); !bytes.Equal(got, msg) {
			t.Fatalf("small message %d: echo of %d bytes", i, len(got))
		}
	}
	if e.BudgetWaiting() != 1 {
		t.Fatalf("BudgetWaiting %d while A holds the budget, want 1", e.BudgetWaiting())
	}

	write(t, a, aRest)
	if got := readEcho(t, a, abr); len(got) != big {
		t.Fatalf("A's echo: %d bytes", len(got))
	}
	write(t, b, bRest)
	if got := readEcho(t, b, bbr); len(got) != big || got[0] != 'b' {
		t.Fatalf("B's echo: %d bytes", len(got))
	}
	waitFor(t, "the budget to empty", func() bool { return e.BudgetInUse() == 0 && e.BudgetWaiting() == 0 })
	if n := e.Metrics().BudgetCloses.Load(); n != 0 {
		t.Errorf("BudgetCloses %d, want 0", n)
	}
}

// A waiter that is not granted within BufferWait is closed with 1013, and
// so is one that keeps sending past MaxPausedBytes; the holder completes.
func TestBudgetCloses1013(t *testing.T) {
	t.Parallel()
	o := budgetOpts()
	o.BufferWait = 300 * time.Millisecond
	o.MaxPausedBytes = 64 << 10
	e, _ := startEngine(t, o, true)
	addr := "127.0.0.1:" + itoa(e.Port())
	a, abr := rawUpgrade(t, addr, nil)
	const big = 900 << 10
	aHead, aRest := frameParts(ws.OpBinary, true, big, 100<<10, 'a')
	write(t, a, aHead)
	waitFor(t, "A's reservation", func() bool { return e.BudgetInUse() >= big })

	// B sends a little and stops: closed when BufferWait passes.
	b, bbr := rawUpgrade(t, addr, nil)
	bHead, _ := frameParts(ws.OpBinary, true, big, 10<<10, 'b')
	write(t, b, bHead)
	if code := readCloseCode(t, b, bbr); code != codec.CloseTryAgainLater {
		t.Fatalf("B closed with %d, want 1013", code)
	}

	// C sends its whole message at once: its stalled input passes
	// MaxPausedBytes long before BufferWait.
	c, cbr := rawUpgrade(t, addr, nil)
	cHead, cRest := frameParts(ws.OpBinary, true, big, 10<<10, 'c')
	write(t, c, cHead)
	go func() { _, _ = c.Write(cRest) }() // may fail once the server closes
	if code := readCloseCode(t, c, cbr); code != codec.CloseTryAgainLater {
		t.Fatalf("C closed with %d, want 1013", code)
	}

	write(t, a, aRest)
	if got := readEcho(t, a, abr); len(got) != big {
		t.Fatalf("A's echo: %d bytes", len(got))
	}
	if n := e.Metrics().BudgetCloses.Load(); n != 2 {
		t.Errorf("BudgetCloses %d, want 2", n)
	}
	waitFor(t, "the budget to empty", func() bool { return e.BudgetInUse() == 0 && e.BudgetWaiting() == 0 })
}

// Two fragmented messages each hold part of the budget and both need more
// than is left for their last frames: one finishes past the limit, then
// the other, instead of both waiting for each other.
func TestBudgetHoldersFinish(t *testing.T) {
	t.Parallel()
	e, _ := startEngine(t, budgetOpts(), true)
	addr := "127.0.0.1:" + itoa(e.Port())
	const part = 400 << 10
	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	var cs []client
	for i := range 2 {
		c, br := rawUpgrade(t, addr, nil)
		cs = append(cs, client{c, br})
		first, rest := frameParts(ws.OpBinary, false, part, part, byte('x'+i))
		write(t, c, append(first, rest...))
	}
	waitFor(t, "both first frames", func() bool { return e.BudgetInUse() >= 2*part })
	for i, cl := range cs {
		last, rest := frameParts(ws.OpContinuation, true, part, part, byte('x'+i))
		write(t, cl.c, append(last, rest...))
	}
	for i, cl := range cs {
		if got := readEcho(t, cl.c, cl.br); len(got) != 2*part || got[0] != byte('x'+i) {
			t.Fatalf("client %d: echo of %d bytes", i, len(got))
		}
	}
	waitFor(t, "the budget to empty", func() bool { return e.BudgetInUse() == 0 && e.BudgetWaiting() == 0 })
}

// The default budget is a quarter of GOMEMLIMIT when one is set.
func TestDefaultBudget(t *testing.T) {
	if got := defaultBudget(); got != DefaultMaxBufferedBytes {
		t.Fatalf("without GOMEMLIMIT: %d", got)
	}
	old := debugSetMemoryLimit(1 << 30)
	defer debugSetMemoryLimit(old)
	if got := defaultBudget(); got != 256<<20 {
		t.Fatalf("with GOMEMLIMIT 1 GiB: %d, want 256 MiB", got)
	}
}

func debugSetMemoryLimit(n int64) int64 { return debug.SetMemoryLimit(n) }

// A message of many small fragments reserves (and copies its buffer) a
// logarithmic number of times, not once per frame: 4 MiB in 64-byte
// fragments (RFC 6455 conformance case 9.3.1) must be echoed promptly.
func TestBudgetManyFragments(t *testing.T) {
	t.Parallel()
	o := budgetOpts()
	o.MaxBufferedBytes = 64 << 20
	e, _ := startEngine(t, o, true)
	c, br := rawUpgrade(t, "127.0.0.1:"+itoa(e.Port()), nil)
	const total, frag = 4 << 20, 64
	var b []byte
	for i := 0; i < total; i += frag {
		op := ws.OpContinuation
		if i == 0 {
			op = ws.OpBinary
		}
		b = append(b, ws.MustCompileFrame(ws.MaskFrameInPlace(ws.NewFrame(op, i+frag == total, make([]byte, frag))))...)
	}
	go func() { _, _ = c.Write(b) }()
	if got := readEcho(t, c, br); len(got) != total {
		t.Fatalf("echo of %d bytes, want %d", len(got), total)
	}
	waitFor(t, "the budget to empty", func() bool { return e.BudgetInUse() == 0 })
}

// BenchmarkBudgetReserve measures the budget's cost per stored message: one
// reservation and its release (uncontended; two loops would share the
// lock).
func BenchmarkBudgetReserve(b *testing.B) {
	o := Options{MaxBufferedBytes: 1 << 30}
	bud := newBudget(&o)
	c := &Conn{}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := bud.reserve(c, 4096, false, true, false); !ok {
			b.Fatal("refused")
		}
		bud.messageDone(c, 4096)
	}
}
