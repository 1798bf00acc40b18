package api_test

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/wsloop/wsloop/api"
)

// topicHooks subscribe a connection to the topic named in a text message
// "sub:NAME", unsubscribe it on "unsub:NAME", and publish on
// "pub:NAME:TEXT", all from the handler (on the event loop). Errors are
// recorded as "error" events with the connection's ID.
func topicHooks() hooks {
	return hooks{data: func(h *harness, e *api.DataInEvent) {
		msg := string(e.Data)
		var err error
		switch {
		case strings.HasPrefix(msg, "sub:"):
			err = h.srv.Subscribe(e.ConnectionID, msg[4:])
		case strings.HasPrefix(msg, "unsub:"):
			err = h.srv.Unsubscribe(e.ConnectionID, msg[6:])
		case strings.HasPrefix(msg, "pub:"):
			name, text, _ := strings.Cut(msg[4:], ":")
			err = h.srv.Publish(name, api.DataText, []byte(text))
		}
		if err != nil {
			h.add(record{kind: "topicerr", id: e.ConnectionID, err: err})
		}
	}}
}

// sendText writes one masked text frame.
func sendText(t testing.TB, c net.Conn, text string) {
	t.Helper()
	send(t, c, ws.OpText, true, []byte(text))
}

// Subscribe, Unsubscribe and Publish race from handlers and from other
// goroutines; afterwards the counts are exact and each connection gets
// exactly the topics it holds.
func TestTopicsConcurrent(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, topicHooks())
	const n = 8
	clients := make([]*client, n)
	ids := make([]api.ConnID, n)
	for i := range clients {
		clients[i] = h.dial(t, "/", dialOpts{})
		ids[i] = h.idOf(t, clients[i])
	}
	for i, c := range clients {
		sendText(t, c, "sub:t"+string(rune('0'+i%2)))
	}
	if !eventually(ioWait, func() bool { return h.srv.Subscribers("t0") == n/2 && h.srv.Subscribers("t1") == n/2 }) {
		t.Fatalf("subscribers t0 %d t1 %d, want %d each", h.srv.Subscribers("t0"), h.srv.Subscribers("t1"), n/2)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 200 {
				id := ids[(g+k)%n]
				if err := h.srv.Subscribe(id, "churn"); err != nil {
					t.Errorf("Subscribe: %v", err)
				}
				_ = h.srv.Publish("churn", api.DataText, []byte("churn"))
				if err := h.srv.Unsubscribe(id, "churn"); err != nil {
					t.Errorf("Unsubscribe: %v", err)
				}
				_ = h.srv.Subscribers("t0")
				_ = h.srv.Topics()
			}
		})
	}
	for k := range 50 { // publishes from handlers, while the goroutines churn
		sendText(t, clients[k%n], "pub:t0:x")
	}
	wg.Wait()
	if h.srv.Subscribers("t0") != n/2 || h.srv.Subscribers("t1") != n/2 {
		t.Errorf("subscribers t0 %d t1 %d after the churn, want %d each", h.srv.Subscribers("t0"), h.srv.Subscribers("t1"), n/2)
	}
	if got := h.srv.Subscribers("churn"); got != 0 {
		t.Errorf("churn has %d subscribers after every goroutine unsubscribed", got)
	}
	// Wait until the handlers made all 50 publishes (800 came from the
	// goroutines).
	if !eventually(ioWait, func() bool { return h.srv.Metrics().Published >= 850 }) {
		t.Fatalf("Published %d, want 850", h.srv.Metrics().Published)
	}
	if err := h.srv.Publish("t0", api.DataText, []byte("final")); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Broadcast(api.DataText, []byte("end"), nil); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		var t0 int
		for {
			_, m := readMessage(t, c)
			if string(m) == "end" {
				break
			}
			if string(m) == "x" || string(m) == "final" {
				t0++
			}
		}
		want := 0
		if i%2 == 0 {
			want = 51
		}
		if t0 != want {
			t.Errorf("client %d got %d t0 messages, want %d", i, t0, want)
		}
	}
}

