package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/tlsbridge"
)

// Engine is a running WebSocket server on gnet event loops. Create it with
// New and start it with Start.
type Engine struct {
	gnet.BuiltinEventEngine
	opts    Options
	user    user
	reg     *registry
	bridge  *tlsbridge.Bridge
	nextID  atomic.Uint64
	count   atomic.Int64 // open TCP connections
	metrics Metrics
	perIP   *ipLimits // nil when both per-IP limits are off
	budget  *budget   // nil when MaxBufferedBytes < 0

	loopsMu  sync.Mutex
	loops    sync.Map // gnet.EventLoop -> *loop
	loopSet  []*loop
	loopSnap atomic.Pointer[[]*loop] // a copy of loopSet, read without the lock

	topics   topicTable
	pubTasks sync.Pool // *pubTask

	started time.Time // New; Conn.since counts seconds from it
	// clock returns the monotonic time since started; the loops' deadlines
	// are measured on it (a hook for tests).
	clock     func() time.Duration
	gnetEng   gnet.Engine
	port      int
	startErr  chan error
	loopsUp   chan struct{} // closed by the first OnTick: gnet's loops are registered
	loopsOnce sync.Once
	stopped   chan struct{}
	runErr    error
	listening atomic.Bool // accepting new connections
	running   atomic.Bool
	shutting  atomic.Bool
	inflaters workerPool // inflate large compressed messages off the loops
	// inflateBudget is the output size beyond which a loop hands a message
	// to inflaters (0 = never).
	inflateBudget int64
	logPackets    bool // Options.TLS.LogPackets
	startOnce     sync.Once
	stopOnce      sync.Once
}

// New returns an engine that will report to h. Options are copied; zero
// fields take safe defaults.
func New(opts Options, h Handler) (*Engine, error) {
	opts.normalize()
	if err := checkOriginPatterns(opts.Origins); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, user: newUser(h, opts.HTTPHandler), reg: newRegistry(), startErr: make(chan error, 1), loopsUp: make(chan struct{}), stopped: make(chan struct{}), started: time.Now()}
	e.opts.HTTPHandler = nil // reachable only through e.user, which recovers
	e.clock = func() time.Duration { return time.Since(e.started) }
	e.inflaters.max = opts.InflateWorkers
	e.initTopics()
	e.perIP = newIPLimits(&e.opts, e.started)
	e.budget = newBudget(&e.opts)
	e.inflateBudget = max(0, opts.InflateInline)
	if opts.TLS != nil {
		cfg := *opts.TLS
		cfg.OnPanic = func(error) { e.countPanic() } // the loop reports it when it fails the connection
		b, err := tlsbridge.NewBridge(cfg)
		if err != nil {
			return nil, err
		}
		e.bridge = b
		e.logPackets = opts.TLS.LogPackets
	}
	return e, nil
}

// Options returns the engine's normalized options. HTTPHandler is nil in
// them: the engine keeps it where only its recovering wrapper can call it.
func (e *Engine) Options() Options { return e.opts }

// Start binds the address, starts the event loops and returns once the
// server accepts connections.
func (e *Engine) Start() error {
	err := errors.New("wsloop: already started")
	e.startOnce.Do(func() { err = e.start() })
	return err
}

func (e *Engine) start() error {
	if err := platformSupported(); err != nil {
		return err
	}
	host, portStr, err := net.SplitHostPort(e.opts.Addr)
	if err != nil {
		return fmt.Errorf("wsloop: bad address %q: %w", e.opts.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("wsloop: bad port %q", portStr)
	}
	loops, reuse := e.loopPlan()
	if port == 0 && reuse {
		// With SO_REUSEPORT every loop binds its own socket: agree on one
		// free port first, and hold it until the loops listen on it.
		p, release, err := reservePort(host)
		if err != nil {
			return err
		}
		defer release()
		port = p
	}
	e.port = port
	nodelay := gnet.TCPDelay
	if e.opts.TCPNoDelay {
		nodelay = gnet.TCPNoDelay
	}
	gopts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(loops),
		gnet.WithReusePort(reuse),
		gnet.WithReuseAddr(e.opts.ReuseAddr),
		gnet.WithTCPNoDelay(nodelay),
		// Mount registers connections while the loops run, which gnet
		// supports only with a load balancer other than RoundRobin (whose
		// counter is not synchronized).
		gnet.WithLoadBalancing(gnet.LeastConnections),
		// gnet's ticker only tells Start that the loops exist (see
		// OnTick, which then sleeps for good); each loop has its own wake
		// timer, armed only when it has a deadline (wake.go).
		gnet.WithTicker(true),
		gnet.WithLogger(quietLogger{}),
		gnet.WithReadBufferCap(e.opts.ReadBufferSize),
	}
	if e.opts.KeepAlive > 0 {
		gopts = append(gopts, gnet.WithTCPKeepAlive(e.opts.KeepAlive), gnet.WithTCPKeepInterval(e.opts.KeepInterval))
	}
	if e.opts.SocketRecvBuf > 0 {
		gopts = append(gopts, gnet.WithSocketRecvBuffer(e.opts.SocketRecvBuf))
	}
	if e.opts.SocketSendBuf > 0 {
		gopts = append(gopts, gnet.WithSocketSendBuffer(e.opts.SocketSendBuf))
	}
	addr := "tcp://" + net.JoinHostPort(host, strconv.Itoa(port))
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		addr = "tcp6://" + net.JoinHostPort(host, strconv.Itoa(port))
	}
	e.listening.Store(true)
	go func() {
		err := gnet.Run(e, addr, gopts...)
		e.runErr = err
		select {
		case e.startErr <- err: // failed before OnBoot
		default:
		}
		e.running.Store(false)
		e.eachLoop(func(l *loop) { l.wake.timer.Stop() })
		if e.budget != nil {
			e.budget.stop()
		}
		close(e.stopped)
	}()
	if err := <-e.startErr; err != nil {
		return err
	}
	// gnet calls OnBoot before it creates its loops: wait for them, so that
	// Mount (gnet's Register) finds them as soon as Start returns.
	select {
	case <-e.loopsUp:
	case <-e.stopped:
		return e.runErr
	}
	return nil
}

