package api_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// 50 goroutines send to one connection at once: every message arrives
// intact and each goroutine's messages arrive in the order it sent them.
func TestConcurrentSenders(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{DefaultTimeout: 10 * time.Second}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	const senders, each = 50, 200
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range each {
				// g, seq, then a body whose length and bytes depend on both.
				msg := make([]byte, 8+(g*7+seq)%300)
				binary.BigEndian.PutUint32(msg, uint32(g))
				binary.BigEndian.PutUint32(msg[4:], uint32(seq))
				for i := 8; i < len(msg); i++ {
					msg[i] = byte(g + seq + i)
				}
				if err := h.srv.Send(id, msg); err != nil {
					errs <- fmt.Errorf("sender %d seq %d: %w", g, seq, err)
					return
				}
			}
		}()
	}
	next := make([]int, senders)
	for range senders * each {
		op, msg := readMessage(t, c)
		if op != ws.OpBinary || len(msg) < 8 {
			t.Fatalf("bad message %v %d bytes", op, len(msg))
		}
		g, seq := int(binary.BigEndian.Uint32(msg)), int(binary.BigEndian.Uint32(msg[4:]))
		if g >= senders || seq != next[g] || len(msg) != 8+(g*7+seq)%300 {
			t.Fatalf("sender %d: got seq %d len %d, want seq %d", g, seq, len(msg), next[g])
		}
		for i := 8; i < len(msg); i++ {
			if msg[i] != byte(g+seq+i) {
				t.Fatalf("sender %d seq %d: corrupt byte %d", g, seq, i)
			}
		}
		next[g]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if info, _ := h.srv.Connection(id); info.MessagesOut != senders*each {
		t.Errorf("MessagesOut %d", info.MessagesOut)
	}
}

func TestSendUnknownID(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	for name, err := range map[string]error{
		"Send":             h.srv.Send(12345, []byte("x")),
		"SendText":         h.srv.SendText(12345, "x"),
		"SendMessage":      h.srv.SendMessage(12345, api.DataText, []byte("x")),
		"SendUncompressed": h.srv.SendUncompressed(12345, api.DataBinary, nil),
		"Ping":             h.srv.Ping(12345, nil),
		"Disconnect":       h.srv.Disconnect(12345),
		"SetAcceptData":    h.srv.SetAcceptData(12345, false),
		"SetMessageLength": h.srv.SetMessageLength(12345, api.DataText, 3),
		"SendFile":         h.srv.SendFile(12345, "/dev/null"),
		"Interrupt":        h.srv.Interrupt(12345),
	} {
		if !errors.Is(err, api.ErrNotConnected) {
			t.Errorf("%s: %v, want ErrNotConnected", name, err)
		}
	}
	var never *api.Server = api.New(api.Config{}, api.Events{})
	if err := never.Send(1, nil); !errors.Is(err, api.ErrServerClosed) {
		t.Errorf("Send before Listen: %v, want ErrServerClosed", err)
	}
}

// fill sends msg until Send fails or limit sends succeed, and returns the
// count sent and the error.
func fill(h *harness, id api.ConnID, msg []byte, limit int) (int, error) {
	for i := range limit {
		if err := h.srv.Send(id, msg); err != nil {
			return i, err
		}
	}
	return limit, nil
}

// smallBuffers keeps kernel buffering small so that a client that does not
// read fills the server's queue quickly.
func smallBuffers(cfg api.Config) api.Config {
	cfg.OutBufferSize = 16 << 10
	cfg.MaxOutboundQueue = 64 << 10
	return cfg
}

// A client that never reads: Send returns ErrWouldBlock; once the client
// reads, OnReadyToSend fires and everything sent arrives in order.
func TestBackpressureWouldBlock(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{}), hooks{})
	c := h.dial(t, "/", dialOpts{})
	_ = c.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	id := h.idOf(t, c)
	msg := make([]byte, 8<<10)
	sent := 0
	var err error
	// Keep sending until refused (bounded: the kernel buffers at most a
	// few MiB on loopback).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		binary.BigEndian.PutUint32(msg, uint32(sent))
		if err = h.srv.Send(id, msg); err != nil {
			break
		}
		sent++
		if sent%64 == 0 {
			time.Sleep(time.Millisecond) // let the loop flush into the socket
		}
	}
	if !errors.Is(err, api.ErrWouldBlock) {
		t.Fatalf("after %d sends: %v, want ErrWouldBlock", sent, err)
	}
	if got := h.records("ready", id); len(got) != 0 {
		t.Fatalf("ReadyToSend before the client read")
	}
	info, _ := h.srv.Connection(id)
	if info.QueuedBytes < 32<<10 {
		t.Errorf("QueuedBytes %d at ErrWouldBlock", info.QueuedBytes)
	}
	for i := range sent {
		_, m := readMessage(t, c)
		if got := int(binary.BigEndian.Uint32(m)); got != i || len(m) != len(msg) {
			t.Fatalf("message %d: got seq %d len %d", i, got, len(m))
		}
	}
	h.wait("ready", id, 1, ioWait)
	if err := h.srv.Send(id, []byte("after")); err != nil {
		t.Fatalf("Send after ReadyToSend: %v", err)
	}
	if _, m := readMessage(t, c); string(m) != "after" {
		t.Fatalf("got %q", m)
	}
}

