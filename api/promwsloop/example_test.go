package promwsloop_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wsloop/wsloop/api"
	"github.com/wsloop/wsloop/api/promwsloop"
)

// Serving a server's counters to Prometheus on an application's mux.
func ExampleNewCollector() {
	srv := api.New(api.Config{LocalHost: "127.0.0.1"}, api.Events{})
	if err := srv.Listen(); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	reg := prometheus.NewRegistry()
	reg.MustRegister(promwsloop.NewCollector(srv, nil))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := httptest.NewServer(mux)
	defer hs.Close()

	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "wsloop_connections_open") {
			fmt.Println(sc.Text())
		}
	}
	// Output: wsloop_connections_open 0
}
