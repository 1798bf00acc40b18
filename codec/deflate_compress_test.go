package codec

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"
)

// pmdText returns n bytes of word-based pseudo text (compressible but not
// trivially so).
func pmdText(n int, seed uint64) []byte {
	words := []string{"socket", "frame", "deflate", "window", "message", "the", "a", "loop", "server",
		"client", "compress", "takeover", "context", "bits", "payload", "header", "mask", "ping", "{\"id\":", "42,"}
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n+16)
	for len(b) < n {
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return b[:n]
}

func pmdRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// pmdPeer returns the Inflater parameters that decode what a Deflater with
// parameters p produces (the format is symmetric).
func pmdPeer(p DeflateParams) DeflateParams {
	return DeflateParams{ClientNoContextTakeover: p.ServerNoContextTakeover, ClientMaxWindowBits: p.ServerMaxWindowBits}
}

// pmdStdInflate decodes one message with Go's compress/flate, given the
// previous messages' output as dictionary (an independent decoder).
func pmdStdInflate(t *testing.T, dict, msg []byte) []byte {
	t.Helper()
	r := stdflate.NewReaderDict(io.MultiReader(bytes.NewReader(msg), bytes.NewReader([]byte(pmdInflateTail))), dict)
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("compress/flate: %v", err)
	}
	return out
}

func TestDeflateRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, 64 << 10, 1 << 20}
	for _, takeover := range []bool{false, true} {
		for _, kind := range []string{"text", "random"} {
			for _, size := range sizes {
				t.Run(fmt.Sprintf("takeover=%v/%s/%d", takeover, kind, size), func(t *testing.T) {
					p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}
					d := NewDeflater(p, 1)
					defer d.Release()
					f := NewInflater(pmdPeer(p))
					defer f.Release()
					var hist []byte
					for i := range 3 {
						msg := pmdText(size, uint64(i))
						if kind == "random" {
							msg = pmdRandom(size, uint64(i))
						}
						c, err := d.Compress([]byte("prefix"), msg)
						if err != nil {
							t.Fatal(err)
						}
						if string(c[:6]) != "prefix" {
							t.Fatal("dst prefix lost")
						}
						c = c[6:]
						if kind == "random" && size > 100 && len(c) > size+size/100+64 {
							t.Errorf("random %d expanded to %d", size, len(c))
						}
						if kind == "text" && size >= 64<<10 && len(c) > size/2 {
							t.Errorf("text %d compressed only to %d", size, len(c))
						}
						out, err := f.Inflate(nil, c, 2<<20)
						if err != nil {
							t.Fatalf("msg %d: %v", i, err)
						}
						if !bytes.Equal(out, msg) {
							t.Fatalf("msg %d: round trip mismatch (len %d vs %d)", i, len(out), len(msg))
						}
						var dict []byte
						if takeover {
							dict = hist
						}
						if std := pmdStdInflate(t, dict, c); !bytes.Equal(std, msg) {
							t.Fatalf("msg %d: compress/flate disagrees", i)
						}
						hist = append(hist, msg...)
					}
				})
			}
		}
	}
}

func TestDeflateEmptyMessage(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		d := NewDeflater(DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}, 1)
		c, err := d.Compress(nil, nil)
		if err != nil || !bytes.Equal(c, []byte{0}) {
			t.Errorf("takeover=%v: empty message = %x, %v; want 00", takeover, c, err)
		}
		d.Release()
	}
}

func TestDeflateTakeoverHelps(t *testing.T) {
	msg := pmdText(2000, 7)
	for _, takeover := range []bool{false, true} {
		d := NewDeflater(DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}, 1)
		first, _ := d.Compress(nil, msg)
		second, _ := d.Compress(nil, msg)
		d.Park()
		third, _ := d.Compress(nil, msg) // re-primed from the kept window
		d.Release()
		t.Logf("takeover=%v: %d -> %d, %d, after Park %d bytes", takeover, len(msg), len(first), len(second), len(third))
		if takeover {
			if len(second)*10 > len(first) || len(third)*10 > len(first) {
				t.Errorf("takeover: repeat not much smaller: %d, %d vs %d", len(second), len(third), len(first))
			}
		} else if len(second) != len(first) || len(third) != len(first) {
			t.Errorf("no takeover: sizes differ %d %d %d", len(first), len(second), len(third))
		}
	}
}

