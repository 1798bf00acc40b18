package codec

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// DefaultInflateLimit is the output limit Inflate uses when given limit <= 0.
const DefaultInflateLimit = DefaultMaxMessageSize

// Permessage-deflate errors, as close codes. Compare with errors.Is.
var (
	// ErrDeflateTooBig: a compressed message inflates beyond the limit (1009).
	ErrDeflateTooBig = &ProtocolError{Code: CloseMessageTooBig, Reason: "decompressed message too big"}
	// ErrDeflateCorrupt: a compressed message is not valid DEFLATE data (1007).
	ErrDeflateCorrupt = &ProtocolError{Code: CloseInvalidPayload, Reason: "invalid compressed data"}
)

// ErrInflateBudget is returned by InflateWithin when a message inflates to
// more than the budget (and the budget is below the limit). It is not a
// protocol error: the Inflater is unchanged, and the same message can be
// inflated again with a larger budget, for example off the event loop.
var ErrInflateBudget = errors.New("wsloop: inflated message exceeds the budget")

// pmdInflateTail is appended to every compressed message: the 00 00 ff ff
// removed by the sender (RFC 7692 section 7.2.2), then an empty final stored
// block so the DEFLATE reader ends with io.EOF instead of waiting for more.
const pmdInflateTail = pmdTail + "\x01\x00\x00\xff\xff"

// pmdInflateTailBytes is pmdInflateTail as a shared read-only slice.
var pmdInflateTailBytes = []byte(pmdInflateTail)

// Inflater decompresses incoming compressed messages (RSV1 set) of one
// connection (RFC 7692 section 7.2.2).
//
// Memory: decompression uses a pooled flate reader (about 40 KB with its
// 32 KiB window and a 4 KiB input buffer) only during Inflate. With
// ClientNoContextTakeover nothing is retained between messages: an idle
// Inflater is its own struct (unsafe.Sizeof(Inflater{}) bytes). With client
// context takeover it keeps the last 2^ClientMaxWindowBits bytes of output
// (256 B .. 32 KiB, allocated on the first message) as the dictionary for
// the next message; back-references beyond it are rejected as corrupt.
//
// An Inflater is not safe for concurrent use. The zero value is not usable:
// create one with NewInflater or Init.
type Inflater struct {
	hist     []byte // context takeover: last 2^bits bytes of output
	bits     uint8
	takeover bool
	broken   bool
}

// pmdSource feeds the flate reader the message parts, then the tail.
type pmdSource struct {
	parts [][]byte
	one   [1][]byte
	cur   []byte
	next  int // index of the next part; len(parts) = tail next; -1 = done
}

func (s *pmdSource) reset(parts [][]byte) {
	s.parts, s.cur, s.next = parts, nil, 0
}

