// Package gnetfloor is a reference, not a peer: the least a WebSocket
// server on gnet can keep per idle connection. It answers the upgrade (and
// GET /healthz) straight from gnet's OnTraffic with no state of its own: a
// connection is gnet's conn and a boolean context. It exists to measure
// gnet's own floor in the idle scenarios (RSS per idle connection), which
// bounds what any server built on gnet, wsloop included, can reach. It
// does not speak the frame layer: any frame from an open connection is
// answered with a close (1000) and the connection closes, which is all the
// idle scenario asks of it. The runner runs it in idle scenarios only.
package gnetfloor

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // RFC 6455's accept key
	"encoding/base64"
	"fmt"
	"net"
	"strconv"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// keyGUID is RFC 6455's GUID appended to Sec-WebSocket-Key.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

var (
	headerEnd  = []byte("\r\n\r\n")
	keyHeader  = []byte("\r\nsec-websocket-key:")
	healthReq  = []byte("GET /healthz ")
	healthResp = []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	badResp    = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	closeFrame = []byte{0x88, 0x02, 0x03, 0xe8} // close, code 1000
)

type handler struct {
	gnet.BuiltinEventEngine
	ctx  context.Context
	addr net.Addr
}

// Scope says what the reference runs, for the scenarios it does not.
const Scope = "a floor for idle connections only: it answers the upgrade and nothing else"

// Run serves the idle reference on cfg.Addr until ctx ends. Only mode
// "echo" without TLS is accepted (the idle scenarios); nothing is echoed.
func Run(ctx context.Context, cfg serverutil.Config) error {
	if cfg.Mode != serverutil.ModeEcho {
		return fmt.Errorf("gnetfloor: only the idle scenarios (mode echo) are supported, not %q", cfg.Mode)
	}
	if cfg.TLS() {
		return serverutil.ErrNoTLS
	}
	tcp, err := resolvePort(cfg.Addr)
	if err != nil {
		return err
	}
	h := &handler{ctx: ctx, addr: tcp}
	return gnet.Run(h, "tcp://"+tcp.String(), gnet.WithMulticore(true), gnet.WithReuseAddr(true))
}

// resolvePort turns port 0 into a free port: gnet does not report the port
// it bound.
func resolvePort(addr string) (*net.TCPAddr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if port == "0" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		a := ln.Addr().(*net.TCPAddr)
		_ = ln.Close()
		return a, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return &net.TCPAddr{IP: net.ParseIP(host), Port: p}, nil
}

// OnBoot reports readiness and stops the engine when the context ends.
func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	serverutil.NotifyReady(h.ctx, h.addr)
	go func() {
		<-h.ctx.Done()
		_ = eng.Stop(context.Background())
	}()
	return gnet.None
}

// OnTraffic answers the upgrade, then closes on any frame.
func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	if c.Context() != nil {
		_, _ = c.Write(closeFrame)
		return gnet.Close
	}
	end := bytes.Index(buf, headerEnd)
	if end < 0 {
		if len(buf) > 8<<10 {
			return gnet.Close
		}
		return gnet.None
	}
	if bytes.HasPrefix(buf, healthReq) {
		_, _ = c.Write(healthResp)
		return gnet.Close
	}
	key, ok := headerValue(buf[:end+2], keyHeader)
	if !ok {
		_, _ = c.Write(badResp)
		return gnet.Close
	}
	var out [160]byte
	resp := append(out[:0], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = appendAccept(resp, key)
	resp = append(resp, "\r\n\r\n"...)
	_, _ = c.Write(resp)
	_, _ = c.Discard(end + len(headerEnd))
	c.SetContext(true)
	return gnet.None
}

// headerValue finds a header by its lower-case "\r\nname:" in the head,
// case-insensitively, and returns its trimmed value.
func headerValue(head, name []byte) ([]byte, bool) {
	for i := 0; i+len(name) <= len(head); i++ {
		if !bytes.EqualFold(head[i:i+len(name)], name) {
			continue
		}
		v := head[i+len(name):]
		if j := bytes.Index(v, []byte("\r\n")); j >= 0 {
			v = v[:j]
		}
		return bytes.TrimSpace(v), true
	}
	return nil, false
}

// appendAccept appends Sec-WebSocket-Accept for key.
func appendAccept(dst, key []byte) []byte {
	h := sha1.New() //nolint:gosec // RFC 6455's accept key
	h.Write(key)
	h.Write([]byte(keyGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}
