package codec

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"
)

// pmdStdCompress compresses msg with Go's compress/flate as a permessage
// -deflate sender would: sync flush, tail removed. With final it ends the
// message with a BFINAL block instead (RFC 7692 section 7.2.3.4).
func pmdStdCompress(t testing.TB, w *stdflate.Writer, buf *bytes.Buffer, msg []byte, final bool) []byte {
	buf.Reset()
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if final {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w.Reset(buf)
		return append([]byte{}, buf.Bytes()...)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasSuffix(b, []byte(pmdTail)) {
		t.Fatal("no sync tail")
	}
	return append([]byte{}, b[:len(b)-4]...)
}

// Messages from an independent compressor (compress/flate), with and
// without context takeover, including BFINAL-terminated ones.
func TestInflateFromStdlib(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		for _, final := range []bool{false, true} {
			if takeover && final {
				continue // a BFINAL stream cannot continue; takeover needs sync flushes
			}
			var buf bytes.Buffer
			w, _ := stdflate.NewWriter(&buf, 6)
			f := NewInflater(DeflateParams{ClientNoContextTakeover: !takeover, ClientMaxWindowBits: 15})
			for i, size := range []int{0, 1, 100, 5000, 64 << 10, 200 << 10} {
				msg := pmdText(size, uint64(i%2))
				c := pmdStdCompress(t, w, &buf, msg, final)
				if !takeover {
					w.Reset(&buf)
				}
				out, err := f.Inflate([]byte("p:"), c, 1<<20)
				if err != nil {
					t.Fatalf("takeover=%v final=%v size %d: %v", takeover, final, size, err)
				}
				if !bytes.Equal(out[2:], msg) || string(out[:2]) != "p:" {
					t.Fatalf("takeover=%v final=%v size %d: mismatch", takeover, final, size)
				}
			}
		}
	}
}

func TestInflateParts(t *testing.T) {
	p := DeflateParams{ServerMaxWindowBits: 15}
	d := NewDeflater(p, 1)
	f := NewInflater(pmdPeer(p))
	r := rand.New(rand.NewPCG(9, 9))
	for i := range 20 {
		msg := pmdText(r.IntN(100<<10), uint64(i))
		c, _ := d.Compress(nil, msg)
		var parts [][]byte
		for rest := c; len(rest) > 0; {
			n := min(len(rest), r.IntN(300))
			parts = append(parts, rest[:n]) // includes empty parts
			rest = rest[n:]
		}
		out, err := f.InflateParts(nil, parts, 1<<20)
		if err != nil || !bytes.Equal(out, msg) {
			t.Fatalf("msg %d (%d parts): %v", i, len(parts), err)
		}
	}
}

func TestInflateBomb(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations: run by make test's non-race pass (go test ./codec)")
	}
	zeros := make([]byte, 100<<20)
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
	d := NewDeflater(p, 1)
	bomb, err := d.Compress(nil, zeros)
	if err != nil {
		t.Fatal(err)
	}
	zeros = nil
	t.Logf("100 MiB of zeros -> %d compressed bytes", len(bomb))
	const limit = 1 << 20
	for _, tt := range []struct {
		name string
		dst  []byte
	}{{"nil dst", nil}, {"small dst", make([]byte, 3, 100)}, {"big dst", make([]byte, 0, 4<<20)}} {
		for _, takeover := range []bool{false, true} {
			f := NewInflater(DeflateParams{ClientNoContextTakeover: !takeover, ClientMaxWindowBits: 15})
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			allocBefore := ms.TotalAlloc
			out, err := f.Inflate(tt.dst, bomb, limit)
			runtime.ReadMemStats(&ms)
			allocated := ms.TotalAlloc - allocBefore
			if !errors.Is(err, ErrDeflateTooBig) {
				t.Fatalf("%s: err = %v", tt.name, err)
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != 1009 {
				t.Fatalf("%s: not a 1009 ProtocolError: %v", tt.name, err)
			}
			if len(out) != len(tt.dst) {
				t.Errorf("%s: returned %d bytes, want the original %d", tt.name, len(out), len(tt.dst))
			}
			if cap(out) > max(cap(tt.dst), limit+limit/2) {
				t.Errorf("%s: output buffer grew to %d for limit %d", tt.name, cap(out), limit)
			}
			if allocated > 3*limit {
				t.Errorf("%s: allocated %d bytes for limit %d", tt.name, allocated, limit)
			}
			// The Inflater is failed for good.
			if _, err := f.Inflate(nil, []byte{0}, limit); err == nil {
				t.Errorf("%s: Inflater usable after error", tt.name)
			}
		}
	}
	// Pieces take the same path.
	f := NewInflater(DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: 15})
	if _, err := f.InflateParts(nil, [][]byte{bomb[:10], bomb[10:]}, limit); !errors.Is(err, ErrDeflateTooBig) {
		t.Errorf("parts: %v", err)
	}
}

