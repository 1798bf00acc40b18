package engine

import (
	"sync"

	"github.com/valyala/bytebufferpool"
)

// bufs pools the engine's message, outbound and scratch buffers.
//
// It is a plain sync.Pool rather than bytebufferpool's calibrating pool:
// that pool counts the sizes it is given and, every 42,000 returns of one
// size class, stops keeping buffers above the 95th percentile of them. A
// server whose traffic is mostly small messages then drops (and allocates
// again) the buffer of every larger message: after 64 B echoes, a 1 KiB
// echo cost 3 allocations, and 16 and 64 KiB echoes 2 and 3 (105 KB), in
// BenchmarkEchoRoundTrip. The engine bounds what its pool keeps itself:
// putBuf leaves buffers above dropBufferAbove to the garbage collector,
// and sync.Pool lets the collector take idle buffers back.
var bufs = sync.Pool{New: func() any { return new(bytebufferpool.ByteBuffer) }}

// getBuf returns an empty buffer from the pool.
func getBuf() *bytebufferpool.ByteBuffer {
	return bufs.Get().(*bytebufferpool.ByteBuffer)
}

// putBuf returns b to the pool, emptied, but leaves a buffer larger than
// dropBufferAbove to the garbage collector: the pool would keep a few
// large messages' worth of memory alive for good. b may be nil.
func putBuf(b *bytebufferpool.ByteBuffer) {
	if b == nil {
		return
	}
	if cap(b.B) > dropBufferAbove {
		b.B = nil
	}
	b.B = b.B[:0]
	bufs.Put(b)
}
