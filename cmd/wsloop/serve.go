package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wsloop/wsloop/api"
)

// serveFlags are the serve command's settings: the Config settings that
// declare a flag (api.Config.RegisterFlags), and the command's own.
type serveFlags struct {
	cfg        api.Config
	addr       string
	tlsCert    string
	tlsKey     string
	selfSigned bool
	pprof      string
	mount      string
	summary    time.Duration
	cluster    clusterFlags
	gc         gcFlags
}

// ownFlags are the serve flags that are not Config settings.
var ownFlags = []string{"addr", "tls-cert", "tls-key", "tls-self-signed", "mount", "summary", "pprof",
	"nats", "node", "nats-embed", "nats-prefix", "gogc", "memory-limit"}

// serveDefaults are the settings whose serve default differs from the
// library's on purpose: a command shows what it does (startup, errors and
// summaries at LogLevel 1) where a library stays quiet. Any other flag
// defaults to its field's declared default (TestServeFlagDefaults).
var serveDefaults = map[string]string{"LogLevel": "1"}

// serveUsage describes the serve command; the flags follow it.
const serveUsage = `usage: wsloop serve [flags]

Runs the WebSocket server with a demo application until SIGINT or SIGTERM,
then closes every connection with 1001 and exits 0.

Endpoints (on -addr, and on -mount when given):
  /echo          WebSocket: every message comes back with its type
  /chat          WebSocket: every message goes to every /chat connection
  /pubsub        WebSocket: subscribe to topics and publish (text protocol; see README)
  /cluster       the cluster's nodes (with -nats)
  /              the demo page (a browser client of /echo and /chat)
  /healthz       200 "ok"
  /metrics       Prometheus text format (wsloop_*, go_*, process_*)
  /metrics.json  the same counters as JSON (read by the demo page)

Flags:
`

