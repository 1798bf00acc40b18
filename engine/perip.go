package engine

import (
	"net/netip"
	"sync"
	"time"

	"github.com/wsloop/wsloop/codec"
)

// Per-client limits bound what one source address may take: open
// connections (Options.MaxConnectionsPerIP) and new connections per second
// (Options.HandshakeRatePerIP, a token bucket holding HandshakeBurstPerIP
// tokens). Both are checked in OnOpen, before any byte is read; a refused
// connection gets a short HTTP answer (503 for the connection count, 429
// for the rate) and is closed. IPv4-mapped IPv6 addresses count as IPv4.

var (
	resp503PerIP = codec.AppendErrorResponse(nil, 503, "too many connections from your address", nil)
	resp429      = codec.AppendErrorResponse(nil, 429, "too many new connections from your address", nil)
)

// ipLimits tracks each source address that has an open connection or a
// bucket not yet full again. Safe from any goroutine.
type ipLimits struct {
	maxConns int32
	rate     float64 // tokens per second; 0 = no rate limit
	burst    float64

	mu        sync.Mutex
	addrs     map[netip.Addr]*ipState
	swept     int // size of addrs after the last sweep
	startedAt time.Time
}

type ipState struct {
	conns  int32
	tokens float64
	last   time.Duration // since startedAt, when tokens was computed
}

// newIPLimits returns nil when both limits are off.
func newIPLimits(o *Options, started time.Time) *ipLimits {
	if o.MaxConnectionsPerIP <= 0 && o.HandshakeRatePerIP <= 0 {
		return nil
	}
	lim := &ipLimits{maxConns: int32(o.MaxConnectionsPerIP), rate: float64(o.HandshakeRatePerIP),
		burst: float64(o.HandshakeBurstPerIP), addrs: make(map[netip.Addr]*ipState), startedAt: started}
	if lim.burst <= 0 {
		lim.burst = max(1, lim.rate)
	}
	return lim
}

// admit counts a new connection from ip, or returns the response that
// refuses it.
func (lim *ipLimits) admit(ip netip.Addr) (refusal []byte) {
	ip = ip.Unmap()
	now := time.Since(lim.startedAt)
	lim.mu.Lock()
	defer lim.mu.Unlock()
	s := lim.addrs[ip]
	if s == nil {
		lim.sweepLocked(now)
		s = &ipState{tokens: lim.burst, last: now}
		lim.addrs[ip] = s
	}
	if lim.maxConns > 0 && s.conns >= lim.maxConns {
		return resp503PerIP
	}
	if lim.rate > 0 {
		s.refill(lim, now)
		if s.tokens < 1 {
			return resp429
		}
		s.tokens--
	}
	s.conns++
	return nil
}

// release uncounts a connection admitted from ip.
func (lim *ipLimits) release(ip netip.Addr) {
	ip = ip.Unmap()
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if s := lim.addrs[ip]; s != nil && s.conns > 0 {
		s.conns--
		if s.conns == 0 && lim.rate == 0 {
			delete(lim.addrs, ip)
		}
	}
}

func (s *ipState) refill(lim *ipLimits, now time.Duration) {
	s.tokens = min(lim.burst, s.tokens+lim.rate*(now-s.last).Seconds())
	s.last = now
}

// sweepLocked forgets addresses with no connection and a full bucket once
// the table has doubled since the last sweep, so that it holds at most
// about twice the addresses that are active or were refilling, at an
// amortized constant cost per new address.
func (lim *ipLimits) sweepLocked(now time.Duration) {
	if len(lim.addrs) < 1024 || len(lim.addrs) < 2*lim.swept {
		return
	}
	for ip, s := range lim.addrs {
		s.refill(lim, now)
		if s.conns == 0 && s.tokens >= lim.burst {
			delete(lim.addrs, ip)
		}
	}
	lim.swept = len(lim.addrs)
}
