package loadtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"
)

// maxResponseHeader bounds the HTTP upgrade response.
const maxResponseHeader = 16 << 10

// kindError is an error with an error kind for Result.Errors.
type kindError struct {
	kind string
	err  error
}

func (e *kindError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// errKind returns the kind of err, classifying timeouts.
func errKind(err error, fallback string) string {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrKindTimeout
	}
	return fallback
}

// dialer opens upgraded WebSocket connections.
type dialer struct {
	targets []target
	opts    *Options
	tlsConf []*tls.Config // per target; nil for ws://
	sources []netip.Addr
	next    atomic.Uint64
	extra   []byte // the Request's header lines
}

func newDialer(targets []target, o *Options) *dialer {
	d := &dialer{targets: targets, opts: o, sources: o.Sources, tlsConf: make([]*tls.Config, len(targets))}
	for i, t := range targets {
		if t.tls {
			c := &tls.Config{}
			if o.Request.TLS != nil {
				c = o.Request.TLS.Clone()
			}
			c.ServerName, c.InsecureSkipVerify = t.srvName, o.Insecure //nolint:gosec // for self-signed test servers
			d.tlsConf[i] = c
		}
	}
	d.extra = o.Request.appendHeaders(nil)
	return d
}

// dial connects to target i (modulo the number of targets), runs TLS if
// needed and performs the upgrade. It returns the connection, any bytes the
// server sent after the 101 response, and an error whose kind errKind
// reports.
func (d *dialer) dial(ctx context.Context, i int) (net.Conn, []byte, error) {
	i %= len(d.targets)
	t := &d.targets[i]
	nd := net.Dialer{Timeout: d.opts.Timeout}
	if len(d.sources) > 0 {
		src := d.sources[(d.next.Add(1)-1)%uint64(len(d.sources))]
		nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		if src.Is4() {
			nd.Control = bindNoPort
		}
	}
	c, err := nd.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, nil, &kindError{ErrKindDial, err}
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	deadline := time.Now().Add(d.opts.Timeout)
	_ = c.SetDeadline(deadline)
	if d.tlsConf[i] != nil {
		tc := tls.Client(c, d.tlsConf[i])
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, nil, &kindError{errKind(err, ErrKindTLS), err}
		}
		c = tc
	}
	rest, err := d.upgrade(c, t)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, rest, nil
}

// upgrade writes the HTTP request and reads the 101 response.
func (d *dialer) upgrade(c net.Conn, t *target) ([]byte, error) {
	key := wsclient.NewKey()
	req := make([]byte, 0, 256)
	req = append(req, "GET "...)
	req = append(req, t.path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, t.host...)
	req = append(req, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	req = append(req, key...)
	req = append(req, "\r\n"...)
	req = append(req, d.extra...)
	req = append(req, "\r\n"...)
	if _, err := c.Write(req); err != nil {
		return nil, &kindError{errKind(err, ErrKindHandshake), err}
	}
	buf := make([]byte, 0, 1024)
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= maxResponseHeader {
				return nil, &kindError{ErrKindHandshake, errors.New("response header too large")}
			}
			nb := make([]byte, len(buf), 2*cap(buf))
			copy(nb, buf)
			buf = nb
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if end := bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			if herr := checkResponse(buf[:end], key, d.opts.Request.Subprotocols); herr != nil {
				return nil, herr
			}
			rest := buf[end+4:]
			if len(rest) == 0 {
				return nil, nil
			}
			return bytes.Clone(rest), nil
		}
		if err != nil {
			return nil, &kindError{errKind(err, ErrKindHandshake), fmt.Errorf("reading response: %w", err)}
		}
	}
}

// checkResponse validates the status line and the upgrade headers.
func checkResponse(head []byte, key string, offered []string) error {
	lines := bytes.Split(head, []byte("\r\n"))
	status := lines[0]
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 ")) || len(status) < 12 {
		return &kindError{ErrKindHandshake, fmt.Errorf("bad status line %q", status)}
	}
	code, err := strconv.Atoi(string(status[9:12]))
	if err != nil {
		return &kindError{ErrKindHandshake, fmt.Errorf("bad status line %q", status)}
	}
	if code != 101 {
		return &kindError{"handshake_status_" + strconv.Itoa(code), fmt.Errorf("status %d", code)}
	}
	want := wsclient.AcceptKey(key)
	var upgrade, accept bool
	var proto []byte
	for _, l := range lines[1:] {
		name, val, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Upgrade")):
			upgrade = bytes.EqualFold(val, []byte("websocket"))
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Sec-WebSocket-Accept")):
			accept = string(val) == want
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Sec-WebSocket-Protocol")):
			proto = val
		}
	}
	if !upgrade || !accept {
		return &kindError{ErrKindHandshake, fmt.Errorf("missing or wrong Upgrade/Sec-WebSocket-Accept (upgrade %v accept %v)", upgrade, accept)}
	}
	return checkSubprotocol(proto, offered)
}

// checkSubprotocol checks the server's Sec-WebSocket-Protocol answer: one of
// the offered protocols when there was an offer, nothing otherwise.
func checkSubprotocol(chosen []byte, offered []string) error {
	switch {
	case len(offered) == 0 && chosen == nil:
		return nil
	case len(offered) == 0:
		return &kindError{ErrKindSubprotocol, fmt.Errorf("server chose subprotocol %q although none was offered", chosen)}
	case chosen == nil:
		return &kindError{ErrKindSubprotocol, fmt.Errorf("server chose none of the subprotocols %q", offered)}
	}
	for _, p := range offered {
		if string(chosen) == p {
			return nil
		}
	}
	return &kindError{ErrKindSubprotocol, fmt.Errorf("server chose subprotocol %q, which was not offered (%q)", chosen, offered)}
}