// TestDeflateParkRoundTrip checks that parking between messages keeps the
// stream decodable and identical in meaning.
func TestDeflateParkRoundTrip(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		p := DeflateParams{ServerMaxWindowBits: bits}
		d := NewDeflater(p, 1)
		f := NewInflater(pmdPeer(p))
		for i := range 8 {
			msg := pmdText(500+i*3000, uint64(i%3))
			c, err := d.Compress(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 1 {
				d.Park()
				if d.Holding() {
					t.Fatal("still holding after Park")
				}
			} else if !d.Holding() {
				t.Fatal("takeover deflater should hold its writer between messages")
			}
			out, err := f.Inflate(nil, c, 1<<20)
			if err != nil || !bytes.Equal(out, msg) {
				t.Fatalf("bits %d msg %d: %v", bits, i, err)
			}
		}
		d.Release()
	}
}

// TestDeflateWindowBits checks with an independent reference decoder that
// no back-reference reaches further than 2^bits, within a message and into
// earlier messages.
func TestDeflateWindowBits(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		for _, takeover := range []bool{false, true} {
			for _, level := range []int{1, 5, 9} {
				p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: bits}
				d := NewDeflater(p, level)
				f := NewInflater(pmdPeer(p))
				var hist []byte
				maxSeen := 0
				for i := range 4 {
					// Long-range repeats: the same 40 KiB block twice, so a
					// large window would be tempting.
					block := pmdText(40<<10, uint64(i%2))
					msg := append(append([]byte{}, block...), block...)
					c, err := d.Compress(nil, msg)
					if err != nil {
						t.Fatal(err)
					}
					win := 1 << bits
					var dict []byte
					if takeover {
						dict = hist[max(0, len(hist)-win):]
					}
					out, maxDist, err := pmdRefInflate(dict, c)
					if err != nil {
						t.Fatalf("bits %d takeover %v level %d msg %d: reference decoder: %v", bits, takeover, level, i, err)
					}
					if !bytes.Equal(out, msg) {
						t.Fatalf("bits %d msg %d: reference decoder output differs", bits, i)
					}
					if maxDist > win {
						t.Fatalf("bits %d takeover %v level %d msg %d: back-reference distance %d > %d", bits, takeover, level, i, maxDist, win)
					}
					maxSeen = max(maxSeen, maxDist)
					got, err := f.Inflate(nil, c, 1<<20)
					if err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("bits %d msg %d: Inflater: %v", bits, i, err)
					}
					hist = append(hist, msg...)
				}
				if maxSeen < (1<<bits)/2 {
					t.Errorf("bits %d level %d: longest distance %d: window barely used", bits, level, maxSeen)
				}
				d.Release()
				f.Release()
			}
		}
	}
}

func TestDeflateLevels(t *testing.T) {
	msg := pmdText(100<<10, 3)
	for level := -1; level <= 10; level++ {
		p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
		d := NewDeflater(p, level)
		c, err := d.Compress(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if std := pmdStdInflate(t, nil, c); !bytes.Equal(std, msg) {
			t.Fatalf("level %d: mismatch", level)
		}
		d.Release()
	}
}

func TestDeflateUnusable(t *testing.T) {
	var d Deflater
	if _, err := d.Compress(nil, []byte("x")); err == nil {
		t.Error("zero Deflater compressed")
	}
	d2 := NewDeflater(DeflateParams{ServerMaxWindowBits: 15}, 1)
	d2.Release()
	if _, err := d2.Compress(nil, []byte("x")); !errors.Is(err, errPMDInternal) {
		t.Errorf("released Deflater: %v", err)
	}
}

func TestDeflateNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations: run by make test's non-race pass (go test ./codec)")
	}
	msg := pmdText(16<<10, 1)
	dst := make([]byte, 0, 32<<10)
	for _, takeover := range []bool{false, true} {
		for _, bits := range []int{10, 15} {
			d := NewDeflater(DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: bits}, 1)
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := d.Compress(dst[:0], msg); err != nil {
					t.Fatal(err)
				}
			})
			parked := testing.AllocsPerRun(50, func() {
				if _, err := d.Compress(dst[:0], msg); err != nil {
					t.Fatal(err)
				}
				d.Park()
			})
			if allocs != 0 || parked != 0 {
				t.Errorf("takeover=%v bits %d: %v allocs/op, %v with Park", takeover, bits, allocs, parked)
			}
			d.Release()
		}
	}
}

