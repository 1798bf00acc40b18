// Command benchserver runs one benchmark server until SIGINT or SIGTERM:
//
//	benchserver -impl gorilla -addr 127.0.0.1:9001 -mode echo [-cert F -key F]
//
// benchrun starts it as a separate process so its RSS and CPU time can be
// read from /proc.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/wsloop/wsloop/bench/servers"
	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("benchserver", flag.ContinueOnError)
	impl := fs.String("impl", "", "implementation: "+strings.Join(servers.Names, ", "))
	addr := fs.String("addr", "127.0.0.1:9001", "listen address")
	mode := fs.String("mode", serverutil.ModeEcho, "echo or broadcast")
	cert := fs.String("cert", "", "PEM certificate `file`: serve wss:// (TLS 1.3 only; with -key)")
	key := fs.String("key", "", "PEM key `file` of -cert")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = serverutil.WithReady(ctx, func(a net.Addr) {
		fmt.Fprintf(os.Stderr, "benchserver: %s %s listening on %s\n", *impl, *mode, a)
	})
	if (*cert == "") != (*key == "") {
		fmt.Fprintln(os.Stderr, "benchserver: -cert and -key go together")
		return 2
	}
	cfg := serverutil.Config{Addr: *addr, Mode: *mode, CertFile: *cert, KeyFile: *key}
	if err := servers.Run(ctx, *impl, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		return 1
	}
	return 0
}
