// Command wsloop runs the wsloop WebSocket server (serve), the load
// generator (loadtest) and the conformance suite (conformance).
//
//	wsloop serve [-addr 127.0.0.1:8080] [-nats URL -node NAME] [flags]
//	wsloop nats [-addr 127.0.0.1:4222]
//	wsloop loadtest -url ws://127.0.0.1:8080/echo -scenario echo -conns 1000
//	wsloop conformance -url ws://127.0.0.1:8080/echo
//	wsloop version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/wsloop/wsloop/loadtest"
	"github.com/wsloop/wsloop/loadtest/conformance"
)

const usage = `usage: wsloop <command> [flags]

commands:
  serve        run the WebSocket server (/echo, /chat, /pubsub, demo page at /, /healthz, /metrics, /metrics.json, /cluster)
  nats         run an embedded NATS server, to try a cluster with nothing installed
  loadtest     drive load against any ws:// or wss:// server
  conformance  run the RFC 6455/7692 conformance suite against an echo endpoint
  version      print the version, Go version and platform

Run 'wsloop <command> -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "loadtest":
		return loadtest.Main(ctx, args[1:], stdout, stderr)
	case "nats":
		return natsCmd(ctx, args[1:], stdout, stderr)
	case "conformance":
		return conformance.Main(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		return version(stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "wsloop: unknown command %q\n\n%s", args[0], usage)
	return 2
}
