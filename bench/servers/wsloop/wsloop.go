// Package wsloop is the benchmark server written on wsloop's api package:
// OnDataIn with BufferMessage delivers whole messages on the event loops;
// echo answers with SendMessage in the same format, broadcast hands each
// message to Server.Broadcast, which frames it once for every connection.
// /healthz is served through Config.HTTPHandler. With a certificate, TLS is
// wsloop's own bridge (api.TLSConfig).
package wsloop

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/wsloop/wsloop/api"

	"github.com/wsloop/wsloop/bench/servers/serverutil"
)

// Run serves cfg.Mode ("echo" or "broadcast") on cfg.Addr until ctx ends;
// with a certificate in cfg it serves wss:// through api.TLSConfig, TLS 1.3
// only.
func Run(ctx context.Context, cfg serverutil.Config) error {
	mode, addr := cfg.Mode, cfg.Addr
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
	conf := api.Config{
		LocalHost:      host,
		LocalPort:      port,
		BufferMessage:  true,
		MaxMessageSize: 64 << 20,
		HTTPHandler:    mux,
	}
	if cfg.TLS() {
		conf.TLS = &api.TLSConfig{
			Enabled:    true,
			CertFile:   cfg.CertFile,
			KeyFile:    cfg.KeyFile,
			MinVersion: tls.VersionTLS13,
			MaxVersion: tls.VersionTLS13,
		}
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
	srv = api.New(conf, ev)
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
