package engine

import (
	"net/netip"
	"testing"
	"time"
)

func TestIPLimits(t *testing.T) {
	a, b := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("::ffff:127.0.0.2")
	other := netip.MustParseAddr("127.0.0.3")

	lim := newIPLimits(&Options{MaxConnectionsPerIP: 2}, time.Now())
	if lim.admit(a) != nil || lim.admit(b) != nil {
		t.Fatal("first two refused")
	}
	if got := lim.admit(a); string(got) != string(resp503PerIP) {
		t.Fatalf("third (IPv4-mapped counts as IPv4): %q, want the 503", got)
	}
	if lim.admit(other) != nil {
		t.Fatal("another address refused")
	}
	lim.release(b)
	if lim.admit(a) != nil {
		t.Fatal("refused after a release")
	}
	lim.release(a)
	lim.release(a)
	lim.release(other)
	if n := len(lim.addrs); n != 0 {
		t.Fatalf("%d addresses kept with no connection and no rate limit", n)
	}

	if newIPLimits(&Options{}, time.Now()) != nil {
		t.Fatal("limits tracked while both are off")
	}
}

// The table forgets addresses whose bucket is full again and that hold no
// connection, so that many one-off sources do not grow it without bound.
func TestIPLimitsSweep(t *testing.T) {
	lim := newIPLimits(&Options{HandshakeRatePerIP: 1000}, time.Now())
	for i := range 5000 {
		ip := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if lim.admit(ip) != nil {
			t.Fatalf("address %d refused", i)
		}
		lim.release(ip)
		// As if a second passed: its bucket is full again at the next sweep.
		lim.addrs[ip].last -= time.Second
	}
	if n := len(lim.addrs); n > 2048 {
		t.Fatalf("table holds %d addresses after 5000 one-off sources, want at most 2048", n)
	}
}
