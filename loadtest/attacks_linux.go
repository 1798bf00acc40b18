package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Sizes and counts of the attacks.
const (
	dribbleEvery      = 200 * time.Millisecond
	headerFloodBytes  = 64 << 10
	slowReaderMsg     = 1 << 20
	slowReaderMsgs    = 32
	slowReaderRcvBuf  = 4 << 10
	floodCount        = 10_000
	garbageBytes      = 4 << 10
	vanishDeclared    = 1 << 20
	vanishSent        = 32 << 10
	maxHTTPReply      = 16 << 10
	attackIdle        = time.Second // slowreader: a quiet second ends the drain
	attackWriteChunk  = 64 << 10
	attackMaxDiscard  = 256 << 20 // most server bytes an attack reads before giving up
	attackStallWrites = 2 * time.Second
)

// attackEnv is what the attacks share.
type attackEnv struct {
	o *Options
	h *Hostile
	t target // the first target: attacks go there
	d *dialer
}

// attackResult is the outcome of one attempt.
type attackResult struct {
	outcome string  // see AttackStats
	fail    bool    // the outcome shows a server fault
	why     string  // for a failure: what happened
	closeMS float64 // trigger to the server ending the connection; <0: it did not
	sent    uint64
	recv    uint64
	pongs   uint64
}

// serverEnd is what watch saw the server do.
type serverEnd struct {
	code     int    // close frame code (1005: none in the frame); 0: no close frame
	end      string // "close", "tcp_close", "reset", "still_open", "idle", "until", "protocol", "io_error"
	at       time.Time
	msgs     int    // data messages received
	bytes    uint64 // all bytes read
	pongs    uint64
	lastLen  uint64 // length of the last data message
	errText  string
	sawFrame bool
}

// kind names what the server did: close_<code>, tcp_close, reset,
// still_open, ...
func (s serverEnd) kind() string {
	if s.end == "close" {
		return "close_" + strconv.Itoa(s.code)
	}
	return s.end
}

// ended reports whether the server ended the connection.
func (s serverEnd) ended() bool {
	return s.end == "close" || s.end == "tcp_close" || s.end == "reset"
}

// endKind classifies a read or write error.
func endKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, io.EOF):
		return "tcp_close"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return "still_open"
	}
	return "io_error"
}

// watch reads server frames from pending and then c until the server sends
// a close frame or ends the connection, deadline passes, no byte arrives for
// idle (if > 0), or until returns true at the end of a data message. It
// accepts RSV bits (compressed frames) and discards payloads.
func watch(c net.Conn, pending []byte, deadline time.Time, idle time.Duration, until func(op byte, n uint64) bool) serverEnd {
	var s serverEnd
	cr := &countingReader{c: c, deadline: deadline, idle: idle}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), cr), 32<<10)
	var hdr [14]byte
	var ctrl [125]byte
	var msgOp byte
	var msgLen uint64
	fail := func(err error) serverEnd {
		s.at = time.Now()
		s.bytes = cr.n + uint64(len(pending))
		s.end = endKind(err)
		if cr.idleHit {
			s.end = "idle"
		}
		if err != nil {
			s.errText = err.Error()
		}
		return s
	}
	for {
		h, err := wsclient.ReadHeader(br, &hdr)
		if errors.Is(err, wsclient.ErrTooLong) {
			s.end, s.errText, s.at = "protocol", err.Error(), time.Now()
			return s
		}
		if err != nil {
			return fail(err)
		}
		s.sawFrame = true
		fin, op, n := h.Fin, h.Op, h.Len
		if cr.n+n > attackMaxDiscard {
			s.end, s.errText, s.at = "protocol", "server frame too large to discard", time.Now()
			return s
		}
		if op >= wsclient.OpClose {
			k := min(n, uint64(len(ctrl)))
			if _, err := io.ReadFull(br, ctrl[:k]); err != nil {
				return fail(err)
			}
			if _, err := io.CopyN(io.Discard, br, int64(n-k)); err != nil {
				return fail(err)
			}
			switch op {
			case wsclient.OpClose:
				s.code = 1005
				if k >= 2 {
					s.code = int(binary.BigEndian.Uint16(ctrl[:2]))
				}
				s.end, s.at, s.bytes = "close", time.Now(), cr.n+uint64(len(pending))
				return s
			case wsclient.OpPong:
				s.pongs++
			}
			continue
		}
		if op != wsclient.OpCont {
			msgOp, msgLen = op, 0
		}
		msgLen += n
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			return fail(err)
		}
		if fin {
			s.msgs++
			s.lastLen = msgLen
			if until != nil && until(msgOp, msgLen) {
				s.end, s.at, s.bytes = "until", time.Now(), cr.n+uint64(len(pending))
				return s
			}
		}
	}
}