// With a Timeout, Send waits for room and gives up with ErrTimeout.
func TestBackpressureTimeout(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{DefaultTimeout: 300 * time.Millisecond}), hooks{})
	c := h.dial(t, "/", dialOpts{})
	_ = c.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	id := h.idOf(t, c)
	msg := make([]byte, 8<<10)
	var err error
	var took time.Duration
	for range 10000 {
		began := time.Now()
		err = h.srv.Send(id, msg)
		took = time.Since(began)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, api.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if took < 250*time.Millisecond || took > 3*time.Second {
		t.Errorf("failing Send took %v, want about 300ms", took)
	}
	// Timeout[id] changes it per connection: 0 makes Send non-blocking.
	if _, err := h.srv.Config(fmt.Sprintf("Timeout[%d]=0", id)); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := h.srv.Send(id, msg); !errors.Is(err, api.ErrWouldBlock) || time.Since(began) > 100*time.Millisecond {
		t.Errorf("non-blocking Send: %v after %v", err, time.Since(began))
	}
}

// Interrupt aborts a Send that waits for room.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{DefaultTimeout: 20 * time.Second}), hooks{})
	c := h.dial(t, "/", dialOpts{})
	_ = c.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	id := h.idOf(t, c)
	done := make(chan error, 1)
	began := time.Now()
	go func() {
		msg := make([]byte, 8<<10)
		_, err := fill(h, id, msg, 100000)
		done <- err
	}()
	var err error
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if e := h.srv.Interrupt(id); e != nil {
				t.Fatalf("Interrupt: %v", e)
			}
		}
	}
	if !errors.Is(err, api.ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if el := time.Since(began); el > 10*time.Second {
		t.Errorf("interrupted after %v", el)
	}
}

// CloseSlowConsumer closes a client that does not keep up with 1008.
func TestSlowConsumerClose(t *testing.T) {
	t.Parallel()
	h := start(t, smallBuffers(api.Config{SlowConsumer: api.CloseSlowConsumer, CloseTimeout: time.Second}), hooks{})
	c := h.dial(t, "/", dialOpts{})
	_ = c.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	id := h.idOf(t, c)
	n, err := fill(h, id, make([]byte, 8<<10), 100000)
	if !errors.Is(err, api.ErrSlowConsumer) {
		t.Fatalf("after %d sends: %v, want ErrSlowConsumer", n, err)
	}
	// Later sends fail: the connection is closing.
	if err := h.srv.Send(id, []byte("x")); err == nil {
		t.Errorf("Send after the slow-consumer close succeeded")
	}
	// The client, reading now, gets what was queued and then 1008.
	code, _, skipped := readClose(t, c)
	if code != 1008 || skipped != n {
		t.Errorf("close %d after %d messages, want 1008 after %d", code, skipped, n)
	}
	if d := h.wait("disc", id, 1, ioWait); d[0].code != 1008 {
		t.Errorf("Disconnected %d", d[0].code)
	}
	if m := h.srv.Metrics(); m.SlowConsumers != 1 {
		t.Errorf("SlowConsumers metric %d", m.SlowConsumers)
	}
}

