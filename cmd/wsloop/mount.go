package main

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/wsloop/wsloop/api"
)

// serveMounted runs a net/http server on addr with the same routes as
// wsloop's own listener, its WebSocket endpoints mounted with
// Server.Handler: the way an application with its own mux uses wsloop. With
// TLS it terminates TLS in net/http (the pumped path). It returns the
// server and its bound address.
func (a *app) serveMounted(addr string, tc *api.TLSConfig, stderr io.Writer) (*http.Server, string, error) {
	hs := &http.Server{
		Handler:           a.httpHandler(a.srv.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "wsloop: mount: ", 0),
	}
	if tc != nil {
		cert := tc.Certificate
		if cert == nil {
			c, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
			if err != nil {
				return nil, "", err
			}
			cert = &c
		}
		// HTTP/1.1 only: a WebSocket upgrade cannot hijack an HTTP/2 stream.
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	go func() {
		var err error
		if tc != nil {
			err = hs.ServeTLS(ln, "", "")
		} else {
			err = hs.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			hs.ErrorLog.Print(err)
		}
	}()
	return hs, ln.Addr().String(), nil
}
