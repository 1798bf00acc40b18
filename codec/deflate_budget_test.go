package codec

import (
	"bytes"
	"errors"
	"testing"
)

// InflateWithin gives up past the budget without touching the Inflater: the
// same message then inflates in full, and with context takeover the next
// message still decodes against the right window.
func TestInflateWithinBudget(t *testing.T) {
	small, big, after := pmdText(1000, 1), pmdText(100000, 2), pmdText(3000, 3)
	for _, takeover := range []bool{false, true} {
		p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}
		d := NewDeflater(p, 1)
		var wire [3][]byte
		for i, m := range [][]byte{small, big, after} {
			c, err := d.Compress(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			wire[i] = c
		}
		f := NewInflater(pmdPeer(p))
		for _, tt := range []struct {
			name          string
			in            []byte
			budget, limit int64
			want          []byte
			err           error
		}{
			{"small within budget", wire[0], 4096, 1 << 20, small, nil},
			{"big over budget", wire[1], 4096, 1 << 20, nil, ErrInflateBudget},
			{"big again, still over", wire[1], 99999, 1 << 20, nil, ErrInflateBudget},
			{"big, budget exactly its size", wire[1], 100000, 1 << 20, big, nil},
			{"after, no budget", wire[2], 0, 1 << 20, after, nil},
		} {
			if tt.name == "big, budget exactly its size" {
				// Redo "big" for the window: the previous case consumed it.
				f = NewInflater(pmdPeer(p))
				if _, err := f.Inflate(nil, wire[0], 0); err != nil {
					t.Fatal(err)
				}
			}
			out, err := f.InflateWithin([]byte("xy"), tt.in, tt.budget, tt.limit)
			if !errors.Is(err, tt.err) {
				t.Fatalf("takeover %v, %s: err %v, want %v", takeover, tt.name, err, tt.err)
			}
			if err != nil {
				if string(out) != "xy" {
					t.Fatalf("takeover %v, %s: dst not restored: %d bytes", takeover, tt.name, len(out))
				}
				continue
			}
			if !bytes.Equal(out[2:], tt.want) {
				t.Fatalf("takeover %v, %s: output differs", takeover, tt.name)
			}
		}
	}
}

// A budget at or above the limit is no budget: the limit's 1009 applies,
// and a message over both stops at the budget with ErrInflateBudget.
func TestInflateWithinLimitWins(t *testing.T) {
	msg := pmdText(50000, 4)
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
	c, _ := NewDeflater(p, 1).Compress(nil, msg)
	for _, tt := range []struct {
		budget, limit int64
		err           error
	}{
		{20000, 10000, ErrDeflateTooBig},
		{10000, 10000, ErrDeflateTooBig},
		{10000, 20000, ErrInflateBudget},
		{-1, 20000, ErrDeflateTooBig},
		{60000, 70000, nil},
	} {
		f := NewInflater(pmdPeer(p))
		_, err := f.InflateWithin(nil, c, tt.budget, tt.limit)
		if !errors.Is(err, tt.err) {
			t.Errorf("budget %d limit %d: err %v, want %v", tt.budget, tt.limit, err, tt.err)
		}
		var pe *ProtocolError
		if errors.Is(err, ErrInflateBudget) && errors.As(err, &pe) {
			t.Errorf("ErrInflateBudget must not be a ProtocolError")
		}
	}
}

// InflatedSize agrees with Inflate, leaves the Inflater unchanged (context
// takeover included), and sizes a bomb without allocating.
func TestInflatedSize(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		p := DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15}
		d := NewDeflater(p, 1)
		f := NewInflater(pmdPeer(p))
		for i, m := range [][]byte{pmdText(10, 1), pmdText(70000, 2), {}, pmdRandom(5000, 3), pmdText(200000, 4)} {
			c, err := d.Compress(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			n, err := f.InflatedSize(c, 1<<20)
			if err != nil || n != int64(len(m)) {
				t.Fatalf("takeover %v, message %d: size %d %v, want %d", takeover, i, n, err, len(m))
			}
			if n, err := f.InflatedSize(c, int64(len(m)-1)); len(m) > 0 && err != ErrDeflateTooBig {
				t.Fatalf("takeover %v, message %d: limit below the size: %d %v", takeover, i, n, err)
			}
			out, err := f.Inflate(make([]byte, 0, n), c, 1<<20)
			if err != nil || !bytes.Equal(out, m) {
				t.Fatalf("takeover %v, message %d: Inflate after InflatedSize: %v", takeover, i, err)
			}
			if cap(out) != len(m) {
				t.Errorf("exact buffer grew: cap %d for %d bytes", cap(out), len(m))
			}
		}
	}
	f := NewInflater(DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: 15})
	if _, err := f.InflatedSize([]byte{0xff, 0xff, 0xff, 0xff, 0x01}, 0); err != ErrDeflateCorrupt {
		t.Errorf("corrupt input: %v", err)
	}
}

func TestInflatedSizeBombNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations: run by make test's non-race pass (go test ./codec)")
	}
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
	bomb, err := NewDeflater(p, 1).Compress(nil, make([]byte, 32<<20))
	if err != nil {
		t.Fatal(err)
	}
	f := NewInflater(pmdPeer(p))
	_, _ = f.InflatedSize(bomb, 16<<20) // warm the reader pool
	allocs := testing.AllocsPerRun(5, func() {
		if n, err := f.InflatedSize(bomb, 16<<20); err != ErrDeflateTooBig || n <= 16<<20 {
			t.Fatalf("bomb: %d %v", n, err)
		}
	})
	if allocs > 0 {
		t.Errorf("InflatedSize allocated %.1f times for a bomb", allocs)
	}
}

// BenchmarkInflatedSizeBomb is what a worker spends refusing a bomb: 64
// MiB of zeros sized against the 16 MiB default limit.
func BenchmarkInflatedSizeBomb(b *testing.B) {
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}
	bomb, err := NewDeflater(p, 1).Compress(nil, make([]byte, 64<<20))
	if err != nil {
		b.Fatal(err)
	}
	f := NewInflater(pmdPeer(p))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.InflatedSize(bomb, DefaultInflateLimit); err != ErrDeflateTooBig {
			b.Fatal(err)
		}
	}
}
