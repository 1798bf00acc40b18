package engine

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// topicHandler subscribes a connection to the topic named in a text
// message "sub:NAME", unsubscribes on "unsub:NAME", and records the
// engine's interest calls.
type topicHandler struct {
	testHandler
	mu       sync.Mutex
	interest []string
	subErrs  []error
}

func (h *topicHandler) Data(c *Conn, op codec.OpCode, data []byte, eom bool) {
	msg := string(data)
	var err error
	if name, ok := strings.CutPrefix(msg, "sub:"); ok {
		err = h.eng.Subscribe(c.ID(), name)
	} else if name, ok := strings.CutPrefix(msg, "unsub:"); ok {
		err = h.eng.Unsubscribe(c.ID(), name)
	}
	if err != nil {
		h.mu.Lock()
		h.subErrs = append(h.subErrs, err)
		h.mu.Unlock()
	}
}

func (h *topicHandler) onInterest(topic string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	state := "off"
	if on {
		state = "on"
	}
	h.interest = append(h.interest, topic+":"+state)
}

func (h *topicHandler) interestLog() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.interest, " ")
}

// startTopicEngine runs an engine whose handler is a topicHandler.
func startTopicEngine(t *testing.T, opts Options) (*Engine, *topicHandler) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	h := &topicHandler{}
	opts.OnInterest = h.onInterest
	e, err := New(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	h.eng = e
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(t.Context()) })
	return e, h
}

// clientConn is a raw client of the topic tests.
type clientConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (cc clientConn) send(t *testing.T, text string) {
	t.Helper()
	f := ws.MaskFrameInPlace(ws.NewTextFrame([]byte(text)))
	if err := ws.WriteFrame(cc.c, f); err != nil {
		t.Fatal(err)
	}
}

func (cc clientConn) read(t *testing.T) string {
	t.Helper()
	_ = cc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := ws.ReadFrame(cc.br)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(f.Payload)
}

func dialClients(t *testing.T, e *Engine, n int) []clientConn {
	t.Helper()
	out := make([]clientConn, n)
	for i := range out {
		c, br := rawUpgrade(t, "127.0.0.1:"+itoa(e.Port()), nil)
		t.Cleanup(func() { c.Close() })
		out[i] = clientConn{c, br}
	}
	return out
}

// A publish reaches the subscribers on every loop and nobody else; a
// Broadcast posted after it arrives after it, so each connection's first
// frame tells whether the publish reached it.
func TestPublishReachesSubscribersOnly(t *testing.T) {
	t.Parallel()
	e, _ := startTopicEngine(t, Options{NumLoops: 3})
	clients := dialClients(t, e, 12)
	for _, cc := range clients[:6] {
		cc.send(t, "sub:news.eu")
	}
	clients[6].send(t, "sub:sport")
	waitFor(t, "6 subscribers", func() bool { return e.Subscribers("news.eu") == 6 })
	if err := e.Publish("news.eu", codec.OpText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	e.Broadcast(codec.OpText, []byte("end"), nil)
	for i, cc := range clients {
		want := "end"
		if i < 6 {
			want = "hello"
		}
		if got := cc.read(t); got != want {
			t.Errorf("client %d got %q first, want %q", i, got, want)
		}
	}
	m := e.Metrics()
	if m.TopicDeliveries.Load() != 6 || m.Published.Load() != 1 {
		t.Errorf("TopicDeliveries %d Published %d, want 6 and 1", m.TopicDeliveries.Load(), m.Published.Load())
	}
}

// Subscriptions end on Unsubscribe and when the connection closes; the
// node's interest follows its first and last subscriber, in order.
func TestSubscriptionsEndOnUnsubscribeAndClose(t *testing.T) {
	t.Parallel()
	e, h := startTopicEngine(t, Options{NumLoops: 2})
	clients := dialClients(t, e, 3)
	for _, cc := range clients {
		cc.send(t, "sub:room")
		cc.send(t, "sub:room") // twice is once
	}
	waitFor(t, "3 subscribers", func() bool { return e.Subscribers("room") == 3 })
	if got := e.Topics(); len(got) != 1 || got[0] != "room" {
		t.Errorf("Topics() = %q", got)
	}
	clients[0].send(t, "unsub:room")
	waitFor(t, "2 subscribers", func() bool { return e.Subscribers("room") == 2 })
	clients[1].c.Close()
	waitFor(t, "1 subscriber", func() bool { return e.Subscribers("room") == 1 })
	if got := h.interestLog(); got != "room:on" {
		t.Errorf("interest %q while subscribed, want room:on", got)
	}
	clients[2].c.Close()
	waitFor(t, "no subscriber", func() bool { return e.Subscribers("room") == 0 })
	if got := h.interestLog(); got != "room:on room:off" {
		t.Errorf("interest %q, want room:on room:off", got)
	}
	if got := e.Topics(); len(got) != 0 {
		t.Errorf("Topics() = %q after the last subscriber left", got)
	}
	// A publish now reaches the remaining, unsubscribed client not at all.
	if err := e.Publish("room", codec.OpText, []byte("nobody")); err != nil {
		t.Fatal(err)
	}
	e.Broadcast(codec.OpText, []byte("end"), nil)
	if got := clients[0].read(t); got != "end" {
		t.Errorf("unsubscribed client got %q", got)
	}
	// The loops' own indexes are empty again.
	for _, l := range e.loopList() {
		done := make(chan int, 1)
		l.post(func(l *loop) { done <- len(l.topics) })
		if n := <-done; n != 0 {
			t.Errorf("loop %d still lists %d topics", l.idx, n)
		}
	}
}

// Limits: bad names, too many subscriptions and oversized payloads get
// their errors and change nothing.
func TestTopicLimits(t *testing.T) {
	t.Parallel()
	e, h := startTopicEngine(t, Options{NumLoops: 1, MaxSubscriptions: 3, MaxTopicLength: 16, MaxPublishSize: 100})
	cc := dialClients(t, e, 1)[0]
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		cc.send(t, "sub:"+name)
	}
	cc.send(t, "sub:bad name")
	cc.send(t, "sub:"+strings.Repeat("x", 17))
	waitFor(t, "4 errors", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return len(h.subErrs) == 4 })
	h.mu.Lock()
	errs := h.subErrs
	h.mu.Unlock()
	want := []error{ErrTooManySubscriptions, ErrTooManySubscriptions, ErrTopicInvalid, ErrTopicTooLong}
	for i := range want {
		if !errors.Is(errs[i], want[i]) {
			t.Errorf("error %d = %v, want %v", i, errs[i], want[i])
		}
	}
	if n := len(e.Topics()); n != 3 {
		t.Errorf("%d topics, want 3", n)
	}
	if err := e.Publish("a", codec.OpBinary, make([]byte, 101)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("oversized publish: %v", err)
	}
	if err := e.Publish("a", codec.OpBinary, make([]byte, 100)); err != nil {
		t.Errorf("publish at the limit: %v", err)
	}
	if got := cc.read(t); len(got) != 100 {
		t.Errorf("got %d bytes, want the 100-byte publish", len(got))
	}
}