// pmdHeap returns the live heap after collecting twice (sync.Pool keeps a
// victim generation for one cycle).
func pmdHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestDeflaterIdleMemory measures what an idle connection's Deflater keeps.
func TestDeflaterIdleMemory(t *testing.T) {
	const n = 200
	msg := pmdText(4<<10, 5)
	t.Logf("unsafe.Sizeof(Deflater{}) = %d", unsafe.Sizeof(Deflater{}))
	for _, tt := range []struct {
		takeover bool
		bits     int
		park     bool
		maxPer   float64
	}{
		{false, 15, false, 64},
		{true, 15, true, 32<<10 + 128},
		{true, 10, true, 1<<10 + 128},
	} {
		ds := make([]Deflater, n)
		before := pmdHeap()
		for i := range ds {
			ds[i].Init(DeflateParams{ServerNoContextTakeover: !tt.takeover, ServerMaxWindowBits: tt.bits}, 1)
			if _, err := ds[i].Compress(make([]byte, 0, 8<<10)[:0], msg); err != nil {
				t.Fatal(err)
			}
			if tt.park {
				ds[i].Park()
			}
		}
		after := pmdHeap()
		per := (float64(after) - float64(before)) / n
		t.Logf("takeover=%v bits=%d park=%v: %.0f heap bytes per idle Deflater beyond its struct", tt.takeover, tt.bits, tt.park, per)
		if per > tt.maxPer {
			t.Errorf("takeover=%v bits=%d: %.0f bytes per idle Deflater, want <= %.0f", tt.takeover, tt.bits, per, tt.maxPer)
		}
		runtime.KeepAlive(ds)
		for i := range ds {
			ds[i].Release()
		}
	}
	// Holding (not parked) with takeover: the pooled writer's size, for the docs.
	before := pmdHeap()
	ds := make([]Deflater, 20)
	for i := range ds {
		ds[i].Init(DeflateParams{ServerMaxWindowBits: 15}, 1)
		_, _ = ds[i].Compress(nil, msg)
	}
	after := pmdHeap()
	t.Logf("takeover, holding the writer (level 1): %.0f bytes per Deflater", (float64(after)-float64(before))/20)
	for i := range ds {
		ds[i].Release()
	}
}

// ---- reference DEFLATE decoder (RFC 1951), test only ----------------------
//
// Deliberately simple and independent of klauspost: it decodes bit by bit
// and records the longest back-reference distance.

type pmdBits2 struct {
	data []byte
	pos  int // bit position
}

func (b *pmdBits2) bits(n int) (int, error) {
	v := 0
	for i := range n {
		if b.pos>>3 >= len(b.data) {
			return 0, io.ErrUnexpectedEOF
		}
		bit := int(b.data[b.pos>>3]>>(b.pos&7)) & 1
		v |= bit << i
		b.pos++
	}
	return v, nil
}

type pmdHuff struct {
	count  [16]int
	symbol []int
}

func pmdNewHuff(lengths []int) *pmdHuff {
	h := &pmdHuff{symbol: make([]int, len(lengths))}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	var offs [16]int
	for i := 1; i < 16; i++ {
		offs[i] = offs[i-1] + h.count[i-1]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = s
			offs[l]++
		}
	}
	return h
}

func (h *pmdHuff) decode(b *pmdBits2) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code |= bit
		cnt := h.count[l]
		if code-first < cnt {
			return h.symbol[index+code-first], nil
		}
		index += cnt
		first = (first + cnt) << 1
		code <<= 1
	}
	return 0, errors.New("bad huffman code")
}

