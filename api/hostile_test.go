package api_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// A panicking OnDataIn closes only its connection, with 1011, and is
// reported as an ErrorEvent; other connections keep working.
func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: func(h *harness, e *api.DataInEvent) {
		if string(e.Data) == "boom" {
			panic("handler exploded")
		}
		echo(h, e)
	}})
	bad := h.dial(t, "/", dialOpts{})
	good := h.dial(t, "/", dialOpts{})
	badID := h.idOf(t, bad)
	send(t, bad, ws.OpText, true, []byte("boom"))
	code, _, _ := readClose(t, bad)
	if code != 1011 {
		t.Errorf("close %d, want 1011", code)
	}
	expectEOF(t, bad, 2*time.Second)
	errs := h.wait("error", badID, 1, ioWait)
	if want := "handler exploded"; !contains(errs[0].desc, want) {
		t.Errorf("error event %+v, want it to mention %q", errs[0], want)
	}
	if d := h.wait("disc", badID, 1, ioWait); d[0].code != 1011 {
		t.Errorf("Disconnected %d", d[0].code)
	}
	for i := range 3 {
		msg := fmt.Sprint("still alive ", i)
		send(t, good, ws.OpText, true, []byte(msg))
		if _, m := readMessage(t, good); string(m) != msg {
			t.Fatalf("good connection: %q", m)
		}
	}
	if m := h.srv.Metrics(); m.Panics != 1 {
		t.Errorf("Panics %d", m.Panics)
	}
}

// Panics in the other handlers are contained too.
func TestOtherHandlerPanics(t *testing.T) {
	t.Parallel()
	var panicOnConnect sync.Map
	h := start(t, api.Config{}, hooks{
		open: func(e *api.WebSocketOpenRequestEvent) {
			if e.RequestURI == "/open" {
				panic("open")
			}
			if e.RequestURI == "/connected" {
				panicOnConnect.Store(uint64(e.ConnectionID), true)
			}
		},
		connected: func(h *harness, e *api.ConnectedEvent) {
			if _, ok := panicOnConnect.Load(uint64(e.ConnectionID)); ok {
				panic("connected")
			}
		},
	})
	if _, err := h.tryDial("/open", dialOpts{}); err == nil {
		t.Errorf("dial /open succeeded after a panicking open handler")
	}
	c := h.dial(t, "/connected", dialOpts{}) // the 101 was sent before OnConnected
	if code, _, _ := readClose(t, c); code != 1011 {
		t.Errorf("close %d, want 1011", code)
	}
	ok := h.dial(t, "/fine", dialOpts{})
	if err := h.srv.Ping(h.idOf(t, ok), []byte("p")); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, ok); f.Header.OpCode != ws.OpPing {
		t.Errorf("got %v", f.Header.OpCode)
	}
}

// A client that disappears in the middle of a frame: Disconnected with
// 1006, nothing leaks, the server keeps serving.
func TestClientVanishesMidFrame(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	for _, cut := range []int{1, 3, 8, 100} {
		c := h.dial(t, "/", dialOpts{})
		id := h.idOf(t, c)
		wire := frameBytes(ws.OpBinary, true, make([]byte, 1000))
		if _, err := c.Write(wire[:cut]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
		_ = c.Close()
		if d := h.wait("disc", id, 1, ioWait); d[0].code != 1006 {
			t.Errorf("cut %d: Disconnected %d, want 1006", cut, d[0].code)
		}
	}
	if !eventually(ioWait, func() bool { return h.srv.ConnectionCount() == 0 }) {
		t.Errorf("%d connections left", h.srv.ConnectionCount())
	}
	c := h.dial(t, "/", dialOpts{})
	send(t, c, ws.OpText, true, []byte("ok"))
	if _, m := readMessage(t, c); string(m) != "ok" {
		t.Errorf("echo %q", m)
	}
}

// Garbage of many shapes never takes the server down.
func TestGarbageInput(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, DefaultConnectionTimeout: 500 * time.Millisecond}, hooks{data: echo})
	inputs := [][]byte{
		{0, 0, 0, 0},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n"),
		[]byte("\r\n\r\n\r\n\r\n"),
		make([]byte, 20000),
		[]byte("GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n"),
	}
	for i, in := range inputs {
		c, err := net.Dial("tcp", h.addr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(in)
		expectEOF(t, c, 3*time.Second)
		c.Close()
		_ = i
	}
	// After the upgrade, random bytes as frames.
	for seed := range 20 {
		c := h.dial(t, "/", dialOpts{})
		junk := make([]byte, 64)
		for i := range junk {
			junk[i] = byte(seed*31 + i*17)
		}
		_, _ = c.Write(junk)
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _ = c.Read(make([]byte, 256)) // a close frame or EOF; never a hang past the deadline
		c.Close()
	}
	c := h.dial(t, "/", dialOpts{})
	send(t, c, ws.OpText, true, []byte("alive"))
	if _, m := readMessage(t, c); string(m) != "alive" {
		t.Errorf("echo %q", m)
	}
}