// Topic names map to literal NATS subjects.
func TestValidTopic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"news", nil},
		{"news.eu.fr", nil},
		{"A-b_9", nil},
		{"", ErrTopicInvalid},
		{".news", ErrTopicInvalid},
		{"news.", ErrTopicInvalid},
		{"news..eu", ErrTopicInvalid},
		{"news.*", ErrTopicInvalid},
		{"news.>", ErrTopicInvalid},
		{"a b", ErrTopicInvalid},
		{"a\tb", ErrTopicInvalid},
		{"é", ErrTopicInvalid},
		{strings.Repeat("a", 10), nil},
		{strings.Repeat("a", 11), ErrTopicTooLong},
	} {
		if err := ValidTopic(tc.name, 10); !errors.Is(err, tc.want) {
			t.Errorf("ValidTopic(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzValidTopic: every accepted name is a literal NATS subject.
func FuzzValidTopic(f *testing.F) {
	for _, s := range []string{"a.b", "a..b", "*", ">", "a b", "x.y-z_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidTopic(s, 128) != nil {
			return
		}
		if s == "" || len(s) > 128 || strings.ContainsAny(s, "*> \t\r\n") {
			t.Fatalf("accepted %q", s)
		}
		for _, tok := range strings.Split(s, ".") {
			if tok == "" {
				t.Fatalf("accepted %q with an empty token", s)
			}
		}
	})
}

// The loop's index stays consistent with a model through random
// subscribes, unsubscribes and closes: every listed connection knows its
// place, every subscription is listed once, and empty topics disappear.
func TestTopicIndexAgainstModel(t *testing.T) {
	t.Parallel()
	e, l, conns := benchLoop(t, 40, 0)
	names := []string{"a", "b", "c", "d", "e"}
	model := map[*Conn]map[string]bool{}
	for _, c := range conns {
		model[c] = map[string]bool{}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 20000 {
		c := conns[rng.IntN(len(conns))]
		name := names[rng.IntN(len(names))]
		switch r := rng.IntN(10); {
		case r < 5:
			err := e.Subscribe(c.id, name)
			if c.state != stateOpen {
				if !errors.Is(err, ErrNotConnected) {
					t.Fatalf("subscribe on a closed connection: %v", err)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			model[c][name] = true
		case r < 9:
			if err := e.Unsubscribe(c.id, name); err != nil && !errors.Is(err, ErrNotConnected) {
				t.Fatal(err)
			}
			delete(model[c], name)
		default: // close, as OnClose does, and replace the connection
			c.mu.Lock()
			c.moveLocked(stateClosed)
			c.mu.Unlock()
			e.reg.remove(c.id)
			l.removeConn(c)
			l.dropTopics(c)
			delete(model, c)
			nc := openBenchConn(e, l)
			model[nc] = map[string]bool{}
			for i := range conns {
				if conns[i] == c {
					conns[i] = nc
				}
			}
		}
		if step%7 == 0 {
			l.drain()
			checkTopicIndex(t, e, l, model)
		}
	}
	l.drain()
	checkTopicIndex(t, e, l, model)
}

func checkTopicIndex(t *testing.T, e *Engine, l *loop, model map[*Conn]map[string]bool) {
	t.Helper()
	want := map[string]int{}
	for _, subs := range model {
		for name := range subs {
			want[name]++
		}
	}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if got := e.Subscribers(name); got != want[name] {
			t.Fatalf("Subscribers(%s) = %d, want %d", name, got, want[name])
		}
		lt := l.topics[name]
		if want[name] == 0 {
			if lt != nil {
				t.Fatalf("empty topic %s still listed on the loop", name)
			}
			continue
		}
		if lt == nil || len(lt.conns) != want[name] {
			t.Fatalf("topic %s lists %v, want %d", name, lt, want[name])
		}
		for i, c := range lt.conns {
			if !model[c][name] {
				t.Fatalf("topic %s lists a connection that is not subscribed", name)
			}
			found := 0
			for _, s := range c.x.Load().lsubs {
				if s.lt == lt {
					found++
					if int(s.i) != i {
						t.Fatalf("topic %s: connection at %d thinks it is at %d", name, i, s.i)
					}
				}
			}
			if found != 1 {
				t.Fatalf("topic %s: connection lists it %d times", name, found)
			}
		}
	}
}
