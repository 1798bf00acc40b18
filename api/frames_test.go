package api_test

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

func TestEchoTextBinaryEmpty(t *testing.T) {
	t.Parallel()
	for _, buffered := range []bool{true, false} {
		h := start(t, api.Config{BufferMessage: buffered}, hooks{data: echo})
		c := h.dial(t, "/", dialOpts{})
		cases := []struct {
			op      ws.OpCode
			payload []byte
		}{
			{ws.OpText, []byte("hello")},
			{ws.OpText, nil},
			{ws.OpBinary, []byte{0, 1, 2, 255}},
			{ws.OpBinary, nil},
			{ws.OpText, []byte("héllo wörld ☃")},
			{ws.OpBinary, bytes.Repeat([]byte{7}, 70000)}, // 64-bit length header
			{ws.OpBinary, bytes.Repeat([]byte{9}, 200)},   // 16-bit length header
		}
		for _, tc := range cases {
			if !buffered && len(tc.payload) > 1000 {
				// Unbuffered, a big frame may reach the handler in
				// several pieces, each echoed as its own message.
				tc.payload = tc.payload[:1000]
			}
			send(t, c, tc.op, true, tc.payload)
			op, msg := readMessage(t, c)
			if op != tc.op || !bytes.Equal(msg, tc.payload) {
				t.Fatalf("buffered=%v: sent %v %d bytes, got %v %d bytes", buffered, tc.op, len(tc.payload), op, len(msg))
			}
		}
		id := h.idOf(t, c)
		data := h.records("data", id)
		if len(data) != len(cases) || data[1].format != api.DataText || len(data[1].data) != 0 || !data[1].eom ||
			data[3].format != api.DataBinary || !data[3].eom {
			t.Errorf("buffered=%v: data events %d: %+v %+v", buffered, len(data), data[1], data[3])
		}
		info, _ := h.srv.Connection(id)
		if info.MessagesIn != uint64(len(cases)) || info.MessagesOut != uint64(len(cases)) {
			t.Errorf("counters in %d out %d", info.MessagesIn, info.MessagesOut)
		}
	}
}

func TestEcho16MiB(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo, noRecord: true})
	c := h.dial(t, "/", dialOpts{})
	msg := make([]byte, 16<<20)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	// Sent as 4 fragments of 4 MiB, assembled by the server.
	go func() {
		for i := 0; i < 4; i++ {
			op := ws.OpBinary
			if i > 0 {
				op = ws.OpContinuation
			}
			if err := writeFrame(c, ws.NewFrame(op, i == 3, append([]byte(nil), msg[i<<22:(i+1)<<22]...))); err != nil {
				return
			}
		}
	}()
	op, got := readMessage(t, c)
	if op != ws.OpBinary || !bytes.Equal(got, msg) {
		t.Fatalf("got %v %d bytes, equal=%v", op, len(got), bytes.Equal(got, msg))
	}
}

// A fragmented message with a ping in the middle, written one byte at a
// time: the pong comes first, then the assembled message.
func TestFragmentedWithPingByteByByte(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{BufferMessage: true}, hooks{data: echo})
	c := h.dial(t, "/", dialOpts{})
	c.Conn.(*net.TCPConn).SetNoDelay(true)
	var wire []byte
	wire = append(wire, frameBytes(ws.OpText, false, []byte("Hel"))...)
	wire = append(wire, frameBytes(ws.OpPing, true, []byte("are you there"))...)
	wire = append(wire, frameBytes(ws.OpContinuation, false, []byte("lo "))...)
	wire = append(wire, frameBytes(ws.OpContinuation, false, nil)...)
	wire = append(wire, frameBytes(ws.OpContinuation, true, []byte("wörld"))...)
	for i, b := range wire {
		if _, err := c.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	f := readFrame(t, c)
	if f.Header.OpCode != ws.OpPong || string(f.Payload) != "are you there" {
		t.Fatalf("first frame %v %q, want pong", f.Header.OpCode, f.Payload)
	}
	if op, msg := readMessage(t, c); op != ws.OpText || string(msg) != "Hello wörld" {
		t.Fatalf("echo %v %q", op, msg)
	}
	data := h.records("data", h.idOf(t, c))
	if len(data) != 1 || !data[0].eom || string(data[0].data) != "Hello wörld" {
		t.Errorf("data events %+v, want one whole message", data)
	}
}

// Without BufferMessage each fragment is delivered as it comes, EOM only on
// the last.
func TestUnbufferedPieces(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	pieces := []struct {
		op  ws.OpCode
		fin bool
		p   string
	}{{ws.OpText, false, "one "}, {ws.OpContinuation, false, "two "}, {ws.OpContinuation, true, "three"}}
	for i, p := range pieces {
		send(t, c, p.op, p.fin, []byte(p.p))
		h.wait("data", id, i+1, ioWait) // each piece is delivered before the next is sent
	}
	data := h.records("data", id)
	var got []string
	for _, d := range data {
		got = append(got, string(d.data))
		if d.format != api.DataText {
			t.Errorf("format %v", d.format)
		}
	}
	if !slices.Equal(got, []string{"one ", "two ", "three"}) ||
		data[0].eom || data[1].eom || !data[2].eom {
		t.Errorf("pieces %q eom %v %v %v", got, data[0].eom, data[1].eom, data[2].eom)
	}
}

