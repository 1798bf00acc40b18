package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/api"
)

// During OnDisconnected the connection's user data and info are still
// readable (a room count can be decremented), whether the client closed
// or the server did; afterwards the ID is unknown.
func TestDisconnectedSeesUserData(t *testing.T) {
	type seen struct {
		data   any
		info   api.ConnectionInfo
		infoOK bool
	}
	got := make(chan seen, 2)
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1"}, api.Events{
		OnConnected: func(e *api.ConnectedEvent) { _ = srv.SetUserData(e.ConnectionID, "room-7") },
		OnDisconnected: func(e *api.DisconnectedEvent) {
			info, ok := srv.Connection(e.ConnectionID)
			got <- seen{srv.UserData(e.ConnectionID), info, ok}
		},
	})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	for _, serverCloses := range []bool{false, true} {
		conn, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr()+"/")
		if err != nil {
			t.Fatal(err)
		}
		var id api.ConnID
		if !eventually(ioWait, func() bool {
			for info := range srv.Connections() {
				if info.RemoteHost != "" && conn.LocalAddr().String() == info.RemoteHost+":"+itoa(info.RemotePort) {
					id = info.ID
					return srv.UserData(id) != nil
				}
			}
			return false
		}) {
			t.Fatalf("connection from %s not found", conn.LocalAddr())
		}
		if serverCloses {
			_ = srv.DisconnectWith(id, 4001, "bye")
		} else {
			_ = ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(1000, ""))))
		}
		select {
		case s := <-got:
			if s.data != "room-7" {
				t.Errorf("serverCloses=%v: UserData in OnDisconnected = %v", serverCloses, s.data)
			}
			if !s.infoOK || s.info.ID != id || s.info.Connected || s.info.RemotePort == 0 {
				t.Errorf("serverCloses=%v: Connection in OnDisconnected = %+v, %v", serverCloses, s.info, s.infoOK)
			}
		case <-time.After(ioWait):
			t.Fatalf("serverCloses=%v: no OnDisconnected", serverCloses)
		}
		conn.Close()
		if !eventually(ioWait, func() bool { _, ok := srv.Connection(id); return !ok }) {
			t.Errorf("connection %d still known after OnDisconnected", id)
		}
		if srv.UserData(id) != nil {
			t.Errorf("UserData after OnDisconnected = %v", srv.UserData(id))
		}
	}
}