// A subscriber that never reads is handled by the slow-consumer policy
// (skipped, or closed with 1008) while the other subscriber of the same
// topic gets every message, in order.
func TestTopicSlowSubscriber(t *testing.T) {
	t.Parallel()
	for _, policy := range []api.SlowConsumerPolicy{api.WouldBlock, api.CloseSlowConsumer} {
		t.Run(map[api.SlowConsumerPolicy]string{api.WouldBlock: "skip", api.CloseSlowConsumer: "close"}[policy], func(t *testing.T) {
			t.Parallel()
			h := start(t, smallBuffers(api.Config{SlowConsumer: policy}), hooks{})
			slow := h.dial(t, "/", dialOpts{})
			_ = slow.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
			fast := h.dial(t, "/", dialOpts{})
			slowID, fastID := h.idOf(t, slow), h.idOf(t, fast)
			for _, id := range []api.ConnID{slowID, fastID} {
				if err := h.srv.Subscribe(id, "feed"); err != nil {
					t.Fatal(err)
				}
			}
			var got atomic.Int64
			readErr := make(chan error, 1)
			go func() {
				for {
					_ = fast.SetReadDeadline(time.Now().Add(ioWait))
					f, err := ws.ReadFrame(fast)
					if err != nil {
						readErr <- err
						return
					}
					if seq := binary.BigEndian.Uint32(f.Payload); int64(seq) != got.Load() {
						readErr <- errors.New("fast subscriber: a message is missing or out of order")
						return
					}
					if got.Add(1) == -1 {
						return
					}
				}
			}()
			msg := make([]byte, 2<<10)
			handled := func() bool {
				m := h.srv.Metrics()
				return m.TopicDropped > 0 || m.SlowConsumers > 0
			}
			sent, extra := 0, 0
			for ; sent < 20000 && extra < 200; sent++ {
				if handled() {
					extra++
				}
				binary.BigEndian.PutUint32(msg, uint32(sent))
				if err := h.srv.Publish("feed", api.DataBinary, msg); err != nil {
					t.Fatal(err)
				}
				if sent%16 == 15 { // keep the fast reader's queue far below its limit
					want := int64(sent + 1)
					if !eventually(ioWait, func() bool { return got.Load() >= want || len(readErr) > 0 }) {
						t.Fatalf("fast subscriber stuck at %d of %d", got.Load(), want)
					}
				}
			}
			if !handled() {
				t.Fatalf("the slow subscriber was never skipped nor closed after %d messages", sent)
			}
			if !eventually(ioWait, func() bool { return got.Load() >= int64(sent) || len(readErr) > 0 }) {
				t.Fatalf("fast subscriber got %d of %d", got.Load(), sent)
			}
			select {
			case err := <-readErr:
				t.Fatal(err)
			default:
			}
			if policy == api.CloseSlowConsumer {
				if d := h.wait("disc", slowID, 1, ioWait); d[0].code != 1008 {
					t.Errorf("slow subscriber closed with %d, want 1008", d[0].code)
				}
				if !eventually(ioWait, func() bool { return h.srv.Subscribers("feed") == 1 }) {
					t.Errorf("%d subscribers after the slow one was closed", h.srv.Subscribers("feed"))
				}
			} else if info, ok := h.srv.Connection(slowID); !ok || !info.Connected {
				t.Errorf("the skipped subscriber was closed")
			}
			if len(h.records("disc", fastID)) != 0 {
				t.Errorf("the fast subscriber was disconnected")
			}
		})
	}
}