// Protocol violations: the server answers with the close code and closes.
func TestProtocolViolations(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{MaxMessageSize: 1000}, hooks{data: echo})
	unmasked := ws.MustCompileFrame(ws.NewTextFrame([]byte("plain")))
	reservedOp := frameBytes(ws.OpCode(0x3), true, []byte("x"))
	rsv2 := frameBytes(ws.OpText, true, []byte("x"))
	rsv2[0] |= 0x20
	bigPing := frameBytes(ws.OpPing, true, make([]byte, 126))
	fragPing := frameBytes(ws.OpPing, false, nil)
	badCont := frameBytes(ws.OpContinuation, true, []byte("x"))
	cases := []struct {
		name string
		wire []byte
		code int
	}{
		{"unmasked", unmasked, 1002},
		{"reserved opcode", reservedOp, 1002},
		{"rsv2", rsv2, 1002},
		{"control over 125", bigPing, 1002},
		{"fragmented control", fragPing, 1002},
		{"continuation without start", badCont, 1002},
		{"new message inside fragmented", append(frameBytes(ws.OpText, false, []byte("a")), frameBytes(ws.OpText, true, []byte("b"))...), 1002},
		{"invalid utf8", frameBytes(ws.OpText, true, []byte("ab\xffcd")), 1007},
		{"close code 1005", frameBytes(ws.OpClose, true, []byte{0x03, 0xed}), 1002},
		{"close code 999", frameBytes(ws.OpClose, true, []byte{0x03, 0xe7}), 1002},
		{"close body 1 byte", frameBytes(ws.OpClose, true, []byte{0x03}), 1002},
		{"close reason bad utf8", frameBytes(ws.OpClose, true, []byte{0x03, 0xe8, 0xff}), 1007},
		{"too big", frameBytes(ws.OpBinary, true, make([]byte, 1001)), 1009},
		{"too big over fragments", append(frameBytes(ws.OpBinary, false, make([]byte, 600)), frameBytes(ws.OpContinuation, true, make([]byte, 600))...), 1009},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t, "/", dialOpts{})
			id := h.idOf(t, c)
			if _, err := c.Write(tc.wire); err != nil {
				t.Fatal(err)
			}
			code, _, _ := readClose(t, c)
			if code != tc.code {
				t.Errorf("close code %d, want %d", code, tc.code)
			}
			expectEOF(t, c, 2*time.Second)
			d := h.wait("disc", id, 1, ioWait)
			if d[0].code != tc.code {
				t.Errorf("Disconnected code %d, want %d", d[0].code, tc.code)
			}
			errs := h.records("error", id)
			if len(errs) != 1 || errs[0].code != tc.code {
				t.Errorf("error events %+v, want one with code %d", errs, tc.code)
			}
			if tc.code == 1009 && !errors.Is(errs[0].err, api.ErrMessageTooBig) {
				t.Errorf("error %v is not ErrMessageTooBig", errs[0].err)
			}
		})
	}
}

// Invalid UTF-8 in the first fragment is reported at once, before the
// message ends, even when the bad byte is the last byte the server read.
func TestInvalidUTF8MidFragment(t *testing.T) {
	t.Parallel()
	for _, buffered := range []bool{false, true} {
		h := start(t, api.Config{BufferMessage: buffered}, hooks{})
		for _, payload := range []string{"abc\xff", "ab\xffcd", "ok\xed\xa0"} {
			c := h.dial(t, "/", dialOpts{})
			send(t, c, ws.OpText, false, []byte(payload))
			// The message is never finished; the server must close anyway.
			code, _, _ := readClose(t, c)
			if code != 1007 {
				t.Errorf("buffered=%v payload %q: close code %d, want 1007", buffered, payload, code)
			}
		}
	}
}

func TestCloseByClient(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	send(t, c, ws.OpClose, true, closeBody(4001, "bye now"))
	code, reason, _ := readClose(t, c)
	if code != 4001 || reason != "bye now" {
		t.Errorf("server echoed %d %q", code, reason)
	}
	expectEOF(t, c, 2*time.Second)
	d := h.wait("disc", id, 1, ioWait)
	if d[0].code != 4001 || d[0].desc != "bye now" {
		t.Errorf("Disconnected %d %q", d[0].code, d[0].desc)
	}
	// An empty close is answered with an empty close; Disconnected says 1005.
	c2 := h.dial(t, "/", dialOpts{})
	id2 := h.idOf(t, c2)
	send(t, c2, ws.OpClose, true, nil)
	f := readFrame(t, c2)
	if f.Header.OpCode != ws.OpClose || len(f.Payload) != 0 {
		t.Errorf("reply %v %q, want empty close", f.Header.OpCode, f.Payload)
	}
	if d := h.wait("disc", id2, 1, ioWait); d[0].code != 1005 {
		t.Errorf("Disconnected code %d, want 1005", d[0].code)
	}
	if got := h.kinds(id); !slices.Equal(got, []string{"open", "connected", "disc"}) {
		t.Errorf("event order %v", got)
	}
}

