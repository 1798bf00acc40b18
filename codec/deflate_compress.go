package codec

import (
	"errors"
	"sync"

	"github.com/klauspost/compress/flate"
)

// pmdTail is the empty stored block that ends every sync flush; RFC 7692
// section 7.2.1 removes it from the wire.
const pmdTail = "\x00\x00\xff\xff"

// Deflater compresses outgoing messages of one connection (RFC 7692 section
// 7.2.1). The byte format is symmetric, so tests of other packages may use a
// Deflater to play the client too: build it with the client's parameters
// swapped (ServerNoContextTakeover = the client's no-takeover flag,
// ServerMaxWindowBits = the client's window) and mask the frames yourself.
//
// Memory: a klauspost flate writer weighs about 0.8-1.4 MB (level 1 ~0.8 MB,
// levels 2-9 ~1.0-1.4 MB). Writers are pooled per level and window.
//   - With ServerNoContextTakeover a writer is taken from the pool for each
//     Compress and returned at once: an idle Deflater holds only its own
//     struct (unsafe.Sizeof(Deflater{}) = 40 bytes on 64-bit).
//   - With context takeover the Deflater keeps a copy of the last
//     2^ServerMaxWindowBits bytes it compressed (256 B .. 32 KiB, allocated on
//     the first Compress) and holds a pooled writer between Compress calls
//     until Park or Release. Park returns the writer to the pool; the next
//     Compress re-primes a pooled writer from the kept window, which costs
//     roughly one compression pass over that window (measured 15-25 µs
//     extra per message for a 32 KiB window at level 1 on the 2-core dev VM). Call Park when a burst of sends is over (for example at
//     the end of a loop callback) so idle connections cost only the window.
//
// A Deflater is not safe for concurrent use. The zero value is not usable:
// create one with NewDeflater or Init.
type Deflater struct {
	w        *pmdWriter // held writer (context takeover only), nil when parked
	hist     []byte     // context takeover: last 2^bits bytes of input
	pool     uint8      // index into pmdWriterPools
	bits     uint8      // window bits 8..15
	takeover bool
	broken   bool
}

// pmdSink is the io.Writer the flate writer appends to.
type pmdSink struct{ buf []byte }

func (s *pmdSink) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// pmdWriter is a pooled flate writer with its sink.
type pmdWriter struct {
	fw   *flate.Writer
	sink pmdSink
}

// pmdWriterPools: index 1..9 = level with a 15-bit window; 10+bits-8 for
// custom windows of 8..14 bits.
var pmdWriterPools [17]sync.Pool

// errPMDInternal reports a flate writer that did not end with a sync flush;
// it should never happen.
var errPMDInternal = errors.New("wsloop: permessage-deflate: unexpected compressor output")

// NewDeflater returns a Deflater for the negotiated parameters p compressing
// at the given flate level (1..9; anything else = DefaultDeflateLevel; see
// DeflateConfig.Level). It is Init on a new value.
func NewDeflater(p DeflateParams, level int) *Deflater {
	d := new(Deflater)
	d.Init(p, level)
	return d
}

// Init (re)initialises d in place, for embedding a Deflater in a
// connection struct without a separate allocation. It releases any state
// d held.
func (d *Deflater) Init(p DeflateParams, level int) {
	d.Release()
	bits := pmdBits(p.ServerMaxWindowBits)
	if level < 1 || level > 9 {
		level = DefaultDeflateLevel
	}
	*d = Deflater{bits: uint8(bits), takeover: !p.ServerNoContextTakeover}
	if bits == 15 {
		d.pool = uint8(level)
	} else {
		d.pool = uint8(10 + bits - 8)
	}
}

// pmdGetWriter takes a writer from pool i, primed with dict.
func pmdGetWriter(i uint8, bits uint8, dict []byte) *pmdWriter {
	w, _ := pmdWriterPools[i].Get().(*pmdWriter)
	if w == nil {
		w = new(pmdWriter)
		var err error
		if i <= 9 {
			w.fw, err = flate.NewWriter(&w.sink, int(i))
		} else {
			w.fw, err = flate.NewWriterWindow(&w.sink, 1<<bits)
		}
		if err != nil { // unreachable: level and window are validated
			panic(err)
		}
	}
	// ResetDict also clears any dictionary a previous user left behind.
	w.fw.ResetDict(&w.sink, dict)
	return w
}

func pmdPutWriter(i uint8, w *pmdWriter) {
	w.sink.buf = nil
	pmdWriterPools[i].Put(w)
}

// Compress appends the compressed form of one whole message payload to dst,
// without the trailing 00 00 ff ff (RFC 7692 section 7.2.1), and returns
// the extended slice. The result is sent with RSV1 set. An empty payload
// gives the single byte 0x00. With enough capacity in dst Compress does not
// allocate in steady state. After an error the Deflater is unusable
// (the connection must be failed).
func (d *Deflater) Compress(dst, payload []byte) ([]byte, error) {
	if d.bits == 0 || d.broken {
		return dst, errPMDInternal
	}
	start := len(dst)
	w := d.w
	if w == nil {
		var dict []byte
		if d.takeover {
			dict = d.hist
		}
		w = pmdGetWriter(d.pool, d.bits, dict)
	}
	w.sink.buf = dst
	_, err := w.fw.Write(payload)
	if err == nil {
		err = w.fw.Flush()
	}
	out := w.sink.buf
	w.sink.buf = nil
	if err == nil && (len(out)-start < len(pmdTail) || string(out[len(out)-len(pmdTail):]) != pmdTail) {
		err = errPMDInternal
	}
	if err != nil {
		d.broken = true
		d.w = nil
		pmdPutWriter(d.pool, w) // the next user resets it
		return dst, err
	}
	if d.takeover {
		d.w = w
		d.remember(payload)
	} else {
		pmdPutWriter(d.pool, w)
	}
	return out[:len(out)-len(pmdTail)], nil
}

// remember appends payload to the kept window, keeping its last 2^bits bytes.
func (d *Deflater) remember(payload []byte) {
	win := 1 << d.bits
	if d.hist == nil {
		d.hist = make([]byte, 0, win)
	}
	d.hist = pmdSlide(d.hist, payload, win)
}

// pmdSlide appends p to h and keeps only the last win bytes, in place
// (cap(h) must be at least win).
func pmdSlide(h, p []byte, win int) []byte {
	if len(p) >= win {
		h = h[:win]
		copy(h, p[len(p)-win:])
		return h
	}
	if over := len(h) + len(p) - win; over > 0 {
		n := copy(h, h[over:])
		h = h[:n]
	}
	return append(h, p...)
}

// Park returns a writer held for context takeover to the pool, keeping only
// the 2^ServerMaxWindowBits-byte window; the Deflater stays usable. It does
// nothing without context takeover.
func (d *Deflater) Park() {
	if d.w != nil {
		pmdPutWriter(d.pool, d.w)
		d.w = nil
	}
}

// Release returns all pooled state and drops the window (connection
// closed). The Deflater must be re-initialised with Init before reuse.
func (d *Deflater) Release() {
	d.Park()
	d.hist = nil
	d.bits = 0
}

// Holding reports whether d currently holds a pooled writer (context
// takeover between Compress and Park).
func (d *Deflater) Holding() bool { return d.w != nil }
