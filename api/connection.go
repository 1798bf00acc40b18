package api

import (
	"net"
	"time"
	"unsafe"

	"github.com/wsloop/wsloop/engine"
)

// ConnectionInfo is a snapshot of one connection (the component's
// Connections collection record).
type ConnectionInfo struct {
	ID             ConnID
	RemoteHost     string
	RemotePort     int
	LocalAddress   string
	Connected      bool // the WebSocket is open (not closing)
	AcceptData     bool // reading is on (see Server.SetAcceptData)
	Timeout        time.Duration
	SubProtocol    string
	Extensions     string
	BytesIn        uint64 // payload bytes received
	BytesOut       uint64 // payload bytes sent (the component's BytesSent)
	MessagesIn     uint64
	MessagesOut    uint64
	QueuedBytes    int // bytes waiting to be written
	ConnectedSince time.Time
	TLS            bool
}

func infoOf(c *engine.Conn) ConnectionInfo {
	in, out, min, mout, queued := c.Stats()
	info := ConnectionInfo{
		ID:             ConnID(c.ID()),
		Connected:      c.Connected(),
		AcceptData:     c.AcceptData(),
		Timeout:        c.Timeout(),
		SubProtocol:    c.Subprotocol(),
		Extensions:     c.Extensions(),
		BytesIn:        in,
		BytesOut:       out,
		MessagesIn:     min,
		MessagesOut:    mout,
		QueuedBytes:    queued,
		ConnectedSince: c.ConnectedSince(),
		TLS:            c.IsTLS(),
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		info.RemoteHost, info.RemotePort = a.IP.String(), a.Port
	}
	if a := c.LocalAddr(); a != nil {
		info.LocalAddress = a.String()
	}
	return info
}

// stringBytes views a string's bytes without copying; the engine copies
// them before Send returns and never writes to them.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
