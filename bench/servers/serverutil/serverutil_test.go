package serverutil

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestCheckMode(t *testing.T) {
	cases := []struct {
		mode string
		ok   bool
	}{
		{mode: "echo", ok: true},
		{mode: "broadcast", ok: true},
		{mode: "", ok: false},
		{mode: "Echo", ok: false},
	}
	for _, c := range cases {
		err := CheckMode(c.mode)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadMode)) {
			t.Errorf("CheckMode(%q) = %v", c.mode, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	var r Registry[int]
	for i := 1; i <= 3; i++ {
		r.Add(i)
	}
	r.Remove(2)
	snap := r.Snapshot()
	got := slices.Sorted(slices.Values(*snap))
	if !slices.Equal(got, []int{1, 3}) || r.Len() != 2 {
		t.Fatalf("snapshot %v len %d", got, r.Len())
	}
	r.Release(snap)
	r.Add(4)
	snap = r.Snapshot() // reuses the released slice, with fresh content
	if len(*snap) != 3 {
		t.Fatalf("second snapshot %v", *snap)
	}
	r.Release(snap)
	n := 0
	r.Each(func(int) { n++ })
	if n != 3 {
		t.Fatalf("Each visited %d", n)
	}
}

func TestHealthzAndServe(t *testing.T) {
	rec := httptest.NewRecorder()
	Healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServeHTTP(WithReady(ctx, func(a net.Addr) { ready <- a }), Config{Addr: "127.0.0.1:0"}, http.HandlerFunc(Healthz))
	}()
	addr := <-ready
	resp, err := http.Get("http://" + addr.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeHTTP after cancel: %v", err)
	}
}
