package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxResponseHeader bounds the handshake response we are willing to read.
const maxResponseHeader = 64 << 10

// conn is one client connection to the target.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	t   Target
	ep  endpoint
	key string

	idle atomic.Int64 // read idle timeout in force, in nanoseconds

	// Handshake response.
	status     int
	statusLine string
	header     textproto.MIMEHeader

	pmd *pmdConn // non-nil once permessage-deflate is negotiated
	cur *message // data message in progress (fragmented)

	closeCode uint16 // code of the close frame the server sent, if any
	closeSeen bool
	sentClose bool
	writeErr  error
	wmu       sync.Mutex // one writer at a time: frames are never interleaved
	stopCtx   func() bool
}

// idleReader sets a fresh read deadline before every read, so a long
// message keeps the connection alive as long as bytes arrive.
type idleReader struct{ c *conn }

func (r idleReader) Read(p []byte) (int, error) {
	_ = r.c.nc.SetReadDeadline(time.Now().Add(time.Duration(r.c.idle.Load())))
	return r.c.nc.Read(p)
}

// dialTCP opens the transport (TCP, or TLS for wss) to t.
func dialTCP(ctx context.Context, t Target) (*conn, error) {
	ep, err := parseEndpoint(t.URL)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: t.ReplyTimeout}
	nc, err := d.DialContext(ctx, "tcp", ep.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", ep.addr, err)
	}
	if ep.tls {
		cfg := &tls.Config{}
		if t.TLS != nil {
			cfg = t.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = ep.sni
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithTimeout(ctx, t.ReplyTimeout)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	c := &conn{nc: nc, t: t, ep: ep}
	c.idle.Store(int64(t.ReplyTimeout))
	c.br = bufio.NewReaderSize(idleReader{c}, 64<<10)
	c.stopCtx = context.AfterFunc(ctx, func() { nc.Close() })
	return c, nil
}

// close releases the connection.
func (c *conn) close() {
	c.stopCtx()
	c.nc.Close()
}

// write sends b, in chunks of chop bytes when chop > 0, pausing between
// chunks. A write error is remembered and later writes are skipped: the
// server may legitimately drop the connection while we are still sending.
func (c *conn) write(b []byte, chop int, pause time.Duration) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.writeErr != nil {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.t.Timeout))
	if chop <= 0 {
		chop = 256 << 10
	}
	for len(b) > 0 {
		n := min(chop, len(b))
		if _, err := c.nc.Write(b[:n]); err != nil {
			c.writeErr = err
			return
		}
		b = b[n:]
		// While we are still sending, the server's silence is not its
		// fault: push the read deadline on.
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Duration(c.idle.Load())))
		if pause > 0 && len(b) > 0 {
			time.Sleep(pause)
		}
	}
}

// readResponse reads the status line and headers of the handshake response.
func (c *conn) readResponse() error {
	lr := &limitedLineReader{br: c.br, left: maxResponseHeader}
	line, err := lr.line()
	if err != nil {
		return fmt.Errorf("reading status line: %w", err)
	}
	c.statusLine = line
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/1.") || len(parts[1]) != 3 {
		return fmt.Errorf("malformed status line %q", line)
	}
	code := 0
	for _, ch := range parts[1] {
		if ch < '0' || ch > '9' {
			return fmt.Errorf("malformed status line %q", line)
		}
		code = code*10 + int(ch-'0')
	}
	c.status = code
	c.header = textproto.MIMEHeader{}
	for {
		l, err := lr.line()
		if err != nil {
			return fmt.Errorf("reading headers: %w", err)
		}
		if l == "" {
			return nil
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("malformed header line %q", l)
		}
		c.header.Add(textproto.CanonicalMIMEHeaderKey(k), strings.TrimSpace(v))
	}
}

// limitedLineReader reads CRLF (or LF) terminated lines with a total budget.
type limitedLineReader struct {
	br   *bufio.Reader
	left int
}

