package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/klauspost/compress/flate"
)

// The in-test servers. /echo is a reference echo server built on gobwas/ws
// (wsutil.Reader on a goroutine per connection). The other paths are
// deliberately broken:
//   - /broken echoes raw frames without any validation (reserved opcodes,
//     RSV bits, invalid UTF-8, oversized pings, invalid close codes);
//   - /badaccept answers the handshake with a wrong Sec-WebSocket-Accept;
//   - /lateutf8 is the reference server validating UTF-8 only once a
//     message is complete (not fail-fast);
//   - /nodeflate is the reference server declining permessage-deflate;
//   - /liar accepts server_max_window_bits=N but compresses with a 32 KiB
//     window.

type testServer struct {
	ln  net.Listener
	wg  sync.WaitGroup
	mu  sync.Mutex
	all map[net.Conn]struct{}
}

func startTestServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf(
			"listen: %v",
			err,
		)
	}
	s := &testServer{ln: ln, all: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.all[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.all, c)
					s.mu.Unlock()
				}()
				serveConn(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.all {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return "ws://" + ln.Addr().String()
}

// oneByteReader hands the upgrader one byte per Read so that its internal
// buffer never swallows frames pipelined after the request.
type oneByteReader struct{ br *bufio.Reader }

func (r oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.br.Read(p[:1])
}

type rw struct {
	io.Reader
	io.Writer
}

// refDeflate is the reference server's permessage-deflate state.
type refDeflate struct {
	params wsflate.Parameters // as answered
	dict   []byte             // client context (takeover)
	lie    bool
}

func serveConn(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReaderSize(c, 64<<10)
	var (
		path string
		pmd  *refDeflate
	)
	u := ws.Upgrader{
		ReadBufferSize: 4096,
		OnRequest: func(uri []byte) error {
			path = string(uri)
			return nil
		},
		Protocol: func(p []byte) bool { return string(p) == "chat" || string(p) == "v2.wsloop" },
		Negotiate: func(opt httphead.Option) (httphead.Option, error) {
			if pmd != nil || path == "/nodeflate" || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
				return httphead.Option{}, nil
			}
			var p wsflate.Parameters
			if err := p.Parse(opt); err != nil {
				return httphead.Option{}, nil // decline an invalid offer
			}
			resp := wsflate.Parameters{
				ServerNoContextTakeover: true,
				ClientNoContextTakeover: p.ClientNoContextTakeover,
				ServerMaxWindowBits:     p.ServerMaxWindowBits,
			}
			if p.ClientMaxWindowBits > 1 {
				resp.ClientMaxWindowBits = p.ClientMaxWindowBits
			}
			pmd = &refDeflate{params: resp, lie: path == "/liar"}
			return resp.Option(), nil
		},
	}
	var conn io.ReadWriter = rw{oneByteReader{br}, c}
	if strings.HasPrefix(peekPath(br), "/badaccept") {
		serveBadAccept(c, br)
		return
	}
	if _, err := u.Upgrade(conn); err != nil {
		lingerClose(c)
		return
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if path == "/broken" {
		serveBroken(c, br)
		return
	}
	serveReference(c, br, pmd, path == "/lateutf8")
}

// peekPath returns the request target without consuming it.
func peekPath(br *bufio.Reader) string {
	b, _ := br.Peek(16)
	_, after, ok := bytes.Cut(b, []byte(" "))
	if !ok {
		return ""
	}
	return string(after)
}

// lingerClose closes gracefully: stop writing, drain the peer for a while,
// then close, so that the peer reads our last frames before any RST.
func lingerClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, c)
	}
	c.Close()
}

var errCloseDone = errors.New("close handled")

func writeClose(c net.Conn, code ws.StatusCode, reason string) {
	_ = ws.WriteFrame(c, ws.NewCloseFrame(ws.NewCloseFrameBody(code, reason)))
}

