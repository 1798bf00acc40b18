package cluster

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/wsloop/wsloop/api"
)

// outMsgs is the number of messages the NATS server has sent to clients.
func outMsgs(t testing.TB, s *server.Server) int64 {
	v, err := s.Varz(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.OutMsgs
}

// TestOnlyInterestedNodesReceive checks that a publish costs one NATS
// message per node with local subscribers of the topic and nothing for the
// others, and that interest ends with the last local subscriber.
func TestOnlyInterestedNodesReceive(t *testing.T) {
	s := runNATS(t, 0, 0)
	a, fa := fakeNode(t, natsURL(s), "a", Options{})
	b, fb := fakeNode(t, natsURL(s), "b", Options{})
	c, fc := fakeNode(t, natsURL(s), "c", Options{})
	a.Interest("a-only", true)
	flush(t, a)
	if st := a.Stats(); st.Topics != 1 {
		t.Fatalf("a listens on %d topics, want 1", st.Topics)
	}
	before := outMsgs(t, s)
	const n = 50
	for i := range n {
		b.Publish("a-only", api.DataText, []byte(msg(i)))
		b.Publish("nobody", api.DataText, []byte(msg(i)))
	}
	flush(t, b)
	waitFor(t, "a's deliveries", func() bool { return len(fa.deliveries()) == n })
	if d := outMsgs(t, s) - before; d != n {
		t.Errorf("NATS sent %d messages for %d publishes to one interested node", d, n)
	}
	for i, d := range fa.deliveries() {
		if d.topic != "a-only" || d.payload != msg(i) || d.format != api.DataText || d.broadcast {
			t.Fatalf("delivery %d: %+v", i, d)
		}
	}
	for _, x := range []*Node{b, c} {
		if in := x.Conn().Stats().InMsgs; in != 0 {
			t.Errorf("%s got %d NATS messages without interest", x.Name(), in)
		}
	}
	if st := b.Stats(); st.Published != 2*n || st.Dropped() != 0 {
		t.Errorf("b: %+v", st)
	}

	// The last local subscriber left: a stops listening.
	a.Interest("a-only", false)
	flush(t, a)
	before = outMsgs(t, s)
	b.Publish("a-only", api.DataText, []byte("late"))
	flush(t, b)
	flush(t, a) // a round trip after b's: the server has routed b's message
	if d := outMsgs(t, s) - before; d != 0 {
		t.Errorf("NATS sent %d messages after interest ended", d)
	}
	if st := a.Stats(); st.Topics != 0 {
		t.Errorf("a still listens on %d topics", st.Topics)
	}
	if len(fb.deliveries())+len(fc.deliveries()) != 0 {
		t.Errorf("nodes without interest delivered %v %v", fb.deliveries(), fc.deliveries())
	}
}

// TestBroadcastReachesOtherNodesOnce checks that a broadcast reaches every
// other node once and never comes back to its own.
func TestBroadcastReachesOtherNodesOnce(t *testing.T) {
	s := runNATS(t, 0, 0)
	a, fa := fakeNode(t, natsURL(s), "a", Options{})
	b, fb := fakeNode(t, natsURL(s), "b", Options{})
	c, fc := fakeNode(t, natsURL(s), "c", Options{})
	flush(t, b) // their broadcast subscriptions are known to NATS
	flush(t, c)
	a.Broadcast(api.DataBinary, []byte{1, 2, 3})
	a.Broadcast(api.DataText, []byte("end"))
	flush(t, a)
	for _, f := range []*fakeServer{fb, fc} {
		waitFor(t, "broadcasts", func() bool { return len(f.deliveries()) == 2 })
		got := f.deliveries()
		if !got[0].broadcast || got[0].format != api.DataBinary || got[0].payload != "\x01\x02\x03" ||
			got[1].payload != "end" || got[1].format != api.DataText {
			t.Errorf("deliveries %+v", got)
		}
	}
	flush(t, a)
	if len(fa.deliveries()) != 0 {
		t.Errorf("the broadcast came back to its node: %+v", fa.deliveries())
	}
}

// TestOwnAndForeignEnvelopes checks that a node drops a message carrying
// its own origin (were NATS to echo it) and counts envelopes it cannot
// read, while the connection keeps working.
func TestOwnAndForeignEnvelopes(t *testing.T) {
	s := runNATS(t, 0, 0)
	a, fa := fakeNode(t, natsURL(s), "a", Options{})
	a.Interest("t", true)
	flush(t, a)
	raw, err := nats.Connect(natsURL(s))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	subj := a.Subject("t")
	_ = raw.Publish(subj, appendEnvelope(nil, 0, 1, a.ID(), 1, 1, []byte("mine")))
	_ = raw.Publish(subj, []byte{9, 9})
	_ = raw.Publish(subj, appendEnvelope(nil, flagBroadcast, 1, "other", 1, 1, []byte("flag on a topic")))
	_ = raw.Publish(a.bcast, appendEnvelope(nil, 0, 1, "other", 1, 1, []byte("no flag on broadcast")))
	_ = raw.Publish(subj, appendEnvelope(nil, 0, 1, "other", 1, 1, []byte("hello")))
	_ = raw.Flush()
	waitFor(t, "the foreign message", func() bool { return len(fa.deliveries()) == 1 })
	if d := fa.deliveries()[0]; d.payload != "hello" || d.topic != "t" {
		t.Errorf("delivered %+v", d)
	}
	st := a.Stats()
	if st.OwnDropped != 1 || st.BadEnvelope != 3 || st.Received != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestOversizePayload checks that a payload over NATS's max_payload is
// dropped and counted on the sender, and that nothing else is harmed.
func TestOversizePayload(t *testing.T) {
	const maxPayload = 4096
	s := runNATS(t, 0, maxPayload)
	a, fa := fakeNode(t, natsURL(s), "a", Options{})
	b, _ := fakeNode(t, natsURL(s), "b", Options{})
	a.Interest("t", true)
	flush(t, a)
	if mp := b.MaxPayload(); mp != maxPayload-headerLen(len(b.ID())) {
		t.Fatalf("MaxPayload %d", mp)
	}
	b.Publish("t", api.DataBinary, make([]byte, b.MaxPayload()+1))
	b.Publish("t", api.DataBinary, make([]byte, b.MaxPayload()))
	b.Publish("t", api.DataText, []byte("small"))
	flush(t, b)
	waitFor(t, "the fitting messages", func() bool { return len(fa.deliveries()) == 2 })
	if d := fa.deliveries(); len(d[0].payload) != b.MaxPayload() || d[1].payload != "small" {
		t.Errorf("deliveries of %d and %q bytes", len(d[0].payload), d[1].payload)
	}
	st := b.Stats()
	if st.DroppedOversize != 1 || st.Published != 2 || st.Disconnects != 0 || !st.Connected {
		t.Errorf("sender stats %+v", st)
	}
	if st := a.Stats(); st.Missed != 0 || st.Received != 2 {
		t.Errorf("receiver stats %+v", st)
	}
}

// TestNATSRestarts stops and restarts the NATS server ten times while a
// node publishes: the publishes made during an outage beyond the bounded
// reconnect buffer are dropped and counted, delivery resumes by itself
// after each restart, every message numbered by the sender is either
// delivered or counted as missed by the receiver, and goroutines and heap
// stay flat.
func TestNATSRestarts(t *testing.T) {
	s := startNATS(t, 0, 0)
	defer func() { s.Shutdown() }()
	port := s.Addr().(*net.TCPAddr).Port
	o := Options{ReconnectBuffer: 4096, ReconnectWait: 20 * time.Millisecond}
	a, _ := fakeNode(t, natsURL(s), "a", o)
	b, fb := fakeNode(t, natsURL(s), "b", o)
	b.Interest("t", true)
	flush(t, b)
	seq := 0
	publish := func(k int) {
		for range k {
			a.Publish("t", api.DataText, []byte(msg(seq)))
			seq++
		}
	}
	last := func() string {
		d := fb.deliveries()
		if len(d) == 0 {
			return ""
		}
		return d[len(d)-1].payload
	}
	// A first message sets the receiver's baseline: holes are counted from
	// the first message seen from an origin.
	publish(1)
	waitFor(t, "the first message", func() bool { return last() == msg(0) })
	var goroutines0 int
	var heap0 uint64
	for round := range 10 {
		s.Shutdown()
		waitFor(t, "both nodes to see the outage", func() bool {
			return !a.Conn().IsConnected() && !b.Conn().IsConnected()
		})
		publish(200) // about 8 KiB of envelopes, twice the reconnect buffer
		s = startNATS(t, port, 0)
		waitFor(t, "delivery to resume", func() bool {
			publish(1)
			time.Sleep(5 * time.Millisecond)
			return last() == msg(seq-1)
		})
		if round == 0 {
			goroutines0, heap0 = settle()
		}
	}
	deadline := time.Now().Add(wait)
	g, h := settle()
	for g > goroutines0+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		g, h = settle()
	}
	if g > goroutines0+2 {
		t.Errorf("goroutines grew from %d to %d over 10 restarts", goroutines0, g)
	}
	if h > heap0+8<<20 {
		t.Errorf("heap grew from %d to %d bytes over 10 restarts", heap0, h)
	}
	sa, sb := a.Stats(), b.Stats()
	numbered := sa.Published + sa.DroppedReconnectBuffer + sa.DroppedUnreachable
	if numbered != uint64(seq) || sa.DroppedSendQueue != 0 {
		t.Errorf("sender numbered %d of %d publishes: %+v", numbered, seq, sa)
	}
	if sa.DroppedReconnectBuffer == 0 || sa.Reconnects < 10 {
		t.Errorf("sender: %d dropped over the reconnect buffer, %d reconnects", sa.DroppedReconnectBuffer, sa.Reconnects)
	}
	if sb.Received+sb.Missed != numbered || sb.Received != uint64(len(fb.deliveries())) {
		t.Errorf("receiver: %d received + %d missed, want %d numbered (%d delivered)",
			sb.Received, sb.Missed, numbered, len(fb.deliveries()))
	}
	seen := map[string]bool{}
	for _, d := range fb.deliveries() {
		if seen[d.payload] {
			t.Fatalf("%s delivered twice", d.payload)
		}
		seen[d.payload] = true
	}
	t.Logf("%d publishes: %d sent, %d over the reconnect buffer; receiver got %d, missed %d", seq,
		sa.Published, sa.DroppedReconnectBuffer, sb.Received, sb.Missed)
}

// settle returns the goroutine count and live heap after a collection.
func settle() (int, uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}

// TestCloseEndsEverything checks that Close stops the node's goroutines
// and that later Bridge calls are counted, not sent.
func TestCloseEndsEverything(t *testing.T) {
	s := runNATS(t, 0, 0)
	g0, _ := settle()
	a, _ := fakeNode(t, natsURL(s), "a", Options{})
	a.Interest("t", true)
	flush(t, a)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Publish("t", api.DataText, []byte("x"))
	a.Broadcast(api.DataText, []byte("x"))
	a.Interest("u", true)
	if st := a.Stats(); st.DroppedClosed != 2 || st.Connected {
		t.Errorf("after Close: %+v", st)
	}
	waitFor(t, "the node's goroutines to end", func() bool { g, _ := settle(); return g <= g0 })
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestBadPrefix checks that a prefix that is not a subject is refused.
func TestBadPrefix(t *testing.T) {
	for _, p := range []string{"a b", "a.*", ">", ".a", "a."} {
		if _, err := newNode(newFake(), Options{Prefix: p, Logger: quiet}); err == nil || !strings.Contains(err.Error(), "prefix") {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
}

// TestSendQueueBound checks that a publish that would take the send queue
// over its byte bound is dropped and counted, and that smaller ones pass.
func TestSendQueueBound(t *testing.T) {
	s := runNATS(t, 0, 0)
	a, fa := fakeNode(t, natsURL(s), "a", Options{})
	b, _ := fakeNode(t, natsURL(s), "b", Options{SendQueueBytes: 1024})
	a.Interest("t", true)
	flush(t, a)
	b.Publish("t", api.DataBinary, make([]byte, 2048))
	b.Publish("t", api.DataText, []byte("fits"))
	flush(t, b)
	waitFor(t, "the fitting message", func() bool { return len(fa.deliveries()) == 1 })
	if st := b.Stats(); st.DroppedSendQueue != 1 || st.Published != 1 {
		t.Errorf("sender %+v", st)
	}
}

// TestInterestFollowsTheLastChange flips a topic's interest quickly: the
// NATS subscription ends in the last state asked for, whatever the batching.
func TestInterestFollowsTheLastChange(t *testing.T) {
	s := runNATS(t, 0, 0)
	a, _ := fakeNode(t, natsURL(s), "a", Options{})
	for i := range 101 {
		a.Interest("flip", i%2 == 0)
	}
	flush(t, a)
	if !a.Listening("flip") || a.Stats().Topics != 1 {
		t.Fatalf("after on last: listening %v, %d topics", a.Listening("flip"), a.Stats().Topics)
	}
	for i := range 100 {
		a.Interest("flip", i%2 == 1)
	}
	a.Interest("flip", false)
	flush(t, a)
	if a.Listening("flip") || a.Stats().Topics != 0 {
		t.Fatalf("after off last: listening %v, %d topics", a.Listening("flip"), a.Stats().Topics)
	}
}
