package main

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wsloop/wsloop/api/promwsloop"
)

// metricsHandlers serves the server's counters: /metrics in the Prometheus
// text format (wsloop's collector plus the Go runtime's and the process's),
// /metrics.json as the JSON snapshot the demo page reads.
func (a *app) metricsHandlers(mux *http.ServeMux) {
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.prom.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /metrics.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a.srv.Metrics())
	})
}

// newPromHandler registers the collectors for a.srv.
func (a *app) newPromHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		promwsloop.NewCollector(a.srv, nil),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
