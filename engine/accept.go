package engine

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wsloop/wsloop/codec"
)

var resp503 = codec.AppendErrorResponse(nil, 503, "server at connection limit", nil)

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}

// allowed checks the AllowedClients list.
func (e *Engine) allowed(ap netip.AddrPort) bool {
	if len(e.opts.AllowedClients) == 0 {
		return true
	}
	ip := ap.Addr().Unmap()
	for _, p := range e.opts.AllowedClients {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseAllowedClients parses an AllowedClients list: IPs and CIDR
// prefixes, comma-separated (IPv4-mapped IPv6 addresses as IPv4).
func ParseAllowedClients(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("AllowedClients item %q is not an IP or CIDR", item)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// OnOpen applies the accept filters before any byte is read, registers the
// connection and arms its handshake deadline. It implements
// gnet.EventHandler.
func (e *Engine) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	e.metrics.Accepted.Add(1)
	m, _ := gc.Context().(*mountReq) // handed over by Mount
	remoteA, localA := gc.RemoteAddr(), gc.LocalAddr()
	if m != nil && m.remote != nil {
		remoteA, localA = m.remote, m.local
	}
	remote := addrPort(remoteA)
	// StopListening concerns wsloop's own listener only: mounted
	// connections come through the application's.
	if e.shutting.Load() || (m == nil && !e.listening.Load()) || !e.allowed(remote) ||
		!e.accept(remote, addrPort(localA)) {
		e.metrics.Refused.Add(1)
		e.metrics.refuse(RefusedPolicy)
		return nil, gnet.Close
	}
	if max := e.opts.MaxConnections; max > 0 && e.count.Load() >= int64(max) {
		e.metrics.Refused.Add(1)
		e.metrics.refuse(RefusedMaxConnections)
		return resp503, gnet.Close
	}
	if e.perIP != nil {
		if refusal := e.perIP.admit(remote.Addr()); refusal != nil {
			e.metrics.Refused.Add(1)
			e.metrics.RefusedPerIP.Add(1)
			e.metrics.refuse(RefusedPerAddress)
			return refusal, gnet.Close
		}
	}
	l := e.loopOf(gc.EventLoop())
	c := &Conn{
		id:      e.nextID.Add(1),
		loop:    l,
		gc:      gc,
		loopIdx: -1,
		since:   uint32(time.Since(e.started) / time.Second),
	}
	if l.stampReads {
		c.lastRead = l.clockTick()
	}
	if m != nil && m.remote != nil {
		// Before the registry publishes c: other goroutines read them.
		x := c.ext()
		x.remote, x.local, x.pumpedTLS = m.remote, m.local, m.tls
	}
	if e.bridge != nil && m == nil {
		// Before the registry publishes c: other goroutines read c.tls.
		c.tls = e.bridge.NewConn(tlsTransport{c}, gc.RemoteAddr(), gc.LocalAddr())
	}
	gc.SetContext(c)
	e.count.Add(1)
	e.reg.add(c)
	l.addConn(c)
	if e.opts.HandshakeTimeout > 0 {
		l.scheduleIn(c, ticksFor(e.opts.HandshakeTimeout))
	}
	if m != nil {
		l.openMounted(c, m)
	}
	return nil, gnet.None
}

// OnClose releases everything the connection holds and reports
// Disconnected. It implements gnet.EventHandler.
func (e *Engine) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok || c == nil {
		return gnet.None
	}
	gc.SetContext(nil)
	l := c.loop
	c.mu.Lock()
	c.moveLocked(stateClosed)
	connected := c.lflags&lConnected != 0
	// Until Disconnected returns, the connection stays in the registry and
	// its addresses readable (gnet clears them after OnClose), so that the
	// handler can look up its info and user data one last time.
	setFlag(&c.sflags, sDisconnecting, connected)
	putBuf(c.pending)
	putBuf(c.cipher)
	c.pending, c.cipher = nil, nil
	x := c.x.Load()
	var defl *codec.Deflater
	if x != nil {
		if x.drained != nil {
			close(x.drained)
			x.drained = nil
		}
		putBuf(x.st.deferred)
		defl, x.deflater, x.st.deferred = x.deflater, nil, nil
	}
	c.mu.Unlock()
	if defl != nil {
		defl.Release()
	}
	l.timers.unschedule(c)
	l.removeConn(c)
	l.dropTopics(c)
	c.releaseBuffers()
	if c.tls != nil {
		c.tls.Release()
	}
	e.count.Add(-1)
	if e.perIP != nil {
		e.perIP.release(addrPort(c.remoteAddrLoop()).Addr())
	}
	if connected {
		e.metrics.OpenWebSockets.Add(-1)
		var code uint16
		var reason string
		if x != nil {
			code, reason = x.discCode, x.discText
		}
		if code == 0 {
			code = codec.CloseAbnormal
		}
		l.callDisconnected(c, code, reason)
		c.mu.Lock()
		setFlag(&c.sflags, sDisconnecting, false)
		c.mu.Unlock()
	}
	e.reg.remove(c.id)
	return gnet.None
}

// releaseBuffers returns the read-side pooled buffers. Loop only.
func (c *Conn) releaseBuffers() {
	c.dec.Reset(codec.DecoderLimits{}) // returns a pooled control-frame buffer
	x := c.x.Load()
	if x == nil {
		return
	}
	c.loop.releaseBudget(c, x)
	putBuf(x.hs)
	c.loop.eng.putLarge(x.msg)
	putBuf(x.held)
	x.hs, x.msg, x.held, x.heldOff, x.parked = nil, nil, nil, 0, nil
	// While a worker inflates a message the Inflater is the worker's: its
	// result task releases it.
	if x.inflater != nil && c.gate&holdInflating == 0 {
		x.inflater.Release()
		x.inflater = nil
	}
}

// OnShutdown implements gnet.EventHandler.
func (e *Engine) OnShutdown(gnet.Engine) {}
