package cluster

import (
	"testing"
	"time"

	"github.com/wsloop/wsloop/api"
)

// BenchmarkAcrossNodes publishes 128-byte messages on one node to a topic
// that another node listens on, through a NATS server in this process,
// and waits until the other node has handed them to its (stand-in) server.
// It reports messages/s end to end and what was lost; allocations are
// those of the whole process, the embedded NATS server's and nats.go's
// (one message per delivery) included.
func BenchmarkAcrossNodes(b *testing.B) {
	s := runNATS(b, 0, 0)
	a, _ := fakeNode(b, natsURL(s), "a", Options{})
	rcv, f := fakeNode(b, natsURL(s), "b", Options{})
	rcv.Interest("bench", true)
	flush(b, rcv)
	payload := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		a.Publish("bench", api.DataBinary, payload)
		if i%4096 == 4095 {
			flush(b, a) // stay under the send queue's bound
		}
	}
	flush(b, a)
	deadline := time.Now().Add(wait)
	for {
		st, sa := rcv.Stats(), a.Stats()
		if st.Received+st.DroppedSlow >= sa.Published || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	st, sa := rcv.Stats(), a.Stats()
	b.ReportMetric(float64(st.Received)/el.Seconds(), "delivered/s")
	lost := uint64(b.N) - st.Received // counted on either side (slow receiver, full queues)
	b.ReportMetric(float64(lost), "lost")
	if lost != 0 {
		b.Logf("lost %d: sender dropped %d, receiver dropped %d as a slow consumer (%d handed over)",
			lost, sa.Dropped(), st.DroppedSlow, len(f.deliveries()))
	}
}

// BenchmarkBridgePublish measures what a publish costs the caller (an
// event loop or the application): the copy into the send queue, with
// NATS connected and nobody listening. The node's own path does not
// allocate; the allocation per op reported is the NATS server's, which
// runs in the same process.
func BenchmarkBridgePublish(b *testing.B) {
	s := runNATS(b, 0, 0)
	a, _ := fakeNode(b, natsURL(s), "a", Options{SendQueue: 1 << 16, SendQueueBytes: 256 << 20})
	payload := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a.Publish("bench", api.DataBinary, payload)
		if i%4096 == 4095 {
			flush(b, a) // stay under the queue bound: measure queueing, not drops
		}
	}
	b.StopTimer()
	if d := a.Stats().Dropped(); d != 0 {
		b.Fatalf("%d dropped", d)
	}
}