// countingReader reads c with an overall deadline and an idle limit.
type countingReader struct {
	c        net.Conn
	deadline time.Time
	idle     time.Duration
	n        uint64
	idleHit  bool
}

func (r *countingReader) Read(p []byte) (int, error) {
	dl := r.deadline
	if r.idle > 0 {
		if t := time.Now().Add(r.idle); t.Before(dl) {
			dl = t
		}
	}
	_ = r.c.SetReadDeadline(dl)
	n, err := r.c.Read(p)
	r.n += uint64(n)
	if err != nil && endKind(err) == "still_open" && dl.Before(r.deadline) {
		r.idleHit = true
	}
	return n, err
}

// dialTCP connects to the target (with TLS for wss), optionally with a small
// receive buffer set before connect.
func (e *attackEnv) dialTCP(ctx context.Context, rcvBuf int) (net.Conn, error) {
	nd := net.Dialer{Timeout: e.o.Timeout}
	var src []byte
	if len(e.d.sources) > 0 {
		a := e.d.sources[(e.d.next.Add(1)-1)%uint64(len(e.d.sources))]
		src = a.AsSlice()
		nd.LocalAddr = &net.TCPAddr{IP: src}
	}
	nd.Control = func(network, address string, c syscall.RawConn) error {
		if len(src) == 4 {
			_ = bindNoPort(network, address, c)
		}
		if rcvBuf > 0 {
			_ = c.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
			})
		}
		return nil
	}
	c, err := nd.DialContext(ctx, "tcp", e.t.addr)
	if err != nil {
		return nil, err
	}
	if e.d.tlsConf[0] != nil {
		tc := tls.Client(c, e.d.tlsConf[0])
		_ = c.SetDeadline(time.Now().Add(e.o.Timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		_ = c.SetDeadline(time.Time{})
		c = tc
	}
	return c, nil
}

// upgradeRequest returns an upgrade request for the target with extra
// header lines (each ending in CRLF) and its key.
func (e *attackEnv) upgradeRequest(extra string) ([]byte, string) {
	key := wsclient.NewKey()
	req := "GET " + e.t.path + " HTTP/1.1\r\nHost: " + e.t.host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n" + string(e.d.extra) + extra + "\r\n"
	return []byte(req), key
}

// readHead reads an HTTP response head; it returns the status (0 if none
// could be read), the head and the bytes after it.
func readHead(c net.Conn, deadline time.Time) (int, []byte, []byte, error) {
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 0, 4096)
	for {
		if end := bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			return statusOf(buf), buf[:end], buf[end+4:], nil
		}
		if len(buf) >= maxHTTPReply {
			return statusOf(buf), buf, nil, errors.New("response head too large")
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return statusOf(buf), buf, nil, err
		}
	}
}

// statusOf parses "HTTP/1.x NNN" at the start of b (0 if absent).
func statusOf(b []byte) int {
	if len(b) < 12 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return 0
	}
	n, err := strconv.Atoi(string(b[9:12]))
	if err != nil {
		return 0
	}
	return n
}