func TestCloseByServer(t *testing.T) {
	t.Parallel()
	for _, wait := range []bool{false, true} {
		h := start(t, api.Config{WaitForCloseResponse: wait, DisconnectStatusCode: 4000,
			DisconnectStatusDescription: "configured", CloseTimeout: 3 * time.Second}, hooks{})
		// Disconnect uses the configured code.
		c := h.dial(t, "/", dialOpts{})
		id := h.idOf(t, c)
		if err := h.srv.Disconnect(id); err != nil {
			t.Fatal(err)
		}
		code, reason, _ := readClose(t, c)
		if code != 4000 || reason != "configured" {
			t.Errorf("wait=%v: close %d %q", wait, code, reason)
		}
		if wait {
			// TCP stays open until the reply...
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := c.Read(make([]byte, 1)); err == nil || !isTimeout(err) {
				t.Errorf("wait=true: connection ended before the close reply: %v", err)
			}
			// ...and closes promptly after it.
			began := time.Now()
			send(t, c, ws.OpClose, true, closeBody(4000, ""))
			expectEOF(t, c, 2*time.Second)
			if el := time.Since(began); el > time.Second {
				t.Errorf("wait=true: TCP closed %v after the reply, want promptly", el)
			}
		} else {
			expectEOF(t, c, 2*time.Second)
		}
		if d := h.wait("disc", id, 1, ioWait); d[0].code != 4000 || d[0].desc != "configured" {
			t.Errorf("wait=%v: Disconnected %d %q", wait, d[0].code, d[0].desc)
		}
		// DisconnectWith an explicit code; a bad code is refused.
		c2 := h.dial(t, "/", dialOpts{})
		id2 := h.idOf(t, c2)
		if err := h.srv.DisconnectWith(id2, 1005, ""); !errors.Is(err, api.ErrBadCloseCode) {
			t.Errorf("DisconnectWith 1005: %v, want ErrBadCloseCode", err)
		}
		if err := h.srv.DisconnectWith(id2, 3001, "done"); err != nil {
			t.Fatal(err)
		}
		if code, reason, _ := readClose(t, c2); code != 3001 || reason != "done" {
			t.Errorf("wait=%v: close %d %q", wait, code, reason)
		}
		if wait {
			send(t, c2, ws.OpClose, true, closeBody(3001, ""))
		}
		expectEOF(t, c2, 2*time.Second)
		if d := h.wait("disc", id2, 1, ioWait); d[0].code != 3001 {
			t.Errorf("Disconnected %d", d[0].code)
		}
		if err := h.srv.Disconnect(id2); !errors.Is(err, api.ErrNotConnected) {
			t.Errorf("Disconnect of a closed connection: %v", err)
		}
	}
}

func TestPingPong(t *testing.T) {
	t.Parallel()
	h := start(t, api.Config{}, hooks{})
	c := h.dial(t, "/", dialOpts{})
	id := h.idOf(t, c)
	for _, p := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("p"), 125)} {
		send(t, c, ws.OpPing, true, p)
		f := readFrame(t, c)
		if f.Header.OpCode != ws.OpPong || !bytes.Equal(f.Payload, p) {
			t.Errorf("reply %v %q, want pong %q", f.Header.OpCode, f.Payload, p)
		}
	}
	// An unsolicited pong reaches OnDataIn as DataPong.
	send(t, c, ws.OpPong, true, []byte("heartbeat"))
	d := h.wait("data", id, 1, ioWait)
	if d[0].format != api.DataPong || string(d[0].data) != "heartbeat" || !d[0].eom {
		t.Errorf("pong event %+v", d[0])
	}
	// Server.Ping reaches the client; its pong comes back as DataPong.
	if err := h.srv.Ping(id, []byte("srv")); err != nil {
		t.Fatal(err)
	}
	f := readFrame(t, c)
	if f.Header.OpCode != ws.OpPing || string(f.Payload) != "srv" {
		t.Fatalf("got %v %q, want ping", f.Header.OpCode, f.Payload)
	}
	send(t, c, ws.OpPong, true, f.Payload)
	if d := h.wait("data", id, 2, ioWait); string(d[1].data) != "srv" || d[1].format != api.DataPong {
		t.Errorf("pong event %+v", d[1])
	}
	if err := h.srv.Ping(id, make([]byte, 126)); err == nil {
		t.Errorf("Ping with 126 bytes accepted")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