// 1,000 concurrent connections, each echoing 10 messages.
func TestThousandConnections(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true, ConnectionBacklog: 2048}, hooks{data: echo, noRecord: true})
	const conns, msgs = 1000, 10
	var wg sync.WaitGroup
	var failures atomic.Int32
	var firstErr guarded[error]
	sem := make(chan struct{}, 200) // bound concurrent dials
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			c, err := h.tryDial("/", dialOpts{})
			<-sem
			if err != nil {
				failures.Add(1)
				firstErr.set(err)
				return
			}
			defer c.Close()
			buf := make([]byte, 16)
			for j := range msgs {
				binary.BigEndian.PutUint64(buf, uint64(i))
				binary.BigEndian.PutUint64(buf[8:], uint64(j))
				if err := writeFrame(c, ws.NewBinaryFrame(append([]byte(nil), buf...))); err != nil {
					failures.Add(1)
					firstErr.set(err)
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
				f, err := ws.ReadFrame(c)
				if err != nil || string(f.Payload) != string(buf) {
					failures.Add(1)
					firstErr.set(fmt.Errorf("conn %d msg %d: %v", i, j, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d connections failed; one error: %v", n, firstErr.get())
	}
	m := h.srv.Metrics()
	if m.Upgraded != conns || m.MessagesIn != conns*msgs || m.MessagesOut != conns*msgs {
		t.Errorf("metrics %+v", m)
	}
}

// Shutdown delivers every message accepted by Send before it, then 1001.
func TestShutdownDeliversQueued(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	const n = 1000
	for i := range n {
		msg := make([]byte, 100)
		binary.BigEndian.PutUint32(msg, uint32(i))
		if err := h.srv.Send(id, msg); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	for i := range n {
		_, m := readMessage(t, c)
		if got := binary.BigEndian.Uint32(m); got != uint32(i) {
			t.Fatalf("message %d: got %d", i, got)
		}
	}
	code, _, skipped := readClose(t, c)
	if code != 1001 || skipped != 0 {
		t.Errorf("close %d after %d extra messages, want 1001", code, skipped)
	}
	_ = writeFrame(c, ws.NewCloseFrame(closeBody(1001, ""))) // the server may have closed already
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if d := h.records("disc", id); len(d) != 1 || d[0].code != 1001 {
		t.Errorf("Disconnected %+v", d)
	}
	if h.srv.Listening() {
		t.Errorf("Listening after Shutdown")
	}
	if _, err := net.DialTimeout("tcp", h.addr(), time.Second); err == nil {
		t.Errorf("port still accepting after Shutdown")
	}
	if err := h.srv.Send(id, nil); err == nil {
		t.Errorf("Send after Shutdown succeeded")
	}
}

// Shutdown with a context that ends before a client answers still stops
// everything.
func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Config{LocalHost: "127.0.0.1", WaitForCloseResponse: true, CloseTimeout: time.Minute}, api.Events{})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	err = srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 3*time.Second {
		t.Errorf("Shutdown: %v after %v", err, time.Since(began))
	}
	expectEOF(t, c, 3*time.Second)
}

// No goroutine outlives Shutdown. Not parallel: it counts goroutines.
func TestNoGoroutineLeak(t *testing.T) {
	runtime.GC()
	base := runtime.NumGoroutine()
	for round := range 2 {
		h := &harness{t: t}
		srv := api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true,
			HTTPHandler: nil, DefaultConnectionTimeout: time.Second}, api.Events{
			OnDataIn: func(e *api.DataInEvent) { _ = h.srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data) },
		})
		h.srv = srv
		if err := srv.Listen(); err != nil {
			t.Fatal(err)
		}
		var clients []net.Conn
		for range 20 {
			c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
			send(t, c, ws.OpText, true, []byte("x"))
			readMessage(t, c)
		}
		half, err := net.Dial("tcp", srv.Addr()) // mid-handshake at shutdown
		if err != nil {
			t.Fatal(err)
		}
		_, _ = half.Write([]byte("GET / HTTP/1.1\r\n"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("round %d: Shutdown: %v", round, err)
		}
		cancel()
		for _, c := range clients {
			c.Close()
		}
		half.Close()
	}
	var n int
	if !eventually(5*time.Second, func() bool { n = runtime.NumGoroutine(); return n <= base }) {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Shutdown, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