func TestInflateLimitEdges(t *testing.T) {
	msg := pmdText(10000, 4)
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
	d := NewDeflater(p, 1)
	c, _ := d.Compress(nil, msg)
	for _, tt := range []struct {
		limit int64
		err   error
	}{{10000, nil}, {10001, nil}, {9999, ErrDeflateTooBig}, {1, ErrDeflateTooBig}, {0, nil}, {-5, nil}} {
		f := NewInflater(pmdPeer(p))
		out, err := f.Inflate([]byte("ab"), c, tt.limit)
		if err != tt.err {
			t.Errorf("limit %d: err %v, want %v", tt.limit, err, tt.err)
		}
		if err == nil && !bytes.Equal(out[2:], msg) {
			t.Errorf("limit %d: mismatch", tt.limit)
		}
		if err != nil && string(out) != "ab" {
			t.Errorf("limit %d: dst not restored: %q", tt.limit, out)
		}
	}
	// An empty message (single 00 byte, or no bytes at all) inflates to nothing.
	for _, in := range [][]byte{{0}, nil} {
		f := NewInflater(pmdPeer(p))
		if out, err := f.Inflate(nil, in, 10); err != nil || len(out) != 0 {
			t.Errorf("empty %x: %q %v", in, out, err)
		}
	}
}

func TestInflateCorrupt(t *testing.T) {
	p := DeflateParams{ServerMaxWindowBits: 15}
	d := NewDeflater(p, 1)
	good, _ := d.Compress(nil, pmdText(5000, 1))
	truncated := good[:len(good)/2]
	tests := map[string][]byte{
		"reserved block type":        {0x07}, // BFINAL=1 BTYPE=11
		"stored length mismatch":     {0x00, 0x05, 0x00, 0x00, 0x00},
		"stored block runs past end": {0x00, 0xff, 0x00, 0x00, 0xff, 'a'},
		"distance before start":      pmdDictCompressed(t),
		"garbage":                    bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 50),
		"truncated mid-block":        truncated,
	}
	for name, in := range tests {
		f := NewInflater(DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: 15})
		out, err := f.Inflate(make([]byte, 0, 10), in, 1<<20)
		if !errors.Is(err, ErrDeflateCorrupt) {
			t.Errorf("%s: err = %v, out %d bytes", name, err, len(out))
			continue
		}
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != 1007 {
			t.Errorf("%s: code %v", name, err)
		}
	}
	// A back-reference beyond the negotiated client window (9 bits) into the
	// previous message is rejected: only 512 bytes of history are kept.
	var buf bytes.Buffer
	w, _ := stdflate.NewWriter(&buf, 9)
	f := NewInflater(DeflateParams{ClientMaxWindowBits: 9})
	first := pmdRandom(4000, 3)
	c1 := pmdStdCompress(t, w, &buf, first, false)
	if _, err := f.Inflate(nil, c1, 1<<20); err != nil {
		t.Fatal(err)
	}
	c2 := pmdStdCompress(t, w, &buf, first[:1000], false) // refers 4000 bytes back
	if _, err := f.Inflate(nil, c2, 1<<20); !errors.Is(err, ErrDeflateCorrupt) {
		t.Errorf("far back-reference: %v", err)
	}
	// The same stream with a 15-bit window decodes fine.
	buf.Reset()
	w.Reset(&buf)
	f = NewInflater(DeflateParams{ClientMaxWindowBits: 15})
	for _, m := range [][]byte{first, first[:1000]} {
		c := pmdStdCompress(t, w, &buf, m, false)
		if out, err := f.Inflate(nil, c, 1<<20); err != nil || !bytes.Equal(out, m) {
			t.Errorf("15-bit window: %v", err)
		}
	}
}

func TestInflateNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations: run by make test's non-race pass (go test ./codec)")
	}
	for _, takeover := range []bool{false, true} {
		for _, size := range []int{1 << 10, 16 << 10} {
			p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}
			d := NewDeflater(p, 1)
			f := NewInflater(pmdPeer(p))
			msg := pmdText(size, 2)
			dst := make([]byte, 0, size)
			// With takeover every message must be inflated in order, so
			// compress a stream up front.
			msgs := make([][]byte, 60)
			for i := range msgs {
				msgs[i], _ = d.Compress(nil, msg)
			}
			i := 0
			allocs := testing.AllocsPerRun(50, func() {
				out, err := f.Inflate(dst[:0], msgs[i], 1<<20)
				i++
				if err != nil || len(out) != size {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("takeover=%v size %d: %v allocs/op", takeover, size, allocs)
			}
		}
	}
}

// TestInflaterIdleMemory measures what an idle connection's Inflater keeps.
func TestInflaterIdleMemory(t *testing.T) {
	const n = 200
	t.Logf("unsafe.Sizeof(Inflater{}) = %d", unsafe.Sizeof(Inflater{}))
	msg := pmdText(4<<10, 5)
	for _, tt := range []struct {
		takeover bool
		bits     int
		maxPer   float64
	}{{false, 15, 64}, {true, 15, 32<<10 + 128}, {true, 9, 512 + 128}} {
		p := DeflateParams{ServerNoContextTakeover: !tt.takeover, ServerMaxWindowBits: tt.bits}
		c, _ := NewDeflater(p, 1).Compress(nil, msg)
		fs := make([]Inflater, n)
		before := pmdHeap()
		for i := range fs {
			fs[i].Init(pmdPeer(p))
			if _, err := fs[i].Inflate(make([]byte, 0, 8<<10), c, 1<<20); err != nil {
				t.Fatal(err)
			}
		}
		after := pmdHeap()
		per := (float64(after) - float64(before)) / n
		t.Logf("takeover=%v bits=%d: %.0f heap bytes per idle Inflater beyond its struct", tt.takeover, tt.bits, per)
		if per > tt.maxPer {
			t.Errorf("takeover=%v bits=%d: %.0f bytes per idle Inflater, want <= %.0f", tt.takeover, tt.bits, per, tt.maxPer)
		}
		runtime.KeepAlive(fs)
	}
}

// FuzzInflate feeds arbitrary bytes as one or two compressed messages: it
// must never panic, never return more than limit bytes per message, and
// only fail with the two permessage-deflate errors.
func FuzzInflate(f *testing.F) {
	p := DeflateParams{ServerMaxWindowBits: 15}
	d := NewDeflater(p, 1)
	a, _ := d.Compress(nil, pmdText(3000, 1))
	b, _ := d.Compress(nil, pmdText(3000, 1))
	f.Add(a, b, uint16(4000), true)
	f.Add(a, []byte{0}, uint16(100), false)
	f.Add([]byte{0x07}, []byte{}, uint16(10), false)
	f.Fuzz(func(t *testing.T, m1, m2 []byte, limit uint16, takeover bool) {
		params := DeflateParams{ClientNoContextTakeover: !takeover, ClientMaxWindowBits: 8 + int(limit%8)}
		inf := NewInflater(params)
		// inf2 tries every message within a budget first and inflates it
		// again without one when over: it must agree with inf throughout.
		inf2 := NewInflater(params)
		lim := int64(limit%8192) + 1
		budget := lim / 3
		dst := []byte("xyz")
		for _, m := range [][]byte{m1, m2} {
			out, err := inf.Inflate(dst, m, lim)
			out2, err2 := inf2.InflateWithin(nil, m, budget, lim)
			if err2 == ErrInflateBudget {
				if len(out2) != 0 {
					t.Fatalf("dst not restored over budget")
				}
				// As the engine's workers do: size, then exact buffer.
				n, errSize := inf2.InflatedSize(m, lim)
				if errSize == nil {
					out2, err2 = inf2.Inflate(make([]byte, 0, n), m, lim)
					if err2 == nil && int64(len(out2)) != n {
						t.Fatalf("InflatedSize %d, Inflate produced %d", n, len(out2))
					}
				} else {
					err2 = errSize
				}
			}
			// Input both corrupt and too big may report either error,
			// depending on the read sizes: only success must agree.
			if (err2 == nil) != (err == nil) || (err == nil && !bytes.Equal(out[3:], out2)) {
				t.Fatalf("budget run differs: %v vs %v", err2, err)
			}
			if err != nil {
				if err != ErrDeflateTooBig && err != ErrDeflateCorrupt {
					t.Fatalf("unexpected error %v", err)
				}
				if string(out) != "xyz" {
					t.Fatalf("dst not restored on error")
				}
				return
			}
			if int64(len(out)-3) > lim {
				t.Fatalf("output %d > limit %d", len(out)-3, lim)
			}
		}
	})
}

