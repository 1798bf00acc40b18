package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/wsloop/wsloop/api"
)

// Helpers shared by the cluster tests: a real nats-server embedded in the
// test process, and a recording stand-in for the local server.

const wait = 15 * time.Second // bound on any wait for a condition

// runNATS starts a NATS server on 127.0.0.1 (port 0 picks one) and shuts it
// down when the test ends. maxPayload 0 keeps NATS's 1 MiB default.
func runNATS(t testing.TB, port int, maxPayload int32) *server.Server {
	t.Helper()
	s := startNATS(t, port, maxPayload)
	t.Cleanup(s.Shutdown)
	return s
}

// startNATS is runNATS without the cleanup, for servers the test stops.
func startNATS(t testing.TB, port int, maxPayload int32) *server.Server {
	t.Helper()
	if port == 0 {
		port = server.RANDOM_PORT
	}
	deadline := time.Now().Add(wait)
	for {
		s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true, MaxPayload: maxPayload})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if s.ReadyForConnections(5 * time.Second) {
			return s
		}
		s.Shutdown() // the port may still be held by the last run: retry
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not start on port %d", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func natsURL(s *server.Server) string { return s.ClientURL() }

// quiet is a logger for nodes under test.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// delivery is one message a node handed to its local server.
type delivery struct {
	topic     string // "" for a broadcast
	format    api.DataFormat
	payload   string
	broadcast bool
}

// fakeServer records what a node delivers locally.
type fakeServer struct {
	mu  sync.Mutex
	got []delivery
	ch  chan struct{}
	err error // returned by the next deliveries when set
}

func newFake() *fakeServer { return &fakeServer{ch: make(chan struct{}, 1)} }

func (f *fakeServer) add(d delivery) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, d)
	select {
	case f.ch <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeServer) PublishLocal(topic string, format api.DataFormat, p []byte) error {
	return f.add(delivery{topic: topic, format: format, payload: string(p)})
}

func (f *fakeServer) BroadcastLocal(format api.DataFormat, p []byte) error {
	return f.add(delivery{format: format, payload: string(p), broadcast: true})
}

func (f *fakeServer) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeNode joins a recording stand-in to the cluster at url.
func fakeNode(t testing.TB, url, name string, o Options) (*Node, *fakeServer) {
	t.Helper()
	f := newFake()
	o.URL, o.Name, o.Logger = url, name, quiet
	n, err := newNode(f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n, f
}

// flush is Node.Flush with the test deadline.
func flush(t testing.TB, n *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := n.Flush(ctx); err != nil {
		t.Fatalf("flush %s: %v", n.Name(), err)
	}
}

func msg(i int) string { return fmt.Sprintf("m%05d", i) }