// OnTick is called by gnet's ticker goroutine, which gnet starts once its
// event loops are registered: the first call tells Start they exist. It
// then sleeps for the longest delay: deadlines are driven by each loop's
// own wake timer, not by gnet's ticker. It implements gnet.EventHandler.
func (e *Engine) OnTick() (time.Duration, gnet.Action) {
	e.loopsOnce.Do(func() { close(e.loopsUp) })
	return time.Duration(1<<63 - 1), gnet.None
}

// OnBoot records the gnet engine, learns the bound port and applies the
// listen backlog. It implements gnet.EventHandler.
func (e *Engine) OnBoot(eng gnet.Engine) gnet.Action {
	e.gnetEng = eng
	e.running.Store(true)
	e.inspectListener(eng)
	e.startErr <- nil
	return gnet.None
}

// Port returns the bound TCP port.
func (e *Engine) Port() int { return e.port }

// Running reports whether the event loops run.
func (e *Engine) Running() bool { return e.running.Load() }

// Listening reports whether new connections are accepted.
func (e *Engine) Listening() bool { return e.running.Load() && e.listening.Load() }

// SetListening turns accepting of new connections on or off; existing
// connections are not affected. gnet keeps the socket bound while its loops
// run, so while off, new connections are closed at accept, before any byte
// is read.
func (e *Engine) SetListening(on bool) { e.listening.Store(on) }

// ConnectionCount returns the number of open TCP connections.
func (e *Engine) ConnectionCount() int { return int(e.count.Load()) }

// loopOf returns wsloop's loop state for a gnet loop, creating it on first use.
func (e *Engine) loopOf(el gnet.EventLoop) *loop {
	if l, ok := e.loops.Load(el); ok {
		return l.(*loop)
	}
	e.loopsMu.Lock()
	defer e.loopsMu.Unlock()
	if l, ok := e.loops.Load(el); ok {
		return l.(*loop)
	}
	l := newLoop(e, el)
	e.addLoop(el, l)
	return l
}

// addLoop lists a new loop. e.loopsMu is held.
func (e *Engine) addLoop(el any, l *loop) {
	l.idx = len(e.loopSet)
	e.loops.Store(el, l)
	e.loopSet = append(e.loopSet, l)
	snap := append([]*loop(nil), e.loopSet...)
	e.loopSnap.Store(&snap)
}

// loopList returns the loops started so far, without taking a lock (the
// broadcast and publish paths). The slice must not be modified.
func (e *Engine) loopList() []*loop {
	if p := e.loopSnap.Load(); p != nil {
		return *p
	}
	return nil
}

func (e *Engine) eachLoop(fn func(*loop)) {
	for _, l := range e.loopList() {
		fn(l)
	}
}

// Stop closes every connection at once (no close handshake) and stops the
// loops. Use Shutdown for a graceful stop.
func (e *Engine) Stop(ctx context.Context) error {
	var err error
	e.stopOnce.Do(func() {
		e.shutting.Store(true)
		e.listening.Store(false)
		if !e.running.Load() {
			return
		}
		err = e.gnetEng.Stop(ctx)
		select {
		case <-e.stopped:
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
		}
	})
	return err
}

// Done is closed when the event loops have stopped.
func (e *Engine) Done() <-chan struct{} { return e.stopped }

// Shutdown closes every WebSocket with 1001 (Going Away), waits for the
// close replies and the drain of queued output until ctx ends, then stops
// the loops.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.shutting.Store(true)
	e.listening.Store(false)
	if !e.running.Load() {
		return nil
	}
	e.eachLoop(func(l *loop) {
		l.post(func(l *loop) {
			for _, c := range append([]*Conn(nil), l.conns...) {
				if c.state == stateHandshake {
					l.closeNow(c)
					continue
				}
				l.startClose(c, codec.CloseGoingAway, "server shutdown")
			}
		})
	})
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for e.count.Load() > 0 {
		select {
		case <-ctx.Done():
			_ = e.Stop(context.Background())
			return ctx.Err()
		case <-t.C:
		}
	}
	return e.Stop(ctx)
}

// loopPlan returns the number of event loops (NumLoops, GOMAXPROCS by
// default) and whether each loop accepts on its own SO_REUSEPORT listener.
// A single loop always accepts on its own: gnet's separate accept loop
// would be one more thread blocking in epoll_wait while holding the only
// P, and the loop and the TLS handshake goroutines would then wait, with
// the core idle, until the runtime took the P back from it.
func (e *Engine) loopPlan() (loops int, reusePort bool) {
	loops = e.opts.NumLoops
	return loops, e.opts.ReusePort || loops == 1
}
