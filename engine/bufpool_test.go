package engine

import (
	"testing"

	"github.com/valyala/bytebufferpool"
)

// The pool keeps a 64 KiB buffer however many small ones it was given
// before: bytebufferpool's calibration dropped every buffer above the 95th
// percentile of the sizes it had seen. (sync.Pool drops some items on
// purpose under -race, so the bound leaves room for that.)
func TestBufPoolKeepsLargeAfterSmall(t *testing.T) {
	const large = 64 << 10
	small := make([]byte, 64)
	for range 100000 { // more than bytebufferpool's 42,000 calibration threshold
		b := getBuf()
		b.B = append(b.B, small...)
		putBuf(b)
	}
	big := make([]byte, large)
	round := func() {
		b := getBuf()
		b.B = append(b.B, big...)
		putBuf(b)
	}
	round()
	if n := testing.AllocsPerRun(1000, round); n > 0.6 {
		t.Fatalf("%.2f allocations per 64 KiB buffer after many small ones, want the pooled one reused", n)
	}
}

// Buffers above dropBufferAbove are not kept, and every buffer comes back
// empty.
func TestPutBufDropsHuge(t *testing.T) {
	b := &bytebufferpool.ByteBuffer{B: make([]byte, 10, dropBufferAbove+1)}
	putBuf(b)
	if b.B != nil {
		t.Fatalf("a %d-byte buffer was kept (cap %d)", dropBufferAbove+1, cap(b.B))
	}
	b = &bytebufferpool.ByteBuffer{B: make([]byte, 10, 100)}
	putBuf(b)
	if len(b.B) != 0 || cap(b.B) != 100 {
		t.Fatalf("pooled buffer len %d cap %d, want 0 and 100", len(b.B), cap(b.B))
	}
	putBuf(nil) // allowed
}