// awaitHTTP waits for the server's answer to a bad or incomplete upgrade
// request: a response (its status) and the end of the connection. pre and
// preErr are what an earlier read returned.
func awaitHTTP(c net.Conn, pre []byte, preErr error, t0, deadline time.Time) attackResult {
	buf := append([]byte(nil), pre...)
	err := preErr
	tmp := make([]byte, 4096)
	_ = c.SetReadDeadline(deadline)
	var total uint64
	for err == nil && total < attackMaxDiscard {
		var n int
		n, err = c.Read(tmp)
		total += uint64(n)
		if len(buf) < maxHTTPReply {
			buf = append(buf, tmp[:min(n, maxHTTPReply-len(buf))]...)
		}
	}
	r := attackResult{closeMS: -1, recv: uint64(len(pre)) + total}
	end := endKind(err)
	if end == "" {
		end = "still_open"
	}
	if end != "still_open" && end != "io_error" {
		r.closeMS = msSince(t0)
	}
	if code := statusOf(buf); code != 0 {
		r.outcome = "http_" + strconv.Itoa(code)
		if end == "still_open" {
			r.outcome += "+open"
		}
	} else {
		r.outcome = end
	}
	if end == "still_open" {
		r.fail, r.why = true, "connection still open at the attack deadline"
	}
	return r
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// watchOutcome turns what watch saw after a bad frame into a result; the
// server must close, and must not deliver an echo.
func watchOutcome(s serverEnd, t0 time.Time) attackResult {
	r := attackResult{outcome: s.kind(), closeMS: -1, recv: s.bytes, pongs: s.pongs}
	if s.ended() {
		r.closeMS = float64(s.at.Sub(t0).Microseconds()) / 1000
	}
	switch {
	case s.msgs > 0:
		r.outcome, r.fail, r.why = "echoed", true, "the server answered a message it should have refused ("+s.kind()+" after)"
	case s.end == "still_open" || s.end == "idle":
		r.outcome, r.fail, r.why = "still_open", true, "connection still open at the attack deadline"
	case s.end == "protocol" || s.end == "io_error":
		r.fail, r.why = true, s.errText
	}
	return r
}

// guard closes c when ctx ends; call the returned func when done.
// openTCP dials the target for an attack that speaks raw TCP; done closes
// the connection and disarms the guard that closes it when ctx ends.
func (e *attackEnv) openTCP(ctx context.Context) (c net.Conn, done func(), err error) {
	c, err = e.dialTCP(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	stop := guard(ctx, c)
	return c, func() { stop(); c.Close() }, nil
}

func guard(ctx context.Context, c net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { c.Close() })
}

// writeAll writes b with a deadline; it returns the bytes written.
func writeAll(c net.Conn, b []byte, deadline time.Time) (int, error) {
	_ = c.SetWriteDeadline(deadline)
	return c.Write(b)
}

// slowloris sends half an upgrade request and stalls.
func (e *attackEnv) slowloris(ctx context.Context) attackResult {
	c, closeConn, err := e.openTCP(ctx)
	if err != nil {
		return dialFailed(err)
	}
	defer closeConn()
	t0 := time.Now()
	req, _ := e.upgradeRequest("")
	half := req[:bytes.Index(req, []byte("Connection:"))]
	n, err := writeAll(c, half, t0.Add(e.h.AttackTimeout))
	r := awaitHTTP(c, nil, err, t0, t0.Add(e.h.AttackTimeout))
	r.sent = uint64(n)
	return r
}

// dribble sends a whole upgrade request one byte every 200 ms.
func (e *attackEnv) dribble(ctx context.Context) attackResult {
	c, closeConn, err := e.openTCP(ctx)
	if err != nil {
		return dialFailed(err)
	}
	defer closeConn()
	t0 := time.Now()
	deadline := t0.Add(e.h.AttackTimeout)
	req, _ := e.upgradeRequest("")
	buf := make([]byte, 4096)
	var sent uint64
	for i := range req {
		if _, err := writeAll(c, req[i:i+1], deadline); err != nil {
			r := awaitHTTP(c, nil, err, t0, deadline)
			r.sent = sent
			return r
		}
		sent++
		wait := time.Now().Add(dribbleEvery)
		if i == len(req)-1 || wait.After(deadline) {
			wait = deadline
		}
		_ = c.SetReadDeadline(wait)
		n, err := c.Read(buf)
		if n > 0 || (err != nil && endKind(err) != "still_open") || !time.Now().Before(deadline) {
			r := awaitHTTP(c, buf[:n], err, t0, deadline)
			r.sent = sent
			return r
		}
	}
	r := awaitHTTP(c, nil, nil, t0, deadline)
	r.sent = sent
	return r
}

// headers sends an upgrade request carrying 64 KiB of header lines.
func (e *attackEnv) headers(ctx context.Context) attackResult {
	c, closeConn, err := e.openTCP(ctx)
	if err != nil {
		return dialFailed(err)
	}
	defer closeConn()
	var extra []byte
	line := bytes.Repeat([]byte{'a'}, 8<<10)
	for i := 0; len(extra) < headerFloodBytes; i++ {
		extra = append(extra, "X-Filler-"+strconv.Itoa(i)+": "...)
		extra = append(extra, line...)
		extra = append(extra, "\r\n"...)
	}
	req, _ := e.upgradeRequest(string(extra))
	deadline := time.Now().Add(e.h.AttackTimeout)
	n, _ := writeAll(c, req, deadline)
	t0 := time.Now()
	r := awaitHTTP(c, nil, nil, t0, deadline)
	r.sent = uint64(n)
	if r.outcome == "http_101" || r.outcome == "http_101+open" {
		r.fail, r.why = true, "the server accepted a 64 KiB request head"
	}
	return r
}

// oversize declares a message one byte over the server's limit and streams
// its payload until the server reacts.
func (e *attackEnv) oversize(ctx context.Context) attackResult {
	c, rest, err := e.d.dial(ctx, 0)
	if err != nil {
		return dialFailed(err)
	}
	defer c.Close()
	defer guard(ctx, c)()
	declared := e.h.ServerMaxMessage + 1
	key := rand.Uint32()
	deadline := time.Now().Add(e.h.AttackTimeout)
	hdr := wsclient.AppendFrameHeader(nil, wsclient.OpBinary, declared, key)
	if _, err := writeAll(c, hdr, deadline); err != nil {
		return attackResult{outcome: endKind(err), closeMS: -1}
	}
	t0 := time.Now()
	done := make(chan serverEnd, 1)
	go func() { done <- watch(c, rest, deadline, 0, nil) }()
	chunk := make([]byte, attackWriteChunk)
	sent := uint64(len(hdr))
	for left := declared; left > 0; {
		select {
		case s := <-done:
			r := watchOutcome(s, t0)
			r.sent = sent
			return r
		default:
		}
		n, err := writeAll(c, chunk[:min(left, len(chunk))], deadline)
		sent += uint64(n)
		left -= n
		if err != nil {
			break
		}
	}
	r := watchOutcome(<-done, t0)
	r.sent = sent
	return r
}

// badFrame is one malformed-frame variant.
type badFrame struct {
	name  string
	build func(key uint32) []byte
}

// badFrames are the malformed frames, each sent on its own connection; the
// server must close with 1002.
var badFrames = []badFrame{
	{"unmasked", func(uint32) []byte { return []byte{0x81, 5, 'h', 'e', 'l', 'l', 'o'} }},
	{"opcode", func(k uint32) []byte { return wsclient.AppendFrame(nil, 0x3, []byte("hello"), k) }},
	{"rsv", func(k uint32) []byte {
		b := wsclient.AppendFrame(nil, wsclient.OpText, []byte("hello"), k)
		b[0] |= 0x30
		return b
	}},
	{"length", func(k uint32) []byte {
		b := []byte{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 5}
		return binary.BigEndian.AppendUint32(b, k)
	}},
	{"bigcontrol", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpPing, make([]byte, 126), k) }},
	{"fragcontrol", func(k uint32) []byte {
		b := wsclient.AppendFrame(nil, wsclient.OpPing, []byte("hi"), k)
		b[0] &^= 0x80
		return b
	}},
	{"orphancont", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpCont, []byte("hello"), k) }},
	{"newmsg", func(k uint32) []byte { // a text frame inside an unfinished message
		b := wsclient.AppendFrame(nil, wsclient.OpText, []byte("he"), k)
		b[0] &^= 0x80
		return wsclient.AppendFrame(b, wsclient.OpText, []byte("llo"), k)
	}},
	{"closelen1", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpClose, []byte{3}, k) }},
}