func (l *limitedLineReader) line() (string, error) {
	var sb strings.Builder
	for {
		if l.left <= 0 {
			return "", errors.New("response header too large")
		}
		b, err := l.br.ReadByte()
		if err != nil {
			return "", err
		}
		l.left--
		if b == '\n' {
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		sb.WriteByte(b)
	}
}

// dialOptions tune the opening handshake of dial.
type dialOptions struct {
	extensions string // Sec-WebSocket-Extensions offer, "" for none
	protocols  string // Sec-WebSocket-Protocol offer, "" for none
	pipelined  []byte // bytes written in the same write right after the request
	chop       int    // write the request in chunks of this size
	edit       func(*request)
}

// dial opens a WebSocket connection and validates the 101 response. On
// failure it returns a Failed verdict (or Unimplemented where noted).
func dial(ctx context.Context, t *Target, o dialOptions) (*conn, Verdict, bool) {
	c, err := dialTCP(ctx, *t)
	if err != nil {
		return nil, failf("%v", err), false
	}
	c.key = wsclient.NewKey()
	req := newRequest(c.ep, c.key)
	for k, vs := range t.Header {
		for _, v := range vs {
			req.headers = append(req.headers, [2]string{k, v})
		}
	}
	if o.extensions != "" {
		req.set("Sec-WebSocket-Extensions", o.extensions)
	}
	if o.protocols != "" {
		req.set("Sec-WebSocket-Protocol", o.protocols)
	}
	if o.edit != nil {
		o.edit(req)
	}
	out := append(req.bytes(), o.pipelined...)
	c.write(out, o.chop, 0)
	if c.writeErr != nil {
		c.close()
		return nil, failf("writing handshake: %v", c.writeErr), false
	}
	if err := c.readResponse(); err != nil {
		c.close()
		return nil, failf("handshake: %v", err), false
	}
	if err := c.checkUpgrade(o); err != nil {
		c.close()
		return nil, failf("handshake: %v", err), false
	}
	return c, Verdict{}, true
}

// checkUpgrade validates a 101 response per RFC 6455 section 4.1.
func (c *conn) checkUpgrade(o dialOptions) error {
	if c.status != 101 {
		return fmt.Errorf("status %q, want 101", c.statusLine)
	}
	if !strings.EqualFold(c.header.Get("Upgrade"), "websocket") {
		return fmt.Errorf("Upgrade header %q, want websocket", c.header.Get("Upgrade"))
	}
	if !hasToken(c.header.Values("Connection"), "upgrade") {
		return fmt.Errorf("Connection header %q lacks the upgrade token", c.header.Values("Connection"))
	}
	if got, want := c.header.Get("Sec-Websocket-Accept"), wsclient.AcceptKey(c.key); got != want {
		return fmt.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	protos := c.header.Values("Sec-Websocket-Protocol")
	switch {
	case len(protos) > 1:
		return fmt.Errorf("several Sec-WebSocket-Protocol headers %q", protos)
	case len(protos) == 1 && !hasToken([]string{o.protocols}, protos[0]):
		return fmt.Errorf("Sec-WebSocket-Protocol %q was not offered (offer %q)", protos[0], o.protocols)
	}
	exts := strings.Join(c.header.Values("Sec-Websocket-Extensions"), ", ")
	if strings.TrimSpace(exts) == "" {
		return nil
	}
	if o.extensions == "" {
		return fmt.Errorf("Sec-WebSocket-Extensions %q although none was offered", exts)
	}
	p, err := acceptDeflateResponse(o.extensions, exts)
	if err != nil {
		return err
	}
	if p != nil {
		c.pmd = newPMD(*p)
	}
	return nil
}

// hasToken reports whether a comma-separated header value list contains tok
// (case-insensitively).
func hasToken(values []string, tok string) bool {
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), tok) {
				return true
			}
		}
	}
	return false
}

// waitEOF waits up to the reply timeout for the server to close TCP,
// discarding anything it still sends. It reports whether EOF was seen.
func (c *conn) waitEOF() bool {
	c.idle.Store(int64(c.t.ReplyTimeout))
	deadline := time.Now().Add(c.t.ReplyTimeout)
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		_, err := c.br.Read(buf)
		if err != nil {
			return !isTimeout(err)
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
