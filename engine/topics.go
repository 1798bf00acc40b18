package engine

import (
	"sync"
	"sync/atomic"

	"github.com/valyala/bytebufferpool"
	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/internal/guard"
)

// Topics (the uWebSockets pub/sub model). Three levels keep the publish
// path free of global locks:
//
//   - topicTable maps a topic name to a *topic: the node-wide subscriber
//     count and one count per loop. Publishers read it without a lock
//     (sync.Map, atomics); only a topic's first subscriber and its last
//     unsubscribe take topicTable.mu, which keeps OnInterest calls for a
//     topic in order.
//   - Each loop keeps loop.topics: name → its own subscribers
//     (loopTopic), touched only on that loop. A publish posts one task to
//     each loop whose count is above zero; the task walks only that list.
//   - Each connection keeps, under Conn.mu, the topics it holds a count in
//     (connExtra.topics: limits, duplicates, release on close) and, on its
//     loop, its positions in the loops' lists (connExtra.lsubs: removal in
//     O(1)).
//
// Subscribe and Unsubscribe change the counts before they return, and post
// the list change to the connection's loop, where it runs before any later
// publish task: a Publish made after Subscribe returns reaches the new
// subscriber.

// topicTable is the engine's index of topics with subscribers.
type topicTable struct {
	m     sync.Map   // name -> *topic, only while it has subscribers
	mu    sync.Mutex // first-subscriber and last-unsubscribe transitions
	slots int        // len(topic.perLoop)
}

// topic is one topic's node-wide state. Once subs falls to zero the entry
// is removed from the table and never used again: a later subscriber
// makes a new one.
type topic struct {
	name    string
	subs    atomic.Int64   // subscribers on this node
	perLoop []atomic.Int32 // subscribers per loop, indexed by loop.idx % len
}

// loopTopic is one loop's subscribers of a topic. Loop only.
type loopTopic struct {
	name  string
	conns []*Conn
}

// lsub is a connection's place in a loopTopic. Loop only.
type lsub struct {
	lt *loopTopic
	i  int32
}

// initTopics sizes the per-loop counts like gnet sizes its loops.
func (e *Engine) initTopics() {
	e.topics.slots = max(1, e.opts.NumLoops)
}

func (t *topic) count(l *loop) *atomic.Int32 { return &t.perLoop[l.idx%len(t.perLoop)] }

