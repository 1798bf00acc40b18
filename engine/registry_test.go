package engine

import (
	"math/rand/v2"
	"testing"
)

// The registry agrees with a map through random adds and removes, including
// growth, shrinking and backward-shift deletion inside long probe runs.
func TestRegistryAgainstMap(t *testing.T) {
	r := newRegistry()
	want := map[uint64]*Conn{}
	rng := rand.New(rand.NewPCG(1, 2))
	next := uint64(0)
	for step := 0; step < 200000; step++ {
		if rng.IntN(3) > 0 || len(want) == 0 {
			next++
			c := &Conn{id: next}
			r.add(c)
			want[c.id] = c
		} else {
			// remove a random live id
			id := uint64(rng.IntN(int(next))) + 1
			if _, ok := want[id]; ok {
				r.remove(id)
				delete(want, id)
			} else {
				r.remove(id) // absent: a no-op
			}
		}
		if step%997 == 0 {
			for id, c := range want {
				if got := r.get(id); got != c {
					t.Fatalf("step %d: get(%d) = %v, want %v", step, id, got, c)
				}
			}
			if got := r.get(next + 1); got != nil {
				t.Fatalf("get of an unknown id returned %v", got)
			}
		}
	}
	n := 0
	r.each(func(c *Conn) bool {
		if want[c.id] != c {
			t.Fatalf("each yielded %d, not registered", c.id)
		}
		n++
		return true
	})
	if n != len(want) {
		t.Fatalf("each yielded %d connections, want %d", n, len(want))
	}
	for id := range want {
		r.remove(id)
	}
	for i := range r.shards {
		if r.shards[i].n != 0 {
			t.Fatalf("shard %d still counts %d", i, r.shards[i].n)
		}
	}
}

func BenchmarkRegistryGet(b *testing.B) {
	r := newRegistry()
	for i := uint64(1); i <= 10000; i++ {
		r.add(&Conn{id: i})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r.get(uint64(i%10000)+1) == nil {
			b.Fatal("missing")
		}
	}
}