func serveReference(c net.Conn, br *bufio.Reader, pmd *refDeflate, lateUTF8 bool) {
	var ms wsflate.MessageState
	ctl := func(h ws.Header, r io.Reader) error {
		if h.Rsv != 0 {
			return ws.ErrProtocolNonZeroRsv
		}
		p, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		switch h.OpCode {
		case ws.OpPing:
			return ws.WriteFrame(c, ws.NewPongFrame(p))
		case ws.OpClose:
			if len(p) == 1 {
				return ws.ErrProtocolControlPayloadOverflow
			}
			if len(p) == 0 {
				_ = ws.WriteFrame(c, ws.NewCloseFrame(nil))
				return errCloseDone
			}
			code, reason := ws.ParseCloseFrameData(p)
			if err := ws.CheckCloseFrameData(code, reason); err != nil {
				return err
			}
			writeClose(c, code, "")
			return errCloseDone
		}
		return nil
	}
	rd := &wsutil.Reader{Source: br, State: ws.StateServerSide, CheckUTF8: pmd == nil && !lateUTF8, OnIntermediate: ctl}
	rd.OnContinuation = func(h ws.Header, _ io.Reader) error {
		if h.Rsv != 0 {
			return ws.ErrProtocolNonZeroRsv
		}
		return nil
	}
	if pmd != nil {
		rd.State |= ws.StateExtended
		rd.Extensions = []wsutil.RecvExtension{&ms}
	}
	for {
		h, err := rd.NextFrame()
		if err == nil && h.OpCode.IsControl() {
			err = ctl(h, rd)
			if err == nil {
				continue
			}
		}
		if err == nil && h.Rsv != 0 {
			err = ws.ErrProtocolNonZeroRsv
		}
		var p []byte
		if err == nil {
			p, err = io.ReadAll(rd)
		}
		if err == nil && pmd != nil && ms.IsCompressed() {
			p, err = pmd.inflate(p)
			if err != nil {
				writeClose(c, ws.StatusInvalidFramePayloadData, "bad deflate data")
				lingerClose(c)
				return
			}
		}
		if err == nil && h.OpCode == ws.OpText && !utf8.Valid(p) {
			err = wsutil.ErrInvalidUTF8
		}
		if err != nil {
			var pe ws.ProtocolError
			switch {
			case errors.Is(err, errCloseDone):
			case errors.Is(err, ws.ErrProtocolInvalidUTF8), errors.Is(err, wsutil.ErrInvalidUTF8):
				writeClose(c, ws.StatusInvalidFramePayloadData, "invalid UTF-8")
			case errors.As(err, &pe):
				writeClose(c, ws.StatusProtocolError, pe.Error())
			default:
				c.Close()
				return
			}
			lingerClose(c)
			return
		}
		if err := writeEcho(c, h.OpCode, p, pmd); err != nil {
			return
		}
	}
}

// writeEcho writes the message back, compressed when deflate is on and
// fragmented into 16 KiB frames when it is large.
func writeEcho(c net.Conn, op ws.OpCode, p []byte, pmd *refDeflate) error {
	compressed := false
	if pmd != nil {
		p = pmd.deflate(p)
		compressed = true
	}
	const frameSize = 16 << 10
	var out bytes.Buffer
	first := true
	for first || len(p) > 0 {
		n := len(p)
		if n > 64<<10 {
			n = frameSize
		}
		h := ws.Header{Fin: n == len(p), OpCode: ws.OpContinuation, Length: int64(n)}
		if first {
			h.OpCode = op
			if compressed {
				h.Rsv = ws.Rsv(true, false, false)
			}
		}
		_ = ws.WriteHeader(&out, h)
		out.Write(p[:n])
		p = p[n:]
		first = false
	}
	_, err := c.Write(out.Bytes())
	return err
}

func (d *refDeflate) inflate(p []byte) ([]byte, error) {
	tail := []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}
	r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(p), bytes.NewReader(tail)), d.dict)
	out, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	if !d.params.ClientNoContextTakeover {
		d.dict = append(d.dict, out...)
		if len(d.dict) > 32<<10 {
			d.dict = append([]byte(nil), d.dict[len(d.dict)-32<<10:]...)
		}
	}
	return out, nil
}

func (d *refDeflate) deflate(p []byte) []byte {
	level := flate.BestSpeed
	if b := d.params.ServerMaxWindowBits; b > 0 && b < 15 && !d.lie {
		level = flate.HuffmanOnly // no back-references: fits any window
	}
	if d.lie {
		level = flate.BestCompression
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, level)
	_, _ = w.Write(p)
	_ = w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// serveBroken echoes every frame verbatim (RSV bits cleared) without any
// validation.
func serveBroken(c net.Conn, br *bufio.Reader) {
	for {
		h, err := ws.ReadHeader(br)
		if err != nil || h.Length > 32<<20 {
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPong:
			continue
		case ws.OpPing:
			h.OpCode = ws.OpPong
		}
		out := ws.Header{Fin: h.Fin, OpCode: h.OpCode, Length: int64(len(p))}
		var b bytes.Buffer
		_ = ws.WriteHeader(&b, out)
		b.Write(p)
		if _, err := c.Write(b.Bytes()); err != nil {
			return
		}
		if h.OpCode == ws.OpClose {
			lingerClose(c)
			return
		}
	}
}

// serveBadAccept answers any request with a 101 carrying a wrong accept key
// and then echoes like the broken server.
func serveBadAccept(c net.Conn, br *bufio.Reader) {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	serveBroken(c, br)
}
