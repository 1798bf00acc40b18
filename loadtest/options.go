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

// ErrInvalidOptions wraps every error Run returns for options it refuses.
var ErrInvalidOptions = errors.New("invalid options")

// Scenario is one kind of load: Idle, Echo, Broadcast, Churn, Handshake,
// Hostile, Soak or PubSub. Each has its own option struct; a nil Scenario
// in Options means Echo with its defaults. Run calls its phases in order:
// setup (open what the load needs), traffic (the measured load) and result
// (its figures in the Result).
type Scenario interface {
	// Name is the scenario's name in the Result and on the command line.
	Name() string
	// withDefaults returns a copy with every unset field given its default.
	withDefaults(o *Options) Scenario
	// check reports the first option the scenario refuses.
	check(o *Options) error
	load
}

// Options configures a run: the targets, how connections are made, and the
// Scenario that decides what they do. The zero value of every field but
// URLs means "use the default" (see Defaults).
type Options struct {
	URLs     []string      // ws:// or wss:// targets; connections are spread over them in turn
	Scenario Scenario      // the load (default &Echo{})
	Conns    int           // connections to open (default 100)
	Duration time.Duration // ramp plus traffic (default 10s); drain (≤ Timeout) and close (≤ CloseTimeout) follow
	Ramp     float64       // connections opened per second; 0 = as fast as the dial workers go

	Sources     []netip.Addr // local addresses to bind, used round-robin (default: let the kernel choose)
	Insecure    bool         // wss: skip certificate verification (self-signed servers)
	AllowRemote bool         // allow non-loopback targets and sources
	Request     Request      // headers, subprotocols, cookies and TLS settings of every upgrade request

	ServerPID      int           // sample this process's RSS and CPU time from /proc (0: off)
	SampleInterval time.Duration // /proc sampling interval for ServerPID (default 500ms)
	Progress       time.Duration // progress line interval when not on a terminal (default 1s; <0: off)

	Loops          int           // event loops (default GOMAXPROCS)
	DialWorkers    int           // concurrent dials/handshakes (default 64)
	Timeout        time.Duration // dial, handshake and reply timeout (default 5s)
	CloseTimeout   time.Duration // wait for close replies at the end (default 2s)
	MaxMessageSize int           // largest server message accepted (default 16 MiB)
	MaxOutstanding int           // write backlog per connection beyond which pacing skips it (default 256 KiB)
}

// Scenario names (Scenario.Name).
const (
	ScenarioIdle      = "idle"
	ScenarioEcho      = "echo"
	ScenarioBroadcast = "broadcast"
	ScenarioChurn     = "churn"
	ScenarioHandshake = "handshake"
	ScenarioHostile   = "hostile"
	ScenarioSoak      = "soak"
)

// Defaults returns o with every unset field, the scenario's included,
// given its default value.
func (o Options) Defaults() Options {
	if o.Scenario == nil {
		o.Scenario = &Echo{}
	}
	o.Scenario = o.Scenario.withDefaults(&o) // may set the run's Duration
	if o.Conns <= 0 {
		o.Conns = 100
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
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
	return o
}

// limits on option values, to keep a typo from exhausting the machine.
const (
	maxConns    = 1 << 20
	maxSize     = 64 << 20
	maxInflight = 1 << 16
	maxTargets  = 1024
)

// target is a validated, resolved target URL.
type target struct {
	url     string
	tls     bool
	addr    string // ip:port to dial
	host    string // Host header
	path    string // request URI
	srvName string // TLS server name
}

// validate checks o (after Defaults) and resolves its targets.
func (o *Options) validate(ctx context.Context) ([]target, error) {
	switch {
	case len(o.URLs) == 0:
		return nil, errors.New("no target URL")
	case len(o.URLs) > maxTargets:
		return nil, fmt.Errorf("%d target URLs, over the limit %d", len(o.URLs), maxTargets)
	case o.Conns > maxConns:
		return nil, fmt.Errorf("Conns %d is over the limit %d", o.Conns, maxConns)
	case o.Ramp < 0:
		return nil, errors.New("Ramp must not be negative")
	}
	if err := o.Request.check(); err != nil {
		return nil, err
	}
	if err := o.Scenario.check(o); err != nil {
		return nil, err
	}
	ts := make([]target, 0, len(o.URLs))
	for _, raw := range o.URLs {
		t, err := o.resolve(ctx, raw)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// resolve parses and resolves one target URL and checks the source
// addresses against it.
func (o *Options) resolve(ctx context.Context, raw string) (target, error) {
	t := target{url: raw}
	u, err := url.Parse(raw)
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
		return t, fmt.Errorf("URL %q: scheme must be ws or wss", raw)
	}
	host := u.Hostname()
	if host == "" {
		return t, fmt.Errorf("URL %q has no host", raw)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return t, fmt.Errorf("resolve %q: %v", host, err)
	}
	ip := ips[0].Unmap()
	for _, a := range ips {
		if !a.Unmap().IsLoopback() && !o.AllowRemote {
			return t, fmt.Errorf("target %s resolves to %s, which is not loopback (AllowRemote is off)", host, a)
		}
	}
	for _, s := range o.Sources {
		if !s.IsLoopback() && !o.AllowRemote {
			return t, fmt.Errorf("source %s is not loopback (AllowRemote is off)", s)
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

// checkPayload checks the payload options shared by the scenarios that send.
func checkPayload(o *Options, size int) error {
	switch {
	case size > maxSize:
		return fmt.Errorf("Size %d is over the limit %d", size, maxSize)
	case size > o.MaxMessageSize:
		return fmt.Errorf("Size %d is over MaxMessageSize %d", size, o.MaxMessageSize)
	}
	return nil
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
