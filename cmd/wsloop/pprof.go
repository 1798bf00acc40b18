package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
)

// startPprof serves the runtime profiles on their own listener (a plain
// net/http server, separate from the WebSocket port).
func startPprof(addr string, stderr io.Writer) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			fmt.Fprintln(stderr, "wsloop: pprof:", err)
		}
	}()
}