// Bad names, a subscription flood and an oversized payload get their errors;
// the connection and the other topics carry on.
func TestTopicLimitsAPI(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxSubscriptions: 4, MaxTopicLength: 20, MaxPublishSize: 1000}, topicHooks())
	flood := h.dial(t, "/", dialOpts{})
	other := h.dial(t, "/", dialOpts{})
	floodID, otherID := h.idOf(t, flood), h.idOf(t, other)
	for i := range 10 {
		sendText(t, flood, "sub:flood"+string(rune('a'+i)))
	}
	sendText(t, flood, "sub:has space")
	sendText(t, flood, "sub:wild.*")
	sendText(t, flood, "sub:"+strings.Repeat("x", 21))
	errs := h.wait("topicerr", floodID, 9, ioWait)
	for i, want := range []error{api.ErrTooManySubscriptions, api.ErrTooManySubscriptions, api.ErrTooManySubscriptions,
		api.ErrTooManySubscriptions, api.ErrTooManySubscriptions, api.ErrTooManySubscriptions,
		api.ErrTopicInvalid, api.ErrTopicInvalid, api.ErrTopicTooLong} {
		if !errors.Is(errs[i].err, want) {
			t.Errorf("error %d: %v, want %v", i, errs[i].err, want)
		}
	}
	if err := h.srv.Subscribe(otherID, "room"); err != nil {
		t.Fatalf("another connection cannot subscribe: %v", err)
	}
	if err := h.srv.Subscribe(floodID, "room"); !errors.Is(err, api.ErrTooManySubscriptions) {
		t.Errorf("fifth subscription: %v", err)
	}
	if err := h.srv.Publish("room", api.DataBinary, make([]byte, 1001)); !errors.Is(err, api.ErrPayloadTooLarge) {
		t.Errorf("oversized publish: %v", err)
	}
	if err := h.srv.Publish("bad topic", api.DataText, nil); !errors.Is(err, api.ErrTopicInvalid) {
		t.Errorf("publish to a bad name: %v", err)
	}
	if err := h.srv.Publish("room", api.DataText, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if _, m := readMessage(t, other); string(m) != "ok" {
		t.Errorf("got %q, want the publish after the refused one", m)
	}
	if err := h.srv.Publish("flooda", api.DataText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, m := readMessage(t, flood); string(m) != "still here" {
		t.Errorf("the flooding connection got %q", m)
	}
	if m := h.srv.Metrics(); m.Published != 2 || m.TopicDeliveries != 2 {
		t.Errorf("Published %d TopicDeliveries %d, want 2 and 2", m.Published, m.TopicDeliveries)
	}
}

// recBridge records what the server hands to its bridge.
type recBridge struct {
	mu    sync.Mutex
	calls []string
}

func (b *recBridge) add(s string) {
	b.mu.Lock()
	b.calls = append(b.calls, s)
	b.mu.Unlock()
}

func (b *recBridge) Interest(topic string, on bool) {
	if on {
		b.add("interest " + topic + " on")
	} else {
		b.add("interest " + topic + " off")
	}
}
func (b *recBridge) Publish(topic string, _ api.DataFormat, p []byte) {
	b.add("publish " + topic + " " + string(p))
}
func (b *recBridge) Broadcast(_ api.DataFormat, p []byte) { b.add("broadcast " + string(p)) }

func (b *recBridge) log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.calls, "; ")
}

// The bridge hears of interest changes, publishes and unfiltered
// broadcasts made on this node, never of messages that came from it.
func TestBridgeCalls(t *testing.T) {
	t.Parallel()
	b := &recBridge{}
	h := start(t, api.Config{MaxPublishSize: 100}, hooks{})
	h.srv.SetBridge(b) // before any subscription, so it sees them all
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	if err := h.srv.Subscribe(id, "news"); err != nil {
		t.Fatal(err)
	}
	_ = h.srv.Publish("news", api.DataText, []byte("mine"))
	_ = h.srv.PublishLocal("news", api.DataText, []byte("theirs"))
	_ = h.srv.Broadcast(api.DataText, []byte("all"), nil)
	_ = h.srv.Broadcast(api.DataText, []byte("some"), func(api.Target) bool { return true })
	_ = h.srv.BroadcastLocal(api.DataText, []byte("their-all"))
	if err := h.srv.Broadcast(api.DataText, make([]byte, 101), nil); !errors.Is(err, api.ErrPayloadTooLarge) {
		t.Errorf("bridged broadcast over MaxPublishSize: %v", err)
	}
	for _, want := range []string{"mine", "theirs", "all", "some", "their-all"} {
		if _, m := readMessage(t, c); string(m) != want {
			t.Fatalf("got %q, want %q", m, want)
		}
	}
	_ = c.Close()
	if !eventually(ioWait, func() bool { return strings.HasSuffix(b.log(), "interest news off") }) {
		t.Fatalf("bridge calls: %s", b.log())
	}
	if got, want := b.log(), "interest news on; publish news mine; broadcast all; interest news off"; got != want {
		t.Errorf("bridge calls:\n got %s\nwant %s", got, want)
	}
	h.srv.SetBridge(nil)
}