// badUTF8 are the invalid text messages; the server must close with 1007.
var badUTF8 = []badFrame{
	{"c3_28", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpText, []byte("ok\xc3\x28"), k) }},
	{"surrogate", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpText, []byte("\xed\xa0\x80"), k) }},
	{"overlong", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpText, []byte("\xc0\xaf"), k) }},
	{"ff", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpText, []byte("\xff\xfe"), k) }},
	{"truncated", func(k uint32) []byte { return wsclient.AppendFrame(nil, wsclient.OpText, []byte("ok\xe2\x82"), k) }},
	{"fragmented", func(k uint32) []byte {
		b := wsclient.AppendFrame(nil, wsclient.OpText, []byte("ok\xe2"), k)
		b[0] &^= 0x80
		return wsclient.AppendFrame(b, wsclient.OpCont, []byte("\x28ok"), k)
	}},
}

// sendBad upgrades, sends frame and waits for the server to close.
func (e *attackEnv) sendBad(ctx context.Context, frame []byte) attackResult {
	c, rest, err := e.d.dial(ctx, 0)
	if err != nil {
		return dialFailed(err)
	}
	defer c.Close()
	defer guard(ctx, c)()
	deadline := time.Now().Add(e.h.AttackTimeout)
	n, err := writeAll(c, frame, deadline)
	t0 := time.Now()
	s := watch(c, rest, deadline, 0, nil)
	if err != nil && s.end == "still_open" {
		s.end = endKind(err)
	}
	r := watchOutcome(s, t0)
	r.sent = uint64(n)
	return r
}

