package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/codec"
)

// The inflate workers under churn: connections whose messages go to a
// worker, bombs, and clients that vanish while their message is on a
// worker. Afterwards descriptors, goroutines (the workers exit when idle)
// and live heap are back to baseline.
func TestSoakDeflateWorkers(t *testing.T) {
	const cycles, conns = 6, 60
	var srvp syncServer
	srv := api.New(api.Config{LocalHost: "127.0.0.1", BufferMessage: true, EventLoops: 2,
		Compression: api.Compression{Enabled: true, InlineInflateSize: 4 << 10, MaxDecompressedSize: 1 << 20, InflateWorkers: 2}},
		api.Events{OnDataIn: func(e *api.DataInEvent) {
			if e.DataFormat != api.DataPong {
				_ = srvp.get().SendMessage(e.ConnectionID, e.DataFormat, e.Data)
			}
		}})
	srvp.set(srv)
	if err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	bomb, err := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, 1).Compress(nil, make([]byte, 8<<20))
	if err != nil {
		t.Fatal(err)
	}
	client := func(addr string, cycle, n int) error { return deflateSoakClient(addr, cycle, n, bomb) }
	cycle := func(n int) error { return churnCycle(srv, n, conns, client) }
	if err := cycle(0); err != nil {
		t.Fatal(err)
	}
	base := measure(t)
	for n := 1; n <= cycles; n++ {
		if err := cycle(n); err != nil {
			t.Fatal(err)
		}
	}
	var now resources
	ok := eventually(soakSettle, func() bool {
		now = measure(t)
		return now.fds <= base.fds+soakFDSlack && now.goroutines <= base.goroutines+soakGoSlack &&
			now.heap <= base.heap+soakHeapSlack
	})
	t.Logf("baseline %v, after %v", base, now)
	if !ok {
		t.Errorf("resources did not return to baseline: before %v, after %v", base, now)
	}
	m := srv.Metrics()
	if m.InflatedOffLoop == 0 || m.Panics != 0 {
		t.Errorf("metrics %+v: want messages inflated off the loop and no panic", m)
	}
}

// syncServer hands the server to its own event handlers.
type syncServer struct {
	mu  sync.Mutex
	srv *api.Server
}

func (s *syncServer) set(srv *api.Server) { s.mu.Lock(); s.srv = srv; s.mu.Unlock() }
func (s *syncServer) get() *api.Server    { s.mu.Lock(); defer s.mu.Unlock(); return s.srv }

// deflateSoakClient echoes a small and a large compressed message; every
// fifth client then sends a bomb and expects 1009, every seventh sends a
// large message and vanishes, the others close cleanly.
func deflateSoakClient(addr string, cycle, n int, bomb []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	d := ws.Dialer{Extensions: []httphead.Option{wsflate.Parameters{}.Option()}}
	c, br, hs, err := d.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		return err
	}
	defer c.Close()
	if br != nil || len(hs.Extensions) != 1 {
		return errors.New("permessage-deflate not negotiated")
	}
	_ = c.SetDeadline(time.Now().Add(ioWait))
	out := codec.NewDeflater(codec.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, 1)
	in := codec.NewInflater(codec.DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: 15})
	send := func(p []byte, compressed bool) error {
		if compressed {
			z, err := out.Compress(nil, p)
			if err != nil {
				return err
			}
			p = z
		}
		f := ws.NewFrame(ws.OpBinary, true, append([]byte(nil), p...))
		f.Header.Rsv = ws.Rsv(true, false, false)
		return ws.WriteFrame(c, ws.MaskFrameInPlace(f))
	}
	large := bytes.Repeat(fmt.Appendf(nil, "cycle %d conn %d ", cycle, n), 2000) // ~40 KB: a worker's
	for _, m := range [][]byte{fmt.Appendf(nil, "small %d %d", cycle, n), large} {
		if err := send(m, true); err != nil {
			return err
		}
		f, err := ws.ReadFrame(c)
		if err != nil {
			return err
		}
		got := f.Payload
		if f.Header.Rsv1() {
			if got, err = in.Inflate(nil, f.Payload, 1<<20); err != nil {
				return err
			}
		}
		if !bytes.Equal(got, m) {
			return fmt.Errorf("echo of %d bytes: got %d", len(m), len(got))
		}
	}
	switch {
	case n%5 == 0:
		if err := send(bomb, false); err != nil {
			return err
		}
		for {
			f, err := ws.ReadFrame(c)
			if err != nil {
				return fmt.Errorf("bomb: %w", err)
			}
			if f.Header.OpCode == ws.OpClose {
				if code, _ := ws.ParseCloseFrameData(f.Payload); code != 1009 {
					return fmt.Errorf("bomb: close %d, want 1009", code)
				}
				return nil
			}
		}
	case n%7 == 0:
		return send(large, true) // then the deferred Close: gone while a worker has it
	}
	if err := ws.WriteFrame(c, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))); err != nil {
		return err
	}
	for {
		f, err := ws.ReadFrame(c)
		if err != nil {
			return fmt.Errorf("waiting for the close reply: %w", err)
		}
		if f.Header.OpCode == ws.OpClose {
			return nil
		}
	}
}
