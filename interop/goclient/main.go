// Command goclient is an interop client for wsloop built on github.com/gorilla/websocket.
// It lives in its own module so gorilla never enters the core go.mod.
//
//	goclient -url ws://127.0.0.1:PORT -compress=on|off
//
// It prints "ok <case>" per passed case, then "PASS <n> cases"; on the first failure it
// prints "FAIL <case>: <error>" and exits 1. Every network wait has a deadline.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

const timeout = 10 * time.Second

// client is the configuration shared by every case.
type client struct {
	base     string
	compress bool
}

// testCase is one named interop check.
type testCase struct {
	name string
	run  func(c client) error
}

func main() {
	url := flag.String("url", "", "server base URL, ws://127.0.0.1:PORT")
	mode := flag.String("compress", "off", "on if the server runs with -compress")
	flag.Parse()
	if *url == "" || (*mode != "on" && *mode != "off") {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(client{base: strings.TrimSuffix(*url, "/"), compress: *mode == "on"}, os.Stdout))
}

func run(c client, out io.Writer) int {
	fmt.Fprintf(out, "gorilla/websocket, compression %v\n", c.compress)
	for _, tc := range cases {
		if err := tc.run(c); err != nil {
			fmt.Fprintf(out, "FAIL %s: %v\n", tc.name, err)
			return 1
		}
		fmt.Fprintf(out, "ok %s\n", tc.name)
	}
	fmt.Fprintf(out, "PASS %d cases\n", len(cases))
	return 0
}

var cases = []testCase{
	{"text", func(c client) error {
		return c.echo(websocket.TextMessage, []byte(strings.Repeat("héllo wsloop ✓ ", 10)))
	}},
	{"binary", func(c client) error {
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(i)
		}
		return c.echo(websocket.BinaryMessage, b)
	}},
	{"large-1MiB-binary", func(c client) error {
		b := make([]byte, 1<<20)
		_, _ = rand.Read(b)
		return c.echo(websocket.BinaryMessage, b)
	}},
	{"fragmented", caseFragmented},
	{"ping-pong", casePing},
	{"close-4000", func(c client) error { return c.closeWith(4000, "bye") }},
	{"close-1000", func(c client) error { return c.closeWith(websocket.CloseNormalClosure, "") }},
	{"compression", caseCompression},
	{"chat-broadcast", caseChat},
}

// dial opens path with compression offered when on; it returns the handshake response too.
func (c client) dial(path string, offer bool) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{
		HandshakeTimeout:  timeout,
		EnableCompression: offer,
		ReadBufferSize:    4096,
		WriteBufferSize:   1024, // small: NextWriter then sends long messages as several frames
	}
	conn, resp, err := d.Dial(c.base+path, nil)
	if err != nil {
		return nil, resp, fmt.Errorf("dial %s: %w", path, err)
	}
	conn.SetReadLimit(4 << 20)
	return conn, resp, nil
}

// roundTrip sends one message and reads one back, checking type and payload.
func roundTrip(conn *websocket.Conn, mt int, payload []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(timeout))
	if err := conn.WriteMessage(mt, payload); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return expectMessage(conn, mt, payload)
}

func expectMessage(conn *websocket.Conn, mt int, payload []byte) error {
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	gt, got, err := conn.ReadMessage()
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if gt != mt {
		return fmt.Errorf("message type %d, want %d", gt, mt)
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("echo mismatch: %d bytes back for %d", len(got), len(payload))
	}
	return nil
}

// closeNormally runs the closing handshake with code 1000.
func closeNormally(conn *websocket.Conn) {
	_ = conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(timeout))
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	_ = conn.Close()
}

func (c client) echo(mt int, payload []byte) error {
	conn, _, err := c.dial("/echo", c.compress)
	if err != nil {
		return err
	}
	defer closeNormally(conn)
	return roundTrip(conn, mt, payload)
}

