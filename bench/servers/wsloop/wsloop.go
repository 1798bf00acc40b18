// Package wsloop is the benchmark server written on wsloop's api package:
// OnDataIn with BufferMessage delivers whole messages on the event loops;
// echo answers with SendMessage in the same format, broadcast hands each
// message to Server.Broadcast, which frames it once for every connection.
// /healthz is served through Config.HTTPHandler.
package wsloop

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/wsloop/wsloop/api"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Run serves mode ("echo" or "broadcast") on addr until ctx ends.
func Run(ctx context.Context, addr string, mode string) error {
	if err := serverutil.CheckMode(mode); err != nil {
		return err
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("wsloop: bad port in %q", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", serverutil.Healthz)
	cfg := api.Config{
		LocalHost:      host,
		LocalPort:      port,
		BufferMessage:  true,
		MaxMessageSize: 64 << 20,
		HTTPHandler:    mux,
	}
	var srv *api.Server
	var ev api.Events
	if mode == serverutil.ModeEcho {
		ev.OnDataIn = func(e *api.DataInEvent) {
			if e.DataFormat == api.DataPong {
				return
			}
			_ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data)
		}
	} else {
		ev.OnDataIn = func(e *api.DataInEvent) {
			if e.DataFormat == api.DataPong {
				return
			}
			_ = srv.Broadcast(e.DataFormat, e.Data, nil)
		}
	}
	srv = api.New(cfg, ev)
	if err := srv.Listen(); err != nil {
		return err
	}
	serverutil.NotifyReady(ctx, &net.TCPAddr{IP: net.ParseIP(host), Port: srv.LocalPort()})
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), serverutil.ShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}