func (s *pmdSource) Read(p []byte) (int, error) {
	for len(s.cur) == 0 {
		switch {
		case s.next < 0:
			return 0, io.EOF
		case s.next < len(s.parts):
			s.cur = s.parts[s.next]
			s.next++
		default:
			s.cur = pmdInflateTailBytes
			s.next = -1
		}
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// pmdReader is a pooled flate reader with its input plumbing.
type pmdReader struct {
	fr      io.ReadCloser // also flate.Resetter and io.WriterTo
	br      *bufio.Reader // gives klauspost's fast bufio decode path
	src     pmdSource
	count   pmdCounter
	scratch [512]byte // probe when dst is full, so exact-size dst never grows
}

// pmdCounter is the io.Writer InflatedSize decompresses into: it counts and
// discards, and fails once past the limit.
type pmdCounter struct{ n, limit int64 }

func (w *pmdCounter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if w.n > w.limit {
		return len(p), ErrDeflateTooBig
	}
	return len(p), nil
}

var pmdReaderPool sync.Pool

// pmdGetReader takes a reader from the pool primed with dict; the caller
// then points r.src at the message.
func pmdGetReader(dict []byte) *pmdReader {
	r, _ := pmdReaderPool.Get().(*pmdReader)
	if r == nil {
		r = new(pmdReader)
		r.br = bufio.NewReaderSize(&r.src, 4096)
		r.fr = flate.NewReaderDict(r.br, dict)
		return r
	}
	r.br.Reset(&r.src)
	_ = r.fr.(flate.Resetter).Reset(r.br, dict) // never fails
	return r
}

func pmdPutReader(r *pmdReader) {
	r.src.reset(nil)
	r.src.one[0] = nil
	pmdReaderPool.Put(r)
}

// NewInflater returns an Inflater for the negotiated parameters p. It is
// Init on a new value.
func NewInflater(p DeflateParams) *Inflater {
	f := new(Inflater)
	f.Init(p)
	return f
}

// Init (re)initialises f in place for parameters p, emptying its window
// (its buffer is reused when the window size is unchanged).
func (f *Inflater) Init(p DeflateParams) {
	bits := pmdBits(p.ClientMaxWindowBits)
	h := f.hist[:0]
	if cap(h) != 1<<bits || p.ClientNoContextTakeover {
		h = nil
	}
	*f = Inflater{hist: h, bits: uint8(bits), takeover: !p.ClientNoContextTakeover}
}

// Inflate decompresses one complete compressed message (the payloads of
// its frames joined; the 00 00 ff ff tail is appended internally) and
// appends the result to dst. The message's output may not exceed limit
// bytes (limit <= 0 means DefaultInflateLimit): beyond it Inflate stops
// after producing at most limit+1 bytes and returns ErrDeflateTooBig
// (1009). Invalid data returns ErrDeflateCorrupt (1007). On error dst is
// returned with its original length and the Inflater is unusable (the
// connection must be failed). Data after a final (BFINAL) block is ignored,
// and an empty compressed payload is accepted as an empty message.
// With enough capacity in dst Inflate does not allocate in steady state;
// otherwise dst grows in steps bounded by the limit.
func (f *Inflater) Inflate(dst, compressed []byte, limit int64) ([]byte, error) {
	return f.inflate(dst, nil, compressed, limit, 0)
}

// InflateWithin is Inflate that gives up once the output passes budget
// bytes (budget <= 0 or >= limit means no budget): it then returns dst
// unchanged and ErrInflateBudget, and leaves the Inflater as it was, so that
// the message can be inflated again where a large output costs less (an
// event loop inflates small messages in place and hands large ones to a
// worker). At most budget+1 bytes are produced before giving up.
func (f *Inflater) InflateWithin(dst, compressed []byte, budget, limit int64) ([]byte, error) {
	return f.inflate(dst, nil, compressed, limit, budget)
}

// InflateParts is Inflate for a message given in pieces (for example the
// payloads of its frames, without joining them).
func (f *Inflater) InflateParts(dst []byte, parts [][]byte, limit int64) ([]byte, error) {
	return f.inflate(dst, parts, nil, limit, 0)
}

func (f *Inflater) inflate(dst []byte, parts [][]byte, one []byte, limit, budget int64) ([]byte, error) {
	if f.bits == 0 || f.broken {
		return dst, ErrDeflateCorrupt
	}
	if limit <= 0 {
		limit = DefaultInflateLimit
	}
	var overErr error = ErrDeflateTooBig
	if budget > 0 && budget < limit {
		// From here on "limit" is where inflating stops; only the error
		// says which bound it was.
		limit, overErr = budget, ErrInflateBudget
	}
	if pmdEmpty(parts, one) {
		// Not valid DEFLATE, but unambiguous: accept an empty compressed
		// payload as an empty message.
		return dst, nil
	}
	var dict []byte
	if f.takeover {
		dict = f.hist
	}
	r := pmdGetReader(dict)
	if parts == nil {
		r.src.one[0] = one
		parts = r.src.one[:]
	}
	r.src.reset(parts)
	start := len(dst)
	var produced int64
	var err error
	for {
		var n int
		var rerr error
		if len(dst) == cap(dst) {
			// Probe into scratch first: an output that exactly fills dst
			// then ends needs no growth.
			probe := r.scratch[:min(int64(len(r.scratch)), limit+1-produced)]
			n, rerr = r.fr.Read(probe)
			if n > 0 {
				// Grow by what was produced so far (at least 4 KiB), never
				// beyond what the limit can still accept.
				grow := int64(max(len(dst)-start, 4096))
				dst = slices.Grow(dst, int(min(grow, limit+1-produced)))
				dst = append(dst, probe[:n]...)
			}
		} else {
			room := dst[len(dst):cap(dst)]
			if rem := limit + 1 - produced; int64(len(room)) > rem {
				room = room[:rem]
			}
			n, rerr = r.fr.Read(room)
			dst = dst[:len(dst)+n]
		}
		produced += int64(n)
		if produced > limit {
			err = overErr
			break
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// flate.CorruptInputError, io.ErrUnexpectedEOF (truncated
			// block) or any other reader failure: invalid data.
			err = ErrDeflateCorrupt
			break
		}
	}
	pmdPutReader(r)
	if err == ErrInflateBudget {
		// Nothing of f changed: the window (f.hist) is only read, as the
		// reader's dictionary, until a message completes.
		return dst[:start], err
	}
	if err != nil {
		f.broken = true
		f.hist = nil
		return dst[:start], err
	}
	if f.takeover {
		win := 1 << f.bits
		if f.hist == nil {
			f.hist = make([]byte, 0, win)
		}
		f.hist = pmdSlide(f.hist, dst[start:], win)
	}
	return dst, nil
}

// InflatedSize returns the size compressed inflates to, without storing the
// output: decompression writes straight from the flate window into a
// counter. It fails like Inflate (ErrDeflateTooBig past limit, limit <= 0
// meaning DefaultInflateLimit; ErrDeflateCorrupt) but leaves f unchanged,
// so that Inflate can follow into a buffer of exactly the right size. A
// caller inflating large messages this way allocates nothing for a
// compression bomb, and one buffer (not a series of doubling ones) for a
// message within the limit, at the price of decompressing it twice.
func (f *Inflater) InflatedSize(compressed []byte, limit int64) (int64, error) {
	if f.bits == 0 || f.broken {
		return 0, ErrDeflateCorrupt
	}
	if limit <= 0 {
		limit = DefaultInflateLimit
	}
	if len(compressed) == 0 {
		return 0, nil
	}
	var dict []byte
	if f.takeover {
		dict = f.hist
	}
	r := pmdGetReader(dict)
	r.src.one[0] = compressed
	r.src.reset(r.src.one[:])
	r.count = pmdCounter{limit: limit}
	_, err := r.fr.(io.WriterTo).WriteTo(&r.count)
	n := r.count.n
	pmdPutReader(r)
	switch {
	case err == ErrDeflateTooBig:
		return n, err
	case err != nil:
		return n, ErrDeflateCorrupt
	}
	return n, nil
}

func pmdEmpty(parts [][]byte, one []byte) bool {
	if len(one) > 0 {
		return false
	}
	for _, p := range parts {
		if len(p) > 0 {
			return false
		}
	}
	return true
}

// Release drops the window (connection closed). The Inflater must be
// re-initialised with Init before reuse.
func (f *Inflater) Release() {
	*f = Inflater{}
}
