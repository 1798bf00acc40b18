package engine

import (
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/wsloop/wsloop/codec"
)

// BenchmarkBroadcast measures one Broadcast of a 64-byte message to 16
// connections on one loop, with and without a filter, until every client
// read it. server-allocs/op is the process's mallocs per broadcast (the
// clients read into fixed buffers): the per-call setup of Broadcast, never
// a cost per receiving connection.
func BenchmarkBroadcast(b *testing.B) {
	const conns, size = 16, 64
	for _, filtered := range []bool{false, true} {
		name := "all"
		var filter func(*Conn) bool
		if filtered {
			name = "filter"
			filter = func(*Conn) bool { return true }
		}
		b.Run(name, func(b *testing.B) {
			e, _ := startEngine(b, Options{NumLoops: 1}, false)
			addr := "127.0.0.1:" + strconv.Itoa(e.Port())
			clients := make([]net.Conn, conns)
			for i := range clients {
				c, br := rawUpgrade(b, addr, nil)
				if br.Buffered() != 0 {
					b.Fatal("unexpected data after the 101")
				}
				defer c.Close()
				clients[i] = c
			}
			msg := make([]byte, size)
			reply := make([]byte, codec.HeaderLen(size)+size)
			once := func() {
				e.Broadcast(codec.OpBinary, msg, filter)
				for _, c := range clients {
					if _, err := io.ReadFull(c, reply); err != nil {
						b.Fatal(err)
					}
				}
			}
			benchServerAllocs(b, 100, once)
		})
	}
}