// SetMessageLength: the following Sends are fragments of one message.
func TestMessageLengthStreaming(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	if err := h.srv.SetMessageLength(id, api.DataText, 11); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.srv.Config(fmt.Sprintf("MessageLength[%d]", id)); got != "11" {
		t.Errorf("MessageLength[id] = %q", got)
	}
	if err := h.srv.Send(id, []byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Send(id, []byte("world!")); err == nil {
		t.Errorf("a piece longer than what is left was accepted")
	}
	if err := h.srv.Send(id, []byte("world")); err != nil {
		t.Fatal(err)
	}
	f1, f2 := readFrame(t, c), readFrame(t, c)
	if f1.Header.OpCode != ws.OpText || f1.Header.Fin || string(f1.Payload) != "hello " ||
		f2.Header.OpCode != ws.OpContinuation || !f2.Header.Fin || string(f2.Payload) != "world" {
		t.Errorf("frames %v/%v %q, %v/%v %q", f1.Header.OpCode, f1.Header.Fin, f1.Payload,
			f2.Header.OpCode, f2.Header.Fin, f2.Payload)
	}
	// Through Config, binary; then back to whole messages.
	if _, err := h.srv.Config(fmt.Sprintf("MessageLength[%d]=4", id)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ab", "c", "d"} {
		if err := h.srv.Send(id, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if op, m := readMessage(t, c); op != ws.OpBinary || string(m) != "abcd" {
		t.Errorf("streamed binary %v %q", op, m)
	}
	if err := h.srv.SendText(id, "whole"); err != nil {
		t.Fatal(err)
	}
	if op, m := readMessage(t, c); op != ws.OpText || string(m) != "whole" {
		t.Errorf("after the stream: %v %q", op, m)
	}
}

// Broadcast reaches exactly the connections the filter selects.
func TestBroadcastFilter(t *testing.T) {
	t.Parallel()
	// The room comes from the request URI, kept as user data (as an
	// application would) for the filter.
	var srv atomic.Pointer[api.Server]
	h := start(t, api.Config{}, hooks{noRecord: true, open: func(e *api.WebSocketOpenRequestEvent) {
		_ = srv.Load().SetUserData(e.ConnectionID, e.RequestURI)
	}})
	srv.Store(h.srv)
	const n = 100
	clients := make([]*client, n)
	for i := range n {
		room := "/room/odd"
		if i%2 == 0 {
			room = "/room/even"
		}
		clients[i] = h.dial(t, room, dialOpts{})
	}
	if !eventually(ioWait, func() bool { return len(h.records("connected", 0)) == n }) {
		t.Fatalf("only %d connected", len(h.records("connected", 0)))
	}
	if err := h.srv.Broadcast(api.DataText, []byte("evens only"), func(tg api.Target) bool {
		return tg.UserData() == "/room/even"
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Broadcast(api.DataBinary, []byte("everyone"), nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if op, m := readMessage(t, c); op != ws.OpText || string(m) != "evens only" {
					t.Errorf("client %d: %v %q", i, op, m)
				}
			}
			if op, m := readMessage(t, c); op != ws.OpBinary || string(m) != "everyone" {
				t.Errorf("client %d: %v %q, want everyone", i, op, m)
			}
		}()
	}
	wg.Wait()
}

// A broadcast comes after every message sent to the connection before it.
// (A Send made after Broadcast returns may overtake the broadcast: the
// broadcast is queued as a loop task; see the report.)
func TestBroadcastAfterSend(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	for i := range 50 {
		if err := h.srv.Send(id, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.srv.Broadcast(api.DataBinary, []byte{50}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 51 {
		if _, m := readMessage(t, c); len(m) != 1 || m[0] != byte(i) {
			t.Fatalf("message %d: got %v", i, m)
		}
	}
}

// SetAcceptData(false) stops delivery; true resumes it with nothing lost.
func TestAcceptDataPause(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	send(t, c, ws.OpText, true, []byte("before"))
	h.wait("data", id, 1, ioWait)
	if err := h.srv.SetAcceptData(id, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.srv.Config(fmt.Sprintf("AcceptData[%d]", id)); got != "false" {
		t.Errorf("AcceptData[id] = %q", got)
	}
	big := bytes.Repeat([]byte("z"), 100<<10)
	for i := range 5 {
		send(t, c, ws.OpText, true, []byte(fmt.Sprint("paused ", i)))
	}
	send(t, c, ws.OpBinary, true, big)
	time.Sleep(200 * time.Millisecond)
	if got := h.records("data", id); len(got) != 1 {
		t.Fatalf("%d events while paused, want none after the first", len(got)-1)
	}
	if info, _ := h.srv.Connection(id); info.AcceptData {
		t.Errorf("ConnectionInfo.AcceptData true while paused")
	}
	if _, err := h.srv.Config(fmt.Sprintf("AcceptData[%d]=true", id)); err != nil {
		t.Fatal(err)
	}
	got := h.wait("data", id, 7, ioWait)
	for i := range 5 {
		if want := fmt.Sprint("paused ", i); string(got[i+1].data) != want {
			t.Errorf("event %d: %q, want %q", i+1, got[i+1].data, want)
		}
	}
	if !bytes.Equal(got[6].data, big) {
		t.Errorf("big message: %d bytes", len(got[6].data))
	}
}

// Pausing from inside OnDataIn stops delivery right after that message,
// even when more messages arrived in the same read.
func TestAcceptDataPauseFromHandler(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: func(h *harness, e *api.DataInEvent) {
		if string(e.Data) == "stop" {
			_ = h.srv.SetAcceptData(e.ConnectionID, false)
		}
	}})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	var wire []byte
	for _, m := range []string{"a", "stop", "b", "c"} {
		wire = append(wire, frameBytes(ws.OpText, true, []byte(m))...)
	}
	if _, err := c.Write(wire); err != nil { // one write: usually one read
		t.Fatal(err)
	}
	h.wait("data", id, 2, ioWait)
	time.Sleep(100 * time.Millisecond)
	if got := h.records("data", id); len(got) != 2 {
		t.Fatalf("%d events, want 2 (delivery must pause after \"stop\")", len(got))
	}
	if err := h.srv.SetAcceptData(id, true); err != nil {
		t.Fatal(err)
	}
	got := h.wait("data", id, 4, ioWait)
	if string(got[2].data) != "b" || string(got[3].data) != "c" {
		t.Errorf("after resume: %q %q", got[2].data, got[3].data)
	}
}

// Input beyond MaxPausedBytes while paused closes the connection with 1008.
func TestAcceptDataPausedOverflow(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxPausedBytes: 64 << 10}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	if err := h.srv.SetAcceptData(id, false); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range 40 {
			if writeFrame(c, ws.NewBinaryFrame(make([]byte, 8<<10))) != nil {
				return
			}
		}
	}()
	if code, _, _ := readClose(t, c); code != 1008 {
		t.Errorf("close %d, want 1008", code)
	}
}