// bomb negotiates permessage-deflate and sends one message that inflates to
// 100 MiB of zeros.
func (e *attackEnv) bomb(ctx context.Context) attackResult {
	payload, err := bombPayload() // before the clock starts: building it takes a while
	if err != nil {
		return attackResult{outcome: "client_error", closeMS: -1, fail: true, why: err.Error()}
	}
	c, closeConn, err := e.openTCP(ctx)
	if err != nil {
		return dialFailed(err)
	}
	defer closeConn()
	deadline := time.Now().Add(e.h.AttackTimeout)
	req, _ := e.upgradeRequest("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n")
	if _, err := writeAll(c, req, deadline); err != nil {
		return attackResult{outcome: endKind(err), closeMS: -1}
	}
	status, head, rest, err := readHead(c, deadline)
	if status != 101 {
		return upgradeFailed(status, err)
	}
	if !bytes.Contains(bytes.ToLower(head), []byte("permessage-deflate")) {
		return attackResult{outcome: "no_deflate", closeMS: -1}
	}
	frame := wsclient.AppendFrame(nil, wsclient.OpBinary, payload, rand.Uint32())
	frame[0] |= 0x40 // RSV1: compressed
	done := make(chan serverEnd, 1)
	t0 := time.Now()
	go func() { done <- watch(c, rest, deadline, 0, nil) }()
	n, _ := writeAll(c, frame, deadline)
	r := watchOutcome(<-done, t0)
	r.sent = uint64(n)
	return r
}

// slowReader sends 32 MiB of messages to echo through a tiny receive buffer
// and reads nothing until it has sent them (or the server stops reading).
func (e *attackEnv) slowReader(ctx context.Context) attackResult {
	c, err := e.dialTCP(ctx, slowReaderRcvBuf)
	if err != nil {
		return dialFailed(err)
	}
	defer c.Close()
	defer guard(ctx, c)()
	deadline := time.Now().Add(e.h.AttackTimeout)
	req, key := e.upgradeRequest("")
	if _, err := writeAll(c, req, deadline); err != nil {
		return attackResult{outcome: endKind(err), closeMS: -1}
	}
	status, head, rest, err := readHead(c, deadline)
	if status != 101 || checkResponse(head, key, e.o.Request.Subprotocols) != nil {
		return upgradeFailed(status, err)
	}
	msg := wsclient.AppendFrame(nil, wsclient.OpBinary, bytes.Repeat([]byte("slow"), slowReaderMsg/4), rand.Uint32())
	var sent uint64
	blocked := false
	t0 := time.Now()
	for range slowReaderMsgs {
		stall := time.Now().Add(attackStallWrites)
		if stall.After(deadline) {
			stall = deadline
		}
		n, err := writeAll(c, msg, stall)
		sent += uint64(n)
		if err != nil {
			blocked = endKind(err) == "still_open"
			break
		}
	}
	s := watch(c, rest, deadline, attackIdle, nil)
	r := attackResult{outcome: s.kind(), closeMS: -1, sent: sent, recv: s.bytes}
	if s.ended() {
		r.closeMS = float64(s.at.Sub(t0).Microseconds()) / 1000
	}
	if !s.ended() && s.end != "protocol" && s.end != "io_error" {
		switch {
		case blocked:
			r.outcome = "backpressure"
		case s.bytes+slowReaderMsg >= sent:
			r.outcome = "echoed_all"
		default:
			r.outcome = "dropped_echoes"
		}
	}
	return r
}

// flood upgrades, writes frames without reading, then sends probe and waits
// for its echo: the server must either still work or close the connection.
func (e *attackEnv) flood(ctx context.Context, frames []byte, probeLen int) attackResult {
	c, rest, err := e.d.dial(ctx, 0)
	if err != nil {
		return dialFailed(err)
	}
	defer c.Close()
	defer guard(ctx, c)()
	deadline := time.Now().Add(e.h.AttackTimeout)
	var probe []byte
	if probeLen > 0 {
		probe = wsclient.AppendFrame(nil, wsclient.OpText, bytes.Repeat([]byte{'p'}, probeLen), rand.Uint32())
	}
	want := uint64(probeLen)
	if probeLen == 0 {
		want = floodCount
	}
	// The whole flood is written before anything is read.
	n, werr := writeAll(c, append(frames, probe...), deadline)
	t0 := time.Now()
	s := watch(c, rest, deadline, 0, func(op byte, n uint64) bool { return op == wsclient.OpText && n == want })
	if werr != nil && s.end == "still_open" {
		s.end = endKind(werr)
	}
	r := attackResult{outcome: s.kind(), closeMS: -1, sent: uint64(n), recv: s.bytes, pongs: s.pongs}
	switch {
	case s.end == "until":
		r.outcome = "echo_ok"
	case s.ended():
		r.closeMS = float64(s.at.Sub(t0).Microseconds()) / 1000
	default:
		r.fail, r.why = true, "no echo and no close by the attack deadline ("+s.kind()+")"
	}
	return r
}