// A publish is compressed once for the subscribers that negotiated
// permessage-deflate and sent plain to the others.
func TestPublishCompressed(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{Compression: api.Compression{Enabled: true}}, hooks{})
	zc := h.dial(t, "/", dialOpts{extensions: []httphead.Option{wsflate.Parameters{}.Option()}})
	plain := h.dial(t, "/", dialOpts{})
	for _, c := range []*client{zc, plain} {
		if err := h.srv.Subscribe(h.idOf(t, c), "news"); err != nil {
			t.Fatal(err)
		}
	}
	msg := []byte(strings.Repeat("all the news that fits ", 200))
	if err := h.srv.Publish("news", api.DataText, msg); err != nil {
		t.Fatal(err)
	}
	f := readFrame(t, zc)
	if r1, _, _ := ws.RsvBits(f.Header.Rsv); !r1 || len(f.Payload) >= len(msg)/4 {
		t.Fatalf("deflate subscriber: rsv1 %v, %d bytes for %d", r1, len(f.Payload), len(msg))
	}
	f, err := wsflate.DecompressFrame(f)
	if err != nil || string(f.Payload) != string(msg) {
		t.Fatalf("inflated %d bytes, %v", len(f.Payload), err)
	}
	f = readFrame(t, plain)
	if r1, _, _ := ws.RsvBits(f.Header.Rsv); r1 || string(f.Payload) != string(msg) {
		t.Fatalf("plain subscriber: rsv1 %v, %d bytes", r1, len(f.Payload))
	}
}

// Subscriptions racing with closes leave no count behind: once every
// connection is gone the topic has no subscriber and the bridge heard
// "off" last.
func TestSubscribeWhileClosing(t *testing.T) {
	t.Parallel()
	b := &recBridge{}
	h := start(t, api.Config{}, hooks{})
	h.srv.SetBridge(b)
	const n = 20
	clients := make([]*client, n)
	ids := make([]api.ConnID, n)
	for i := range clients {
		clients[i] = h.dial(t, "/", dialOpts{})
		ids[i] = h.idOf(t, clients[i])
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 500 {
				id := ids[(g*7+k)%n]
				_ = h.srv.Subscribe(id, "x")
				_ = h.srv.Publish("x", api.DataText, []byte("m"))
				if k%3 == 0 {
					_ = h.srv.Unsubscribe(id, "x")
				}
			}
		})
	}
	for _, c := range clients {
		_ = c.Close()
	}
	wg.Wait()
	if !eventually(ioWait, func() bool { return h.srv.ConnectionCount() == 0 }) {
		t.Fatalf("%d connections left", h.srv.ConnectionCount())
	}
	if got := h.srv.Subscribers("x"); got != 0 {
		t.Errorf("%d subscribers after every connection closed", got)
	}
	if got := h.srv.Topics(); len(got) != 0 {
		t.Errorf("Topics() = %q", got)
	}
	// Interest calls alternate on, off, on, ... and end with off.
	want := "on"
	for call := range strings.SplitSeq(b.log(), "; ") {
		state, ok := strings.CutPrefix(call, "interest x ")
		if !ok {
			continue
		}
		if state != want {
			t.Fatalf("interest %s where %s was due", state, want)
		}
		want = map[string]string{"on": "off", "off": "on"}[state]
	}
	if want != "on" {
		t.Errorf("the last interest call was not off")
	}
}

// panicBridge panics in every call.
type panicBridge struct{}

func (panicBridge) Interest(string, bool)                  { panic("bridge interest") }
func (panicBridge) Publish(string, api.DataFormat, []byte) { panic("bridge publish") }
func (panicBridge) Broadcast(api.DataFormat, []byte)       { panic("bridge broadcast") }

// A bridge that panics on an interest change (called from Subscribe, and
// on the event loop when the last subscriber closes) is counted in
// Metrics.Panics; the subscription change stands and the server carries on.
func TestBridgeInterestPanic(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	h.srv.SetBridge(panicBridge{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	if err := h.srv.Subscribe(id, "news"); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Subscribers("news"); got != 1 {
		t.Fatalf("%d subscribers", got)
	}
	_ = c.Close()
	if !eventually(ioWait, func() bool { return h.srv.Subscribers("news") == 0 && h.srv.Metrics().Panics == 2 }) {
		t.Fatalf("subscribers %d, panics %d; want 0 and 2", h.srv.Subscribers("news"), h.srv.Metrics().Panics)
	}
	other := h.dial(t, "/", dialOpts{})
	if err := h.srv.SendText(h.idOf(t, other), "alive"); err != nil {
		t.Fatal(err)
	}
	if _, m := readMessage(t, other); string(m) != "alive" {
		t.Errorf("got %q", m)
	}
}
