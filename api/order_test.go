package api_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// Messages sent from one goroutine arrive in call order, whether they go
// out by Broadcast, Send or SendText (a Send made after Broadcast returns
// must not overtake it).
func TestBroadcastSendOrder(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{noRecord: true})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	const n = 300
	go func() {
		for i := range n {
			msg := []byte(fmt.Sprint(i))
			var err error
			switch i % 3 {
			case 0:
				err = h.srv.Broadcast(api.DataText, msg, nil)
			case 1:
				err = h.srv.SendMessage(id, api.DataText, msg)
			default:
				err = h.srv.SendText(id, string(msg))
			}
			if err != nil {
				t.Errorf("message %d: %v", i, err)
				return
			}
		}
	}()
	for i := range n {
		op, m := readMessage(t, c)
		if op != ws.OpText || string(m) != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %q (%v)", i, m, op)
		}
	}
}

// While a streamed message is unfinished, whole-message sends are refused
// and broadcasts wait until its last fragment went out.
func TestStreamKeepsFragmentsTogether(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{noRecord: true})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	if err := h.srv.SetMessageLength(id, api.DataBinary, 6); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Send(id, []byte("abc")); err != nil { // first piece
		t.Fatal(err)
	}
	if err := h.srv.SendText(id, "whole"); !errors.Is(err, api.ErrStreamInProgress) {
		t.Errorf("SendText mid-stream: %v, want ErrStreamInProgress", err)
	}
	if err := h.srv.Broadcast(api.DataText, []byte("news"), nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)                     // let the broadcast reach the loop
	if err := h.srv.Send(id, []byte("def")); err != nil { // last piece
		t.Fatal(err)
	}
	if op, m := readMessage(t, c); op != ws.OpBinary || string(m) != "abcdef" {
		t.Fatalf("streamed message %v %q", op, m)
	}
	if op, m := readMessage(t, c); op != ws.OpText || string(m) != "news" {
		t.Fatalf("broadcast after the stream %v %q", op, m)
	}
	if err := h.srv.SendText(id, "after"); err != nil {
		t.Fatal(err)
	}
	if op, m := readMessage(t, c); op != ws.OpText || string(m) != "after" {
		t.Fatalf("after the stream %v %q", op, m)
	}
}

// A SendFile interrupted after some fragments went out closes the
// connection with 1011: the peer cannot get a valid message any more.
func TestSendFileInterruptedCloses1011(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxOutboundQueue: 64 << 10}, hooks{noRecord: true})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	path, _ := writeTempFile(t, 8<<20)
	errc := make(chan error, 1)
	go func() { errc <- h.srv.SendFile(id, path) }()
	// The client does not read: SendFile soon waits for room.
	if !eventually(ioWait, func() bool {
		info, ok := h.srv.Connection(id)
		return ok && info.QueuedBytes >= 64<<10
	}) {
		t.Fatal("SendFile never filled the queue")
	}
	time.Sleep(20 * time.Millisecond)
	if err := h.srv.Interrupt(id); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, api.ErrInterrupted) {
		t.Fatalf("SendFile: %v, want ErrInterrupted", err)
	}
	code, _, _ := readClose(t, c)
	if code != 1011 {
		t.Errorf("close code %d, want 1011", code)
	}
}

// A receiver that does not read cannot make Broadcast grow its queue past
// MaxOutboundQueue: deliveries to it are skipped and counted, others still
// get every message.
func TestBroadcastSkipsFullQueues(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	h := start(t, api.Config{MaxOutboundQueue: limit}, hooks{noRecord: true})
	stalled := h.dial(t, "/", dialOpts{})
	stalledID := h.idOf(t, stalled)
	reader := h.dial(t, "/", dialOpts{})
	h.idOf(t, reader)
	msg := make([]byte, 16<<10)
	const n = 400 // 6.4 MB: far past the limit and the socket buffers
	// The sender waits for the reader after each message, so the reader is
	// never behind by more than one message (under its limit) and must get
	// all of them; only the stalled receiver goes over its limit.
	got := make(chan error)
	go func() {
		for i := range n {
			_, m := readMessage(t, reader)
			if len(m) != len(msg) {
				got <- fmt.Errorf("reader message %d: %d bytes", i, len(m))
				return
			}
			got <- nil
		}
	}()
	for range n {
		if err := h.srv.Broadcast(api.DataBinary, msg, nil); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	}
	info, ok := h.srv.Connection(stalledID)
	if !ok {
		t.Fatal("stalled connection is gone")
	}
	if info.QueuedBytes > limit+len(msg)+64 {
		t.Errorf("stalled receiver queues %d bytes, limit %d", info.QueuedBytes, limit)
	}
	if h.srv.Metrics().BroadcastDropped == 0 {
		t.Error("no broadcast delivery was counted as dropped")
	}
}