func caseFragmented(c client) error {
	conn, _, err := c.dial("/echo", c.compress)
	if err != nil {
		return err
	}
	defer closeNormally(conn)
	// With a 1 KiB write buffer, NextWriter flushes a frame per KiB: a 10 KiB message
	// crosses the wire as about ten frames (first frame + continuations).
	for _, mt := range []int{websocket.TextMessage, websocket.BinaryMessage} {
		msg := []byte(strings.Repeat("0123456789", 1024))
		_ = conn.SetWriteDeadline(time.Now().Add(timeout))
		w, err := conn.NextWriter(mt)
		if err != nil {
			return err
		}
		for i := 0; i < len(msg); i += 700 {
			if _, err := w.Write(msg[i:min(i+700, len(msg))]); err != nil {
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		if err := expectMessage(conn, mt, msg); err != nil {
			return fmt.Errorf("type %d: %w", mt, err)
		}
	}
	return nil
}

func casePing(c client) error {
	conn, _, err := c.dial("/echo", c.compress)
	if err != nil {
		return err
	}
	defer closeNormally(conn)
	var pongs []string
	conn.SetPongHandler(func(data string) error { pongs = append(pongs, data); return nil })
	for i := 0; i < 3; i++ {
		if err := conn.WriteControl(websocket.PingMessage, fmt.Appendf(nil, "ping-%d", i), time.Now().Add(timeout)); err != nil {
			return err
		}
	}
	// Pongs are handled while reading: the echo below comes after them.
	if err := roundTrip(conn, websocket.TextMessage, []byte("after ping")); err != nil {
		return err
	}
	if want := []string{"ping-0", "ping-1", "ping-2"}; strings.Join(pongs, ",") != strings.Join(want, ",") {
		return fmt.Errorf("pongs %q, want %q", pongs, want)
	}
	return nil
}

func (c client) closeWith(code int, reason string) error {
	conn, _, err := c.dial("/echo", c.compress)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := roundTrip(conn, websocket.TextMessage, []byte("bye soon")); err != nil {
		return err
	}
	if err := conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(timeout)); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("after close: %v, want the server's close frame", err)
	}
	if ce.Code != code {
		return fmt.Errorf("server answered close code %d, want %d", ce.Code, code)
	}
	fmt.Printf("   close reason echoed: %q\n", ce.Text)
	return nil
}

func caseCompression(c client) error {
	conn, resp, err := c.dial("/echo", true) // always offer; the server decides
	if err != nil {
		return err
	}
	defer closeNormally(conn)
	ext := resp.Header.Get("Sec-WebSocket-Extensions")
	fmt.Printf("   Sec-WebSocket-Extensions: %q\n", ext)
	if c.compress != strings.Contains(ext, "permessage-deflate") {
		return fmt.Errorf("server with compression %v answered extensions %q", c.compress, ext)
	}
	if c.compress {
		// gorilla supports only no_context_takeover: the server must have agreed to it.
		if !strings.Contains(ext, "server_no_context_takeover") {
			return fmt.Errorf("extensions %q lack server_no_context_takeover that gorilla requested", ext)
		}
	}
	msg := []byte(strings.Repeat("compress me ", 5000))
	for i := 0; i < 3; i++ {
		if err := roundTrip(conn, websocket.TextMessage, msg); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return roundTrip(conn, websocket.BinaryMessage, make([]byte, 70000))
}

// caseChat checks that a /chat message reaches both members of the room, compressed
// once by the server for all of them when compression is on.
func caseChat(c client) error {
	var conns []*websocket.Conn
	defer func() {
		for _, conn := range conns {
			closeNormally(conn)
		}
	}()
	for i := 0; i < 3; i++ {
		conn, _, err := c.dial("/chat", c.compress)
		if err != nil {
			return err
		}
		conns = append(conns, conn)
	}
	time.Sleep(200 * time.Millisecond) // let all joins register
	msg := []byte(`{"from":"go-0","text":"` + strings.Repeat("hello room ", 300) + `"}`)
	_ = conns[0].SetWriteDeadline(time.Now().Add(timeout))
	if err := conns[0].WriteMessage(websocket.TextMessage, msg); err != nil {
		return err
	}
	for i, conn := range conns {
		if err := expectMessage(conn, websocket.TextMessage, msg); err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
	}
	return nil
}