// acquire counts one more subscriber of name on loop l and returns the
// topic's entry. The first subscriber of the node calls OnInterest(on).
func (e *Engine) acquireTopic(name string, l *loop) *topic {
	tt := &e.topics
	if v, ok := tt.m.Load(name); ok {
		t := v.(*topic)
		for n := t.subs.Load(); n > 0; n = t.subs.Load() {
			if t.subs.CompareAndSwap(n, n+1) {
				t.count(l).Add(1)
				return t
			}
		}
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	// Under mu every entry in the table has subscribers: the last release
	// removes it in the same critical section.
	var t *topic
	if v, ok := tt.m.Load(name); ok {
		t = v.(*topic)
	} else {
		t = &topic{name: name, perLoop: make([]atomic.Int32, tt.slots)}
		tt.m.Store(name, t)
	}
	t.count(l).Add(1)
	if t.subs.Add(1) == 1 {
		e.interest(name, true)
	}
	return t
}

// releaseTopic counts one subscriber of t on loop l less. The node's last
// one removes the entry and calls OnInterest(off).
func (e *Engine) releaseTopic(t *topic, l *loop) {
	t.count(l).Add(-1)
	for n := t.subs.Load(); n > 1; n = t.subs.Load() {
		if t.subs.CompareAndSwap(n, n-1) {
			return
		}
	}
	tt := &e.topics
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if t.subs.Add(-1) == 0 {
		tt.m.CompareAndDelete(t.name, t)
		e.interest(t.name, false)
	}
}

// interest calls OnInterest (a bridge: user code) under recover; a panic
// there is counted and does not undo the subscription change. e.topics.mu
// is held.
func (e *Engine) interest(name string, on bool) {
	if e.opts.OnInterest == nil {
		return
	}
	if p := guard.Run(func() { e.opts.OnInterest(name, on) }); p != nil {
		e.countPanic()
	}
}

// Subscribe adds connection id to topic's subscribers (a no-op if it is
// one already). A Publish made after it returns reaches the connection.
// Safe from any goroutine and from handlers.
func (e *Engine) Subscribe(id uint64, name string) error {
	c, err := e.topicConn(id, name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrNotConnected
	}
	x := c.ext()
	for _, t := range x.topics {
		if t.name == name {
			return nil
		}
	}
	if len(x.topics) >= e.opts.MaxSubscriptions {
		return ErrTooManySubscriptions
	}
	t := e.acquireTopic(name, c.loop)
	x.topics = append(x.topics, t)
	// Posted under c.mu, so that a connection's list changes reach its
	// loop in the order its counts changed.
	c.loop.post(func(l *loop) { l.addSub(c, name) })
	return nil
}

// Unsubscribe removes connection id from topic's subscribers (a no-op if it
// is not one). Safe from any goroutine and from handlers.
func (e *Engine) Unsubscribe(id uint64, name string) error {
	c, err := e.topicConn(id, name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.x.Load()
	if x == nil {
		return nil
	}
	for i, t := range x.topics {
		if t.name != name {
			continue
		}
		last := len(x.topics) - 1
		x.topics[i] = x.topics[last]
		x.topics[last] = nil
		x.topics = x.topics[:last]
		e.releaseTopic(t, c.loop)
		c.loop.post(func(l *loop) { l.removeSub(c, name) })
		return nil
	}
	return nil
}

// topicConn checks a topic name and looks up connection id.
func (e *Engine) topicConn(id uint64, name string) (*Conn, error) {
	if err := e.ValidTopic(name); err != nil {
		return nil, err
	}
	c := e.reg.get(id)
	if c == nil {
		return nil, ErrNotConnected
	}
	return c, nil
}

// MaxPublishSize returns the largest payload Publish accepts.
func (e *Engine) MaxPublishSize() int { return e.opts.MaxPublishSize }

// addSub lists c among the loop's subscribers of name. Loop only.
func (l *loop) addSub(c *Conn, name string) {
	if c.state == stateClosed {
		return // closed meanwhile: its counts were released at close
	}
	lt := l.topics[name]
	if lt == nil {
		if l.topics == nil {
			l.topics = make(map[string]*loopTopic)
		}
		lt = &loopTopic{name: name}
		l.topics[name] = lt
	}
	x := c.ext()
	x.lsubs = append(x.lsubs, lsub{lt: lt, i: int32(len(lt.conns))})
	lt.conns = append(lt.conns, c)
}

// removeSub unlists c from the loop's subscribers of name. Loop only.
func (l *loop) removeSub(c *Conn, name string) {
	x := c.x.Load()
	if x == nil {
		return
	}
	for j, s := range x.lsubs {
		if s.lt.name == name {
			l.unlist(s)
			last := len(x.lsubs) - 1
			x.lsubs[j] = x.lsubs[last]
			x.lsubs[last] = lsub{}
			x.lsubs = x.lsubs[:last]
			return
		}
	}
}

// unlist swap-removes one subscriber from its loopTopic, fixing the index
// of the subscriber moved into its place. Loop only.
func (l *loop) unlist(s lsub) {
	lt := s.lt
	last := len(lt.conns) - 1
	if int(s.i) != last {
		moved := lt.conns[last]
		lt.conns[s.i] = moved
		mx := moved.x.Load()
		for k := range mx.lsubs {
			if mx.lsubs[k].lt == lt {
				mx.lsubs[k].i = s.i
				break
			}
		}
	}
	lt.conns[last] = nil
	lt.conns = lt.conns[:last]
	if last == 0 {
		delete(l.topics, lt.name)
	}
}

// dropTopics ends every subscription of a closed connection. Loop only;
// called once c.state is stateClosed, so no Subscribe can add one.
func (l *loop) dropTopics(c *Conn) {
	x := c.x.Load()
	if x == nil {
		return
	}
	c.mu.Lock()
	held := x.topics
	x.topics = nil
	c.mu.Unlock()
	for _, t := range held {
		l.eng.releaseTopic(t, l)
	}
	for _, s := range x.lsubs {
		l.unlist(s)
	}
	x.lsubs = nil
}

// Subscribers returns this node's number of subscribers of topic.
func (e *Engine) Subscribers(name string) int {
	if v, ok := e.topics.m.Load(name); ok {
		return int(v.(*topic).subs.Load())
	}
	return 0
}

// Topics returns the topics that have subscribers on this node.
func (e *Engine) Topics() []string {
	var out []string
	e.topics.m.Range(func(k, v any) bool {
		if v.(*topic).subs.Load() > 0 {
			out = append(out, k.(string))
		}
		return true
	})
	return out
}

// pubTask carries one publish to the loops that have subscribers. It is
// pooled: the last loop to run it puts it back, so a publish costs no
// allocation in steady state.
type pubTask struct {
	eng   *Engine
	name  string
	plain *bytebufferpool.ByteBuffer
	comp  []byte
	n     int
	refs  atomic.Int32 // loops still to run it, plus one for the publisher
	run   func(*loop)  // bound once to deliver
}

// Publish queues p as one message to every subscriber of topic on this
// node: framed (and compressed, for connections without server context
// takeover) once, with one ordered task per loop that has subscribers.
// It returns at once. Safe from any goroutine and from handlers.
func (e *Engine) Publish(name string, op codec.OpCode, p []byte) error {
	if err := e.ValidTopic(name); err != nil {
		return err
	}
	if len(p) > e.opts.MaxPublishSize {
		return ErrPayloadTooLarge
	}
	// Counted once the tasks are posted: a reader that sees the count can
	// rely on later posts running after them.
	defer e.metrics.Published.Add(1)
	v, ok := e.topics.m.Load(name)
	if !ok {
		return nil
	}
	t := v.(*topic)
	var pt *pubTask
	for _, l := range e.loopList() {
		if t.count(l).Load() <= 0 {
			continue
		}
		if pt == nil {
			pt = e.newPubTask(name, op, p)
		}
		pt.refs.Add(1)
		l.ordered.Add(1)
		l.post(pt.run)
	}
	if pt != nil {
		pt.release()
	}
	return nil
}

func (e *Engine) newPubTask(name string, op codec.OpCode, p []byte) *pubTask {
	pt, _ := e.pubTasks.Get().(*pubTask)
	if pt == nil {
		pt = &pubTask{eng: e}
		pt.run = pt.deliver
	}
	pt.name, pt.n = name, len(p)
	pt.plain, pt.comp = e.frameOnce(op, p)
	pt.refs.Store(1)
	return pt
}

// release drops one reference; the last one recycles the task.
func (pt *pubTask) release() {
	if pt.refs.Add(-1) != 0 {
		return
	}
	putBuf(pt.plain)
	pt.plain, pt.comp, pt.name = nil, nil, ""
	pt.eng.pubTasks.Put(pt)
}

// deliver queues the message on this loop's subscribers of the topic.
// Loop only.
func (pt *pubTask) deliver(l *loop) {
	defer pt.release()
	defer l.ordered.Add(-1)
	lt := l.topics[pt.name]
	if lt == nil {
		return
	}
	sent, dropped := l.fanOut(&lt.conns, pt.plain.B, pt.comp, pt.n, nil)
	l.eng.metrics.TopicDeliveries.Add(sent)
	if dropped > 0 {
		l.eng.metrics.TopicDropped.Add(dropped)
	}
}

// ValidTopic checks a topic name against MaxTopicLength and the characters
// allowed in a NATS subject token.
func (e *Engine) ValidTopic(topic string) error {
	return ValidTopic(topic, e.opts.MaxTopicLength)
}

// ValidTopic checks that topic is at most max bytes of letters, digits,
// '-' and '_', in non-empty tokens separated by '.': a name that is also a
// literal NATS subject (no wildcards, no spaces).
func ValidTopic(topic string, max int) error {
	if len(topic) > max {
		return ErrTopicTooLong
	}
	if topic == "" {
		return ErrTopicInvalid
	}
	prev := byte('.')
	for i := 0; i < len(topic); i++ {
		b := topic[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_':
		case b == '.':
			if prev == '.' {
				return ErrTopicInvalid
			}
		default:
			return ErrTopicInvalid
		}
		prev = b
	}
	if prev == '.' {
		return ErrTopicInvalid
	}
	return nil
}
