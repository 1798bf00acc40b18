package tlsbridge

import "testing"

func TestCPUGateTokens(t *testing.T) {
	g := newCPUGate(2)
	if !g.acquire() || !g.acquire() {
		t.Fatal("a gate of two tokens refused one of the first two")
	}
	// Both tokens are held: the third handshake must not wait forever
	// behind them (a holder may be stuck in a crypto/tls callback).
	if g.acquire() {
		t.Fatal("a third acquire got a token while both were held")
	}
	g.release()
	if !g.acquire() {
		t.Fatal("a released token was not handed out again")
	}
	g.release()
	g.release()
	if n := len(g.tokens); n != 0 {
		t.Fatalf("%d tokens still held after every release", n)
	}
}

func TestCPUGateDefaultsToGOMAXPROCS(t *testing.T) {
	if g := newCPUGate(0); cap(g.tokens) < 1 {
		t.Fatalf("default gate has %d tokens", cap(g.tokens))
	}
}
