package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scenario names accepted by Options.Scenario.
const (
	ScenarioIdle      = "idle"
	ScenarioEcho      = "echo"
	ScenarioBroadcast = "broadcast"
	ScenarioChurn     = "churn"
	ScenarioHandshake = "handshake"
	ScenarioHostile   = "hostile"
	ScenarioSoak      = "soak"
)

// ErrInvalidOptions wraps every error Run returns for options it refuses.
var ErrInvalidOptions = errors.New("invalid options")

// Options configures a run. The zero value of every field but URL means "use
// the default" (see Defaults).
type Options struct {
	URL      string        // ws:// or wss:// target (for broadcast: the broadcast endpoint)
	Scenario string        // idle, echo, broadcast, churn or handshake (default echo)
	Conns    int           // connections to open (broadcast: receivers) (default 100)
	Duration time.Duration // ramp plus traffic (default 10s); drain (≤ Timeout) and close (≤ CloseTimeout) follow
	Ramp     float64       // connections opened per second; 0 = as fast as the dial workers go

	Size     int     // payload bytes per message (default 32; broadcast at least 35)
	Inflight int     // echo: messages in flight per connection (default 1; with Rate: most outstanding, default 128)
	Rate     float64 // echo: total msgs/s over all connections; broadcast: sender msgs/s (default 10); churn: cycles/s (default 100); handshake: 0 = unlimited
	Messages int     // echo: messages per connection, broadcast: messages sent; 0 = until Duration
	Binary   bool    // send binary frames instead of text

	Sources     []netip.Addr // local addresses to bind, used round-robin (default: let the kernel choose)
	Insecure    bool         // wss: skip certificate verification (self-signed servers)
	AllowRemote bool         // allow non-loopback targets and sources
	Origin      string       // optional Origin header

	ServerPID int           // sample this process's RSS and CPU time from /proc (0: off)
	Progress  time.Duration // progress line interval when not on a terminal (default 1s; <0: off)

	Loops          int           // event loops (default GOMAXPROCS)
	DialWorkers    int           // concurrent dials/handshakes (default 64)
	Timeout        time.Duration // dial, handshake and echo-response timeout (default 5s)
	CloseTimeout   time.Duration // wait for close replies at the end (default 2s)
	MaxMessageSize int           // largest server message accepted (default 16 MiB)
	MaxOutstanding int           // write backlog per connection beyond which pacing skips it (default 256 KiB)
	SampleInterval time.Duration // /proc sampling interval for ServerPID (default 500ms)

	// hostile: attacks run beside the echo connections (see hostile_linux.go).
	Attacks          []string      // attack kinds (default: all of AttackKinds)
	Attackers        int           // concurrent hostile clients (default 4)
	AttackRounds     int           // rounds of every attack kind (default 3)
	AttackTimeout    time.Duration // how long an attack waits for the server to act (default 12s)
	BudgetConns      int           // connections of one budget attack (default 60)
	Baseline         time.Duration // attacker-free echo phase before the attack phase (default 3s)
	ServerMaxMessage int           // the server's message limit, which the oversize attack exceeds (default 16 MiB)

	// soak (and hostile): see soak_linux.go.
	Cycles      int    // soak: open/echo/close cycles (0: until Duration)
	MetricsPath string // path of the server's metrics JSON with a "Connections" field (default /metrics; "-": none)
}

// Defaults returns o with every unset field given its default value.
func (o Options) Defaults() Options {
	if o.Scenario == "" {
		o.Scenario = ScenarioEcho
	}
	if o.Conns <= 0 {
		o.Conns = 100
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
		if o.Scenario == ScenarioSoak && o.Cycles > 0 {
			o.Duration = 24 * time.Hour // the cycle count bounds the run
		}
	}
	if o.Size <= 0 {
		o.Size = 32
	}
	if o.Scenario == ScenarioBroadcast && o.Size < stampLen {
		o.Size = stampLen
	}
	if o.Inflight <= 0 {
		o.Inflight = 1
		if o.Rate > 0 && o.Scenario == ScenarioEcho {
			o.Inflight = 128
		}
	}
	if o.Rate <= 0 {
		switch o.Scenario {
		case ScenarioBroadcast:
			o.Rate = 10
		case ScenarioChurn:
			o.Rate = 100
		}
	}
	if o.Progress == 0 {
		o.Progress = time.Second
	}
	if o.DialWorkers <= 0 {
		o.DialWorkers = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 2 * time.Second
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 16 << 20
	}
	if o.MaxOutstanding <= 0 {
		o.MaxOutstanding = 256 << 10
	}
	if o.SampleInterval <= 0 {
		o.SampleInterval = 500 * time.Millisecond
	}
	return o.hostileDefaults()
}

