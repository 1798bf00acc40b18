package guard

import (
	"errors"
	"strings"
	"testing"
)

type handler interface{ Do(int) int }

type fn func(int) int

func (f fn) Do(n int) int { return f(n) }

func TestCallReturnsNilWithoutPanic(t *testing.T) {
	g := New[handler](fn(func(n int) int { return n * 2 }))
	var got int
	if p := g.Call(func(h handler) { got = h.Do(21) }); p != nil {
		t.Fatalf("Call = %v, want nil", p)
	}
	if got != 42 {
		t.Errorf("got %d", got)
	}
}

func TestCallRecovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"string", "boom", "boom"},
		{"error", errors.New("bad"), "bad"},
		{"nil", nil, "nil"}, // panic(nil) is *runtime.PanicNilError since Go 1.21
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New[handler](fn(func(int) int { panic(tc.value) }))
			p := g.Call(func(h handler) { h.Do(1) })
			if p == nil {
				t.Fatal("panic not reported")
			}
			if !strings.Contains(p.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", p.Error(), tc.want)
			}
			if !strings.Contains(string(p.Stack), "guard.TestCallRecovers") {
				t.Errorf("stack does not show the panic site:\n%s", p.Stack)
			}
		})
	}
}

func TestRunRecoversRuntimeErrors(t *testing.T) {
	var m map[string]int
	p := Run(func() { m["x"] = 1 })
	if p == nil || !strings.Contains(p.Error(), "nil map") {
		t.Fatalf("Run = %v", p)
	}
}

// A closure passed to Call stays on the stack: calling user code costs no
// allocation on the hot paths that use it.
func TestCallDoesNotAllocate(t *testing.T) {
	g := New[handler](fn(func(n int) int { return n + 1 }))
	var sum int
	allocs := testing.AllocsPerRun(100, func() {
		_ = g.Call(func(h handler) { sum += h.Do(sum) })
	})
	if allocs != 0 {
		t.Errorf("%v allocs per Call", allocs)
	}
}
