package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/panjf2000/gnet/v2"
)

// mountReq carries a connection handed over by net/http from Mount to
// OnOpen, through gnet's registration context.
type mountReq struct {
	// buf is the request head rebuilt from the *http.Request, followed by
	// the bytes net/http had already read past it (frames a client sent
	// without waiting for the 101).
	buf  []byte
	hreq *http.Request
	// remote and local are the client's addresses when the registered
	// socket is a pump's end (a hijacked TLS connection), nil otherwise.
	remote, local net.Addr
	tls           bool
}

// ErrMountUnsupported is returned by Mount for a connection that is neither
// a *net.TCPConn nor a connection the engine can pump (see Mount).
var ErrMountUnsupported = errors.New("wsloop: cannot mount this kind of connection")

// Mount takes over a connection hijacked from net/http after its upgrade
// request was read. head is the request head (request line, headers and
// the empty line) and buffered the bytes read past it; the engine answers
// the request on an event loop exactly as if it had read head from its own
// listener (same validation, limits and OpenRequest event, where
// Conn.HTTPRequest returns hreq), then decodes buffered before new input.
//
// A *net.TCPConn moves onto a loop: gnet duplicates its descriptor and
// closes nc, so no goroutine remains for the connection. Any other
// connection (a *tls.Conn from an http.Server with TLS: its record state
// lives in crypto/tls, not in the socket) is pumped: a socket pair joins it
// to a loop and two goroutines copy bytes between them for as long as it is
// open (see pump_unix.go).
//
// Mount returns once the connection is on a loop or has failed; in every
// case the engine owns nc and the caller must not use it again.
func (e *Engine) Mount(nc net.Conn, head, buffered []byte, hreq *http.Request) error {
	if !e.running.Load() || e.shutting.Load() {
		_ = nc.Close()
		return ErrServerClosed
	}
	m := &mountReq{hreq: hreq}
	m.buf = make([]byte, 0, len(head)+len(buffered))
	m.buf = append(append(m.buf, head...), buffered...)
	if tc, ok := nc.(*net.TCPConn); ok {
		e.tuneTCP(tc)
		return e.register(tc, m)
	}
	return e.mountPumped(nc, m)
}

// tuneTCP applies the socket options gnet applies to connections it
// accepts itself.
func (e *Engine) tuneTCP(tc *net.TCPConn) {
	_ = tc.SetNoDelay(e.opts.TCPNoDelay)
	if e.opts.KeepAlive > 0 {
		_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: e.opts.KeepAlive, Interval: e.opts.KeepInterval})
	}
	if e.opts.SocketRecvBuf > 0 {
		_ = tc.SetReadBuffer(e.opts.SocketRecvBuf)
	}
	if e.opts.SocketSendBuf > 0 {
		_ = tc.SetWriteBuffer(e.opts.SocketSendBuf)
	}
}

// register hands nc (a *net.TCPConn or *net.UnixConn) to gnet, which dups
// its descriptor onto a loop, closes nc and runs OnOpen there. It waits
// for the outcome; the wait is on the caller's goroutine (net/http's
// handler goroutine, which ends right after).
func (e *Engine) register(nc net.Conn, m *mountReq) error {
	ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), m), nc)
	ch, err := e.gnetEng.Register(ctx)
	if err != nil {
		_ = nc.Close()
		return fmt.Errorf("wsloop: mount: %w", err)
	}
	select {
	case res := <-ch:
		if res.Err != nil {
			return fmt.Errorf("wsloop: mount: %w", res.Err)
		}
		return nil
	case <-e.stopped:
		// The loops stopped before taking the connection; gnet's
		// registration worker owns nc (and closes it when it returns).
		return ErrServerClosed
	}
}

// openMounted finishes OnOpen for a mounted connection: its request and
// buffered bytes are processed in a loop task, after gnet's open ends, so
// that a refusal can close the connection safely. Input gnet reads meanwhile
// waits in its buffer (holdMounting, bounded like any stalled input) and is
// delivered after them. Loop only.
func (l *loop) openMounted(c *Conn, m *mountReq) {
	c.holdInput(holdMounting)
	l.post(func(l *loop) {
		if c.state == stateClosed {
			return
		}
		c.gate &^= holdMounting
		l.hreq, l.hreqConn = m.hreq, c
		l.onInput(c, m.buf)
		l.hreq, l.hreqConn = nil, nil
		if c.state != stateClosed && !c.inputStalled() && c.gc.InboundBuffered() > 0 {
			_ = c.gc.Wake(nil)
		}
	})
}

// HTTPRequest returns the *http.Request of a connection mounted from
// net/http while its OpenRequest event runs, nil otherwise. Loop only.
func (c *Conn) HTTPRequest() *http.Request {
	if c.loop.hreqConn == c {
		return c.loop.hreq
	}
	return nil
}

// remoteAddrLoop returns the client's address without c.mu (the one
// OnOpen admitted: a pumped connection's, not its socket pair's). Loop
// only, until OnClose returns.
func (c *Conn) remoteAddrLoop() net.Addr {
	if x := c.x.Load(); x != nil && x.remote != nil {
		return x.remote
	}
	return c.gc.RemoteAddr()
}
