package tlsbridge

import (
	"runtime"
	"time"
)

// cpuGateWait bounds how long a handshake waits for a compute token. A
// token is a scheduling hint, not a limit: a handshake whose crypto/tls
// callback blocks (a GetCertificate that fetches a certificate) keeps its
// token, and the others must not stall behind it for longer than this.
const cpuGateWait = 10 * time.Millisecond

// cpuGate lets at most cap(tokens) handshake goroutines do the expensive
// first half of a handshake (key exchange, certificate signature) at once,
// and makes each one yield before it starts.
//
// Why: the event loops run as ordinary goroutines. A loop that yields
// (gnet's poller calls runtime.Gosched when it finds no event) or that
// comes back from epoll_wait while the P is busy waits in the global run
// queue, behind every handshake goroutine in the P's local queue. Without
// the gate, a loop that started 60 handshakes waits for all 60 signatures
// before it writes the first server flight, and the clients sit idle
// meanwhile; with one core the server then alternates between bursts of
// signing and idleness. With the gate, a token passes to the next
// handshake only when one has written its flight and waits for the
// client, and that handshake yields first, so the loop runs between two
// signatures and each flight leaves as soon as it is made.
type cpuGate struct {
	tokens chan struct{}
}

func newCPUGate(n int) cpuGate {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return cpuGate{tokens: make(chan struct{}, n)}
}

// acquire waits for a token (at most cpuGateWait) and yields once. It
// reports whether the caller holds a token to release.
func (g cpuGate) acquire() bool {
	got := true
	select {
	case g.tokens <- struct{}{}:
	default:
		t := time.NewTimer(cpuGateWait)
		select {
		case g.tokens <- struct{}{}:
		case <-t.C:
			got = false
		}
		t.Stop()
	}
	runtime.Gosched()
	return got
}

// release returns a token taken by acquire.
func (g cpuGate) release() { <-g.tokens }
