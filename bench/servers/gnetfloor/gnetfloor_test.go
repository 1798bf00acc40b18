package gnetfloor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

func TestUpgradeHealthzAndClose(t *testing.T) {
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	ctx = serverutil.WithReady(ctx, func(a net.Addr) { ready <- a })
	done := make(chan error, 1)
	go func() { done <- Run(ctx, serverutil.Config{Addr: "127.0.0.1:0", Mode: serverutil.ModeEcho}) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("did not stop")
		}
	}()
	var addr string
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("not ready")
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	c, _, _, err := ws.Dial(dctx, "ws://"+addr+"/") // checks the accept key
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := ws.WriteFrame(c, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))); err != nil {
		t.Fatal(err)
	}
	f, err := ws.ReadFrame(c)
	if err != nil || f.Header.OpCode != ws.OpClose {
		t.Fatalf("want a close frame, got %v %v", f.Header, err)
	}
	if _, _, _, err := ws.Dial(dctx, "ws://"+addr+"/healthz"); err == nil {
		t.Error("healthz upgraded")
	}
	if err := Run(context.Background(), serverutil.Config{Addr: "127.0.0.1:0", Mode: serverutil.ModeBroadcast}); err == nil {
		t.Error("broadcast mode accepted")
	}
}