// limits on option values, to keep a typo from exhausting the machine.
const (
	maxConns    = 1 << 20
	maxSize     = 64 << 20
	maxInflight = 1 << 16
)

// target is a validated, resolved Options.URL.
type target struct {
	tls     bool
	addr    string // ip:port to dial
	host    string // Host header
	path    string // request URI
	srvName string // TLS server name
}

// validate checks o (after Defaults) and resolves the target.
func (o *Options) validate(ctx context.Context) (target, error) {
	var t target
	switch o.Scenario {
	case ScenarioIdle, ScenarioEcho, ScenarioBroadcast, ScenarioChurn, ScenarioHandshake:
	case ScenarioHostile, ScenarioSoak:
		if err := o.validateHostile(); err != nil {
			return t, err
		}
	default:
		return t, fmt.Errorf("unknown scenario %q (want idle, echo, broadcast, churn, handshake, hostile or soak)", o.Scenario)
	}
	switch {
	case o.Conns > maxConns:
		return t, fmt.Errorf("-conns %d is over the limit %d", o.Conns, maxConns)
	case o.Size > maxSize:
		return t, fmt.Errorf("-size %d is over the limit %d", o.Size, maxSize)
	case o.Inflight > maxInflight:
		return t, fmt.Errorf("-inflight %d is over the limit %d", o.Inflight, maxInflight)
	case o.Ramp < 0 || o.Rate < 0 || o.Messages < 0:
		return t, errors.New("-ramp, -rate and -messages must not be negative")
	case o.Size > o.MaxMessageSize:
		return t, fmt.Errorf("-size %d is over -max-message %d", o.Size, o.MaxMessageSize)
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return t, fmt.Errorf("bad URL: %w", err)
	}
	port := u.Port()
	switch u.Scheme {
	case "ws":
		if port == "" {
			port = "80"
		}
	case "wss":
		t.tls = true
		if port == "" {
			port = "443"
		}
	default:
		return t, fmt.Errorf("URL %q: scheme must be ws or wss", o.URL)
	}
	host := u.Hostname()
	if host == "" {
		return t, fmt.Errorf("URL %q has no host", o.URL)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return t, fmt.Errorf("resolve %q: %v", host, err)
	}
	ip := ips[0].Unmap()
	for _, a := range ips {
		if !a.Unmap().IsLoopback() && !o.AllowRemote {
			return t, fmt.Errorf("target %s resolves to %s, which is not loopback (use -allow-remote)", host, a)
		}
	}
	for _, s := range o.Sources {
		if !s.IsLoopback() && !o.AllowRemote {
			return t, fmt.Errorf("source %s is not loopback (use -allow-remote)", s)
		}
		if s.Is4() != ip.Is4() {
			return t, fmt.Errorf("source %s and target %s are different address families", s, ip)
		}
	}
	t.addr = net.JoinHostPort(ip.String(), port)
	t.host = u.Host
	t.srvName = host
	t.path = u.RequestURI()
	return t, nil
}

// ParseSources parses a source-address specification: a count N (the
// addresses 127.0.0.1 … 127.0.0.N), a range "A-B" of addresses of one family,
// or a comma-separated list of addresses and ranges. At most 65536 addresses.
func ParseSources(s string) ([]netip.Addr, error) {
	const limit = 1 << 16
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 254*254 {
			return nil, fmt.Errorf("source count %d out of range 1..%d", n, 254*254)
		}
		return addrRange(netip.AddrFrom4([4]byte{127, 0, 0, 1}), n), nil
	}
	var out []netip.Addr
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("bad source %q: %v", part, err)
		}
		if !isRange {
			out = append(out, a)
		} else {
			b, err := netip.ParseAddr(strings.TrimSpace(hi))
			if err != nil {
				return nil, fmt.Errorf("bad source range %q: %v", part, err)
			}
			if a.Is4() != b.Is4() || b.Less(a) {
				return nil, fmt.Errorf("bad source range %q", part)
			}
			for x := a; ; x = x.Next() {
				out = append(out, x)
				if x == b || len(out) > limit {
					break
				}
			}
		}
		if len(out) > limit {
			return nil, fmt.Errorf("more than %d source addresses", limit)
		}
	}
	return out, nil
}

// addrRange returns n consecutive addresses starting at a.
func addrRange(a netip.Addr, n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for i := 0; i < n && a.IsValid(); i++ {
		out = append(out, a)
		a = a.Next()
	}
	return out
}