var (
	pmdLenBase  = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	pmdLenExtra = []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	pmdDstBase  = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	pmdDstExtra = []int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// pmdRefInflate decodes one permessage-deflate message (tail re-appended)
// after the history dict and returns its output and the longest distance.
func pmdRefInflate(dict, msg []byte) (out []byte, maxDist int, err error) {
	b := &pmdBits2{data: append(append([]byte{}, msg...), pmdInflateTail...)}
	buf := append([]byte{}, dict...)
	for {
		final, err := b.bits(1)
		if err != nil {
			return nil, 0, err
		}
		typ, err := b.bits(2)
		if err != nil {
			return nil, 0, err
		}
		switch typ {
		case 0:
			b.pos = (b.pos + 7) &^ 7
			n, err := b.bits(16)
			if err != nil {
				return nil, 0, err
			}
			nn, _ := b.bits(16)
			if n != ^nn&0xffff || b.pos/8+n > len(b.data) {
				return nil, 0, errors.New("bad stored block")
			}
			buf = append(buf, b.data[b.pos/8:b.pos/8+n]...)
			b.pos += 8 * n
		case 1, 2:
			var lit, dst *pmdHuff
			if typ == 1 {
				l := make([]int, 288)
				for i := range l {
					switch {
					case i < 144:
						l[i] = 8
					case i < 256:
						l[i] = 9
					case i < 280:
						l[i] = 7
					default:
						l[i] = 8
					}
				}
				d := make([]int, 30)
				for i := range d {
					d[i] = 5
				}
				lit, dst = pmdNewHuff(l), pmdNewHuff(d)
			} else {
				if lit, dst, err = pmdDynamic(b); err != nil {
					return nil, 0, err
				}
			}
			for {
				sym, err := lit.decode(b)
				if err != nil {
					return nil, 0, err
				}
				if sym < 256 {
					buf = append(buf, byte(sym))
					continue
				}
				if sym == 256 {
					break
				}
				sym -= 257
				if sym >= 29 {
					return nil, 0, errors.New("bad length symbol")
				}
				e, _ := b.bits(pmdLenExtra[sym])
				length := pmdLenBase[sym] + e
				ds, err := dst.decode(b)
				if err != nil || ds >= 30 {
					return nil, 0, errors.New("bad distance symbol")
				}
				e, _ = b.bits(pmdDstExtra[ds])
				dist := pmdDstBase[ds] + e
				if dist > len(buf) {
					return nil, 0, fmt.Errorf("distance %d before start (%d bytes)", dist, len(buf))
				}
				maxDist = max(maxDist, dist)
				for range length {
					buf = append(buf, buf[len(buf)-dist])
				}
			}
		default:
			return nil, 0, errors.New("bad block type")
		}
		if final == 1 {
			return buf[len(dict):], maxDist, nil
		}
	}
}

func pmdDynamic(b *pmdBits2) (lit, dst *pmdHuff, err error) {
	hlit, _ := b.bits(5)
	hdist, _ := b.bits(5)
	hclen, err := b.bits(4)
	if err != nil {
		return nil, nil, err
	}
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	cl := make([]int, 19)
	for i := range hclen + 4 {
		cl[order[i]], _ = b.bits(3)
	}
	ch := pmdNewHuff(cl)
	lengths := make([]int, 0, hlit+257+hdist+1)
	for len(lengths) < hlit+257+hdist+1 {
		sym, err := ch.decode(b)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case sym < 16:
			lengths = append(lengths, sym)
		case sym == 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("repeat with no length")
			}
			r, _ := b.bits(2)
			for range r + 3 {
				lengths = append(lengths, lengths[len(lengths)-1])
			}
		case sym == 17:
			r, _ := b.bits(3)
			lengths = append(lengths, make([]int, r+3)...)
		default:
			r, _ := b.bits(7)
			lengths = append(lengths, make([]int, r+11)...)
		}
	}
	return pmdNewHuff(lengths[:hlit+257]), pmdNewHuff(lengths[hlit+257 : hlit+257+hdist+1]), nil
}