func pmdBenchDeflate(b *testing.B, size int) {
	for _, mode := range []string{"NoTakeover", "Takeover", "TakeoverPark"} {
		b.Run(mode, func(b *testing.B) {
			d := NewDeflater(DeflateParams{ServerNoContextTakeover: mode == "NoTakeover", ServerMaxWindowBits: 15}, 1)
			defer d.Release()
			msgs := [][]byte{pmdText(size, 1), pmdText(size, 2), pmdText(size, 3)}
			dst := make([]byte, 0, size+1024)
			var out []byte
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				var err error
				out, err = d.Compress(dst[:0], msgs[i%3])
				if err != nil {
					b.Fatal(err)
				}
				if mode == "TakeoverPark" {
					d.Park()
				}
			}
			b.ReportMetric(float64(len(out))/float64(size), "ratio")
		})
	}
}

// BenchmarkDeflate1K compresses 1 KiB text messages at level 1.
func BenchmarkDeflate1K(b *testing.B) { pmdBenchDeflate(b, 1<<10) }

// BenchmarkDeflate16K compresses 16 KiB text messages at level 1.
func BenchmarkDeflate16K(b *testing.B) { pmdBenchDeflate(b, 16<<10) }

func pmdBenchInflate(b *testing.B, size int) {
	for _, takeover := range []bool{false, true} {
		name := "NoTakeover"
		if takeover {
			name = "Takeover"
		}
		b.Run(name, func(b *testing.B) {
			p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}
			d := NewDeflater(p, 1)
			// A long stream of distinct messages so takeover decoding stays
			// in order; it cycles by re-initialising the Inflater.
			const n = 64
			msgs := make([][]byte, n)
			for i := range msgs {
				msgs[i], _ = d.Compress(nil, pmdText(size, uint64(i)))
			}
			f := NewInflater(pmdPeer(p))
			dst := make([]byte, 0, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if i%n == 0 {
					f.Init(pmdPeer(p))
				}
				out, err := f.Inflate(dst[:0], msgs[i%n], 1<<20)
				if err != nil || len(out) != size {
					b.Fatal(err, len(out))
				}
			}
		})
	}
}

// BenchmarkInflate1K decompresses 1 KiB text messages.
func BenchmarkInflate1K(b *testing.B) { pmdBenchInflate(b, 1<<10) }

// BenchmarkInflate16K decompresses 16 KiB text messages.
func BenchmarkInflate16K(b *testing.B) { pmdBenchInflate(b, 16<<10) }

// pmdDictCompressed returns a message that refers into a dictionary the
// receiver does not have.
func pmdDictCompressed(t *testing.T) []byte {
	dict := pmdRandom(2000, 8)
	var buf bytes.Buffer
	w, _ := stdflate.NewWriterDict(&buf, 9, dict)
	return pmdStdCompress(t, w, &buf, dict[:1500], false)
}
