package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a NATS server in this process on addr (host:port; port 0
// picks one), so that a cluster can be tried with nothing installed.
func startNATS(addr string) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bad NATS address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("bad NATS port %q", portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	s, err := server.NewServer(&server.Options{Host: host, Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("NATS server did not start on %s", addr)
	}
	return s, nil
}

// natsCmd is `wsloop nats`: an embedded NATS server for `make cluster` and
// other one-machine tries.
func natsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4222", "listen address host:port of the NATS server")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := startNATS(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "wsloop nats:", err)
		return 1
	}
	fmt.Fprintf(stdout, "NATS server listening on %s\n", s.ClientURL())
	<-ctx.Done()
	s.Shutdown()
	s.WaitForShutdown()
	return 0
}
