package loadtest

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// cliFlags are the values of the `wsloop loadtest` flags. Several flags
// feed more than one scenario (-rate is the echo request rate, the
// broadcast sender's rate and the churn cycle rate); options turns them
// into the one scenario struct the run uses.
type cliFlags struct {
	o        Options
	urls     stringList
	scenario string
	jsonPath string
	report   string
	procs    int
	script   string
	sources  string

	headers, subprotocols      stringList
	thresholds                 thresholdList
	cookies, cert, key, caFile string

	size, inflight, messages int
	rate                     float64
	binary                   bool

	topics, publishers int
	soak               bool
	outageGap          time.Duration

	attacks, metrics         string
	attackers, attackRounds  int
	budgetConns              int
	attackTimeout, baseline  time.Duration
	serverMaxMessage, cycles int
	cpuProfile               string
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// thresholdList is the repeatable -threshold flag.
type thresholdList []Threshold

func (l *thresholdList) String() string {
	var s []string
	for _, t := range *l {
		s = append(s, t.Expr)
	}
	return strings.Join(s, ",")
}

func (l *thresholdList) Set(s string) error {
	t, err := ParseThreshold(s)
	if err != nil {
		return err
	}
	*l = append(*l, t)
	return nil
}

// register declares the flags on fs.
func (f *cliFlags) register(fs *flag.FlagSet) {
	o := &f.o
	fs.Var(&f.urls, "url", "target `URL`; repeat it (or give several arguments) to spread the connections over several targets")
	fs.StringVar(&f.scenario, "scenario", ScenarioEcho, "idle, echo, broadcast, churn, handshake, hostile, soak, script or pubsub")
	fs.StringVar(&f.script, "script", "", "run the messages of a script `file` (open/send/expect/within lines; see the README); implies -scenario script")
	fs.IntVar(&o.Conns, "conns", 100, "connections (broadcast: receivers)")
	fs.DurationVar(&o.Duration, "duration", 0, "ramp plus traffic time (default 10s); then a drain of at most -timeout and closing of at most -close-timeout")
	fs.Float64Var(&o.Ramp, "ramp", 0, "connections opened per second (0: as fast as -dial-workers allow)")
	fs.IntVar(&f.size, "size", 32, "payload `bytes` per message (broadcast: at least 35; pubsub: at least 64)")
	fs.IntVar(&f.inflight, "inflight", 0, "echo: messages in flight per connection (default 1; with -rate: most outstanding, default 128)")
	fs.Float64Var(&f.rate, "rate", 0, "echo, script: total msgs/s; broadcast: sender msgs/s (default 10); pubsub: publishes/s (default 10); churn: cycles/s (default 100); handshake: limit")
	fs.IntVar(&f.messages, "messages", 0, "echo, script: messages per connection; broadcast, pubsub: messages sent in total; churn/handshake: cycles (0: until -duration); soak: per connection per cycle (default 10)")
	fs.BoolVar(&f.binary, "binary", false, "send binary frames (default text)")
	fs.StringVar(&f.sources, "sources", "", "source addresses to bind: a count N (127.0.0.1..N), a range 127.0.0.1-127.0.0.50, or a list")
	fs.BoolVar(&o.Insecure, "insecure", false, "wss: do not verify the server certificate (self-signed servers)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow non-loopback targets and sources")
	fs.StringVar(&o.Request.Origin, "origin", "", "Origin header to send")
	fs.Var(&f.headers, "header", "extra request header `'Name: value'` (repeatable), e.g. -header 'Authorization: Bearer T'")
	fs.Var(&f.subprotocols, "subprotocol", "offer this subprotocol (repeatable or comma-separated); the server must choose one")
	fs.StringVar(&f.cookies, "cookies", "", "send the cookies in `file` (cookies.txt as curl -c writes it, or name=value lines)")
	fs.StringVar(&f.cert, "cert", "", "wss: client certificate PEM `file` (with -key)")
	fs.StringVar(&f.key, "key", "", "wss: client certificate key PEM `file`")
	fs.StringVar(&f.caFile, "cacert", "", "wss: CA certificates PEM `file` to verify the server with (instead of the system's)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "sample this server process's RSS and CPU from /proc")
	fs.DurationVar(&o.Progress, "progress", 0, "progress line interval when stdout is not a terminal (default 1s; negative: none)")
	fs.Var(&f.thresholds, "threshold", "pass/fail `condition` on the result, e.g. 'p99<50ms', 'errors==0', 'rate>=10000' (repeatable); any failing one exits 3")
	fs.StringVar(&f.report, "report", "", "write a self-contained HTML report (summary and charts of the time series) to `file`")
	fs.StringVar(&f.jsonPath, "json", "", "write the result as JSON to `file`")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write the load generator's own CPU profile to `file` (is the client the bottleneck?)")
	fs.IntVar(&f.procs, "procs", 1, "run the load from this many processes (each with its share of -conns and -rate, pubsub: the first one publishes all of -rate; results merged); for more connections than one process may open")
	fs.IntVar(&o.Loops, "loops", 0, "client event loops (default GOMAXPROCS)")
	fs.IntVar(&o.DialWorkers, "dial-workers", 0, "concurrent dials and handshakes (default 64)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "dial, handshake and echo-response timeout (default 5s)")
	fs.DurationVar(&o.CloseTimeout, "close-timeout", 0, "wait for close replies at the end (default 2s)")
	fs.IntVar(&o.MaxMessageSize, "max-message", 0, "largest server message accepted in bytes (default 16 MiB)")
	fs.StringVar(&f.attacks, "attacks", "", "hostile: comma-separated attack kinds (default all: "+strings.Join(AttackKinds, ",")+")")
	fs.IntVar(&f.attackers, "attackers", 0, "hostile: concurrent hostile clients (default 4)")
	fs.IntVar(&f.attackRounds, "attack-rounds", 0, "hostile: rounds of every attack kind (default 3)")
	fs.IntVar(&f.budgetConns, "budget-conns", 0, "hostile: connections of one budget attack, each withholding the last byte of a large message (default 60)")
	fs.DurationVar(&f.attackTimeout, "attack-timeout", 0, "hostile: how long an attack waits for the server to close it; set to the server's handshake timeout plus a margin (default 12s)")
	fs.DurationVar(&f.baseline, "baseline", 0, "hostile: attacker-free echo phase before the attack phase (default 3s)")
	fs.IntVar(&f.serverMaxMessage, "server-max-message", 0, "hostile: the server's message size limit; the oversize attack declares one byte more (default 16 MiB)")
	fs.IntVar(&f.topics, "topics", 0, "pubsub: topics (default 1)")
	fs.IntVar(&f.publishers, "publishers", 0, "pubsub: connections that also publish, sharing -rate (default one per target URL)")
	fs.BoolVar(&f.soak, "soak", false, "pubsub: survive a node or the broker failing: dial dropped connections again, report outages and what they lost")
	fs.DurationVar(&f.outageGap, "outage-gap", 0, "pubsub -soak: a node without deliveries this long is in an outage (default 1s)")
	fs.IntVar(&f.cycles, "cycles", 0, "soak: cycles to run (0: until -duration)")
	fs.StringVar(&f.metrics, "metrics", "", `hostile, soak: path of the server's metrics JSON with a "Connections" field (default /metrics.json; "-": none)`)
}

// options builds the run's Options and scenario from the flags.
func (f *cliFlags) options() (Options, error) {
	o := f.o
	o.URLs = f.urls
	var err error
	if o.Sources, err = ParseSources(f.sources); err != nil {
		return o, err
	}
	if err := f.request(&o.Request); err != nil {
		return o, err
	}
	echo := Echo{Size: f.size, Binary: f.binary, Inflight: f.inflight, Rate: f.rate, Messages: f.messages}
	if f.script != "" && f.scenario == ScenarioEcho {
		f.scenario = ScenarioScript
	}
	switch f.scenario {
	case ScenarioScript:
		sc, err := f.readScript()
		if err != nil {
			return o, err
		}
		o.Scenario = sc
	case ScenarioIdle:
		o.Scenario = &Idle{}
	case ScenarioPubSub:
		o.Scenario = &PubSub{Topics: f.topics, Publishers: f.publishers, Rate: f.rate, Size: f.size, Messages: f.messages,
			Soak: f.soak, OutageGap: f.outageGap}
	case ScenarioEcho:
		o.Scenario = &echo
	case ScenarioBroadcast:
		o.Scenario = &Broadcast{Size: f.size, Binary: f.binary, Rate: f.rate, Messages: f.messages}
	case ScenarioChurn:
		o.Scenario = &Churn{Rate: f.rate, Cycles: f.messages}
	case ScenarioHandshake:
		o.Scenario = &Handshake{Rate: f.rate, Cycles: f.messages}
	case ScenarioHostile:
		h := &Hostile{Load: echo, Attackers: f.attackers, AttackRounds: f.attackRounds, AttackTimeout: f.attackTimeout, BudgetConns: f.budgetConns,
			Baseline: f.baseline, ServerMaxMessage: f.serverMaxMessage, MetricsPath: f.metrics}
		if f.attacks != "" {
			h.Attacks = strings.Split(f.attacks, ",")
		}
		o.Scenario = h
	case ScenarioSoak:
		o.Scenario = &Soak{Load: echo, Cycles: f.cycles, MetricsPath: f.metrics}
	default:
		return o, fmt.Errorf("unknown scenario %q (want idle, echo, broadcast, churn, handshake, hostile, soak, script or pubsub)", f.scenario)
	}
	if f.script != "" && f.scenario != ScenarioScript {
		return o, fmt.Errorf("-script runs the script scenario, not %s", f.scenario)
	}
	return o, nil
}

// request fills the request options from the flags.
func (f *cliFlags) request(q *Request) error {
	if len(f.headers) > 0 {
		q.Header = http.Header{}
		for _, h := range f.headers {
			if err := ParseHeader(q.Header, h); err != nil {
				return err
			}
		}
	}
	for _, p := range f.subprotocols {
		for part := range strings.SplitSeq(p, ",") {
			q.Subprotocols = append(q.Subprotocols, strings.TrimSpace(part))
		}
	}
	var err error
	if f.cookies != "" {
		if q.Cookies, err = ReadCookieFile(f.cookies); err != nil {
			return err
		}
	}
	if f.cert != "" || f.key != "" || f.caFile != "" {
		if q.TLS, err = ClientTLS(f.cert, f.key, f.caFile); err != nil {
			return err
		}
	}
	return nil
}

// readScript reads the -script file into a Script with the load flags.
func (f *cliFlags) readScript() (*Script, error) {
	if f.script == "" {
		return nil, fmt.Errorf("-scenario script needs -script FILE")
	}
	file, err := os.Open(f.script)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	s, err := ParseScript(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.script, err)
	}
	s.Binary, s.Rate, s.Inflight, s.Messages = f.binary, f.rate, f.inflight, f.messages
	return s, nil
}