// pingFlood is 10,000 pings, then a probe message.
func (e *attackEnv) pingFlood(ctx context.Context) attackResult {
	key := rand.Uint32()
	var b []byte
	var p [4]byte
	for i := range floodCount {
		binary.BigEndian.PutUint32(p[:], uint32(i))
		b = wsclient.AppendFrame(b, wsclient.OpPing, p[:], key)
	}
	return e.flood(ctx, b, 16)
}

// fragFlood is one text message of 10,000 one-byte fragments.
func (e *attackEnv) fragFlood(ctx context.Context) attackResult {
	key := rand.Uint32()
	b := make([]byte, 0, floodCount*7)
	for i := range floodCount {
		op := byte(wsclient.OpCont)
		if i == 0 {
			op = wsclient.OpText
		}
		start := len(b)
		b = wsclient.AppendFrame(b, op, []byte{'f'}, key)
		if i < floodCount-1 {
			b[start] &^= 0x80
		}
	}
	return e.flood(ctx, b, 0)
}

// garbage pipelines a message and random bytes after the upgrade request.
func (e *attackEnv) garbage(ctx context.Context) attackResult {
	c, closeConn, err := e.openTCP(ctx)
	if err != nil {
		return dialFailed(err)
	}
	defer closeConn()
	deadline := time.Now().Add(e.h.AttackTimeout)
	req, _ := e.upgradeRequest("")
	junk := make([]byte, garbageBytes)
	for i := range junk {
		junk[i] = byte(rand.Uint32())
	}
	junk[0] |= 0x70 // reserved bits: no valid frame can start here
	req = wsclient.AppendFrame(req, wsclient.OpText, []byte("before the garbage"), rand.Uint32())
	req = append(req, junk...)
	n, werr := writeAll(c, req, deadline)
	t0 := time.Now()
	status, _, rest, err := readHead(c, deadline)
	if status != 101 {
		r := awaitHTTP(c, nil, err, t0, deadline)
		if status != 0 {
			r.outcome, r.fail = "http_"+strconv.Itoa(status), r.closeMS < 0
		}
		r.sent = uint64(n)
		return r
	}
	s := watch(c, rest, deadline, 0, nil)
	if werr != nil && s.end == "still_open" {
		s.end = endKind(werr)
	}
	s.msgs = 0 // the valid message before the garbage may be echoed
	r := watchOutcome(s, t0)
	r.sent = uint64(n)
	return r
}

// vanish sends half of a 1 MiB frame and resets the connection.
func (e *attackEnv) vanish(ctx context.Context) attackResult {
	c, _, err := e.d.dial(ctx, 0)
	if err != nil {
		return dialFailed(err)
	}
	defer c.Close()
	key := rand.Uint32()
	b := wsclient.AppendFrameHeader(nil, wsclient.OpBinary, vanishDeclared, key)
	b = append(b, make([]byte, vanishSent)...)
	n, _ := writeAll(c, b, time.Now().Add(e.h.AttackTimeout))
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	return attackResult{outcome: "reset_sent", closeMS: -1, sent: uint64(n)}
}

func dialFailed(err error) attackResult {
	return attackResult{outcome: "dial_error", closeMS: -1, fail: true, why: err.Error()}
}

// upgradeFailed is the result of an attack whose upgrade did not succeed:
// an HTTP refusal is the server's right, no answer at all is a failure.
func upgradeFailed(status int, err error) attackResult {
	if status != 0 {
		return attackResult{outcome: "http_" + strconv.Itoa(status), closeMS: -1}
	}
	r := attackResult{outcome: endKind(err), closeMS: -1}
	if r.outcome == "" || r.outcome == "still_open" {
		r.outcome, r.fail, r.why = "still_open", true, "no answer to the upgrade request: "+errText(err)
	}
	return r
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