func newServeFlags(stderr io.Writer) (*serveFlags, *flag.FlagSet) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	for name, v := range serveDefaults {
		if err := f.cfg.Set(name, v); err != nil {
			panic(err) // a wrong entry in serveDefaults
		}
	}
	f.cfg.RegisterFlags(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address host:port (port 0 picks one)")
	fs.DurationVar(&f.summary, "summary", 10*time.Second, "at -log 1 and above, log a one-line summary this often while there is activity (0 = never)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file: serve wss://")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file for -tls-cert")
	fs.BoolVar(&f.selfSigned, "tls-self-signed", false, "serve wss:// with a fresh self-signed certificate (demos)")
	fs.StringVar(&f.mount, "mount", "", "also serve the same endpoints from a net/http server on this address, upgrades handed to the event loops (TLS through net/http when TLS is on)")
	fs.StringVar(&f.pprof, "pprof", "", "serve net/http/pprof on this separate address (e.g. 127.0.0.1:6060)")
	f.cluster.register(fs)
	f.gc.register(fs)
	return f, fs
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, error) {
	f, fs := newServeFlags(stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f, nil
}

// config builds the server configuration from the flags.
func (f *serveFlags) config(logger *slog.Logger) (api.Config, error) {
	host, portStr, err := net.SplitHostPort(f.addr)
	if err != nil {
		return api.Config{}, fmt.Errorf("bad -addr: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return api.Config{}, fmt.Errorf("bad -addr port %q", portStr)
	}
	cfg := f.cfg
	cfg.LocalHost, cfg.LocalPort = host, port
	cfg.BufferMessage = true // the demo echoes and broadcasts whole messages
	cfg.Logger = logger
	tlsCfg, err := f.tlsConfig()
	if err != nil {
		return api.Config{}, err
	}
	cfg.TLS = tlsCfg
	return cfg, nil
}

// app is the demo application: /echo echoes, /chat is a room on a topic
// (shared by every node of a cluster), /pubsub speaks the pub/sub protocol.
type app struct {
	srv     *api.Server
	cluster *clusterState
	prom    http.Handler // /metrics
}

func (a *app) events() api.Events {
	return api.Events{
		OnDataIn: func(e *api.DataInEvent) {
			if e.DataFormat == api.DataPong {
				return
			}
			switch ud := a.srv.UserData(e.ConnectionID); {
			case isChat(ud):
				_ = a.srv.Publish(chatTopic, e.DataFormat, e.Data)
				return
			case isPubsub(ud):
				a.pubsubIn(e)
				return
			}
			_ = a.srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
		},
		OnWebSocketOpenRequest: func(e *api.WebSocketOpenRequestEvent) {
			path, _, _ := strings.Cut(e.RequestURI, "?")
			switch path {
			case "/echo", "/":
			case "/chat":
				_ = a.srv.SetUserData(e.ConnectionID, chatRoom{})
			case "/pubsub":
				_ = a.srv.SetUserData(e.ConnectionID, pubsubConn{})
			default:
				e.StatusCode, e.Reason = http.StatusNotFound, "no WebSocket endpoint at "+path+" (try /echo, /chat or /pubsub)"
			}
		},
		OnConnected: func(e *api.ConnectedEvent) {
			if isChat(a.srv.UserData(e.ConnectionID)) {
				_ = a.srv.Subscribe(e.ConnectionID, chatTopic)
			}
		},
	}
}

// chatRoom marks connections of the /chat room.
type chatRoom struct{}

func isChat(v any) bool { _, ok := v.(chatRoom); return ok }

// httpHandler serves the demo page, health and metrics; ws answers the
// WebSocket endpoints' paths.
func (a *app) httpHandler(ws http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, demoPage)
	})
	mux.Handle("/echo", ws)
	mux.Handle("/chat", ws)
	mux.Handle("/pubsub", ws)
	mux.HandleFunc("GET /cluster", func(w http.ResponseWriter, r *http.Request) { a.cluster.handle(w, r) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	a.metricsHandlers(mux)
	return mux
}

// upgradeRequired answers plain HTTP requests to the WebSocket endpoints
// on wsloop's own listener (upgrades never reach the HTTP handler there).
func upgradeRequired(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Upgrade", "websocket")
	w.Header().Set("Sec-WebSocket-Version", "13")
	http.Error(w, "this is a WebSocket endpoint: upgrade required", http.StatusUpgradeRequired)
}

// startApp starts the demo application's server with cfg, joined to the
// cluster that cf names (if any).
func startApp(cfg api.Config, cf ...clusterFlags) (*app, error) {
	a := &app{}
	cfg.HTTPHandler = a.httpHandler(http.HandlerFunc(upgradeRequired))
	a.srv = api.New(cfg, a.events())
	a.prom = a.newPromHandler()
	var c clusterFlags
	if len(cf) > 0 {
		c = cf[0]
	}
	cs, err := joinCluster(a.srv, &c, clusterLogger(cfg))
	if err != nil {
		return nil, err
	}
	a.cluster = cs
	if err := a.srv.Listen(); err != nil {
		cs.close()
		return nil, err
	}
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
	}
	cs.run(scheme + "://" + a.srv.Addr() + "/")
	return a, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := stderr
	if wantsHelp(args) {
		out = stdout // asked for: help is the output
	}
	f, err := parseServeFlags(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: api.SlogLevel(f.cfg.LogLevel)}))
	cfg, err := f.config(logger)
	if err != nil {
		fmt.Fprintln(stderr, "wsloop:", err)
		return 2
	}
	if err := f.gc.apply(); err != nil {
		fmt.Fprintln(stderr, "wsloop:", err)
		return 2
	}
	if f.pprof != "" {
		startPprof(f.pprof, stderr)
	}
	a, err := startApp(cfg, f.cluster)
	if err != nil {
		fmt.Fprintln(stderr, "wsloop: listen:", err)
		return 1
	}
	scheme, wsScheme := "http", "ws"
	if cfg.TLS != nil {
		scheme, wsScheme = "https", "wss"
	}
	addr := net.JoinHostPort(cfg.LocalHost, strconv.Itoa(a.srv.LocalPort()))
	fmt.Fprintf(stdout, "wsloop listening on %s://%s  (demo page: %s://%s/  echo: %s://%s/echo  chat: %s://%s/chat)\n",
		wsScheme, addr, scheme, addr, wsScheme, addr, wsScheme, addr)
	printCluster(stdout, a, f.cluster)
	var hs *http.Server
	if f.mount != "" {
		var maddr string
		hs, maddr, err = a.serveMounted(f.mount, cfg.TLS, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "wsloop: -mount:", err)
			_ = a.srv.Shutdown(context.Background())
			return 1
		}
		fmt.Fprintf(stdout, "wsloop mounted in net/http on %s://%s  (echo: %s://%s/echo  chat: %s://%s/chat)\n",
			scheme, maddr, wsScheme, maddr, wsScheme, maddr)
	}
	if f.cfg.LogLevel >= 1 {
		logger.LogAttrs(ctx, slog.LevelInfo, "started", slog.String("addr", addr), slog.Bool("tls", cfg.TLS != nil),
			slog.Bool("compress", f.cfg.Compression.Enabled), slog.String("mount", f.mount))
		if f.summary > 0 {
			go logSummaries(ctx, a.srv, logger, f.summary)
		}
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "wsloop: shutting down")
	if hs != nil {
		_ = hs.Close() // hijacked connections are the WebSocket server's
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = a.srv.Shutdown(sctx)
	a.cluster.close()
	if err != nil {
		fmt.Fprintln(stderr, "wsloop: shutdown:", err)
		return 1
	}
	return 0
}
