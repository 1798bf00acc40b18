// Package promwsloop exports a wsloop server's counters to Prometheus
// (github.com/prometheus/client_golang). It is a package of its own so that
// programs that do not import it do not link client_golang.
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(promwsloop.NewCollector(srv))
//	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Every metric is read from the server's atomic counters at scrape time
// (Server.Metrics): the collector adds no work to the event loops.
package promwsloop

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/wsloop/wsloop/api"
)

// metric is one exported series family: its description and how to read
// it from a snapshot.
type metric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*api.Metrics) float64
}

// Collector is a prometheus.Collector over one server's counters.
type Collector struct {
	srv        *api.Server
	plain      []metric
	refused    *prometheus.Desc
	protoByErr *prometheus.Desc
}

// NewCollector returns a collector for srv. Metric names start with
// wsloop_; constLabels (may be nil) are added to every series, to tell
// several servers in one process apart.
func NewCollector(srv *api.Server, constLabels prometheus.Labels) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("wsloop_"+name, help, labels, constLabels)
	}
	c := &Collector{srv: srv}
	gauge := func(name, help string, f func(*api.Metrics) float64) {
		c.plain = append(c.plain, metric{d(name, help), prometheus.GaugeValue, f})
	}
	counter := func(name, help string, f func(*api.Metrics) uint64) {
		c.plain = append(c.plain, metric{d(name, help), prometheus.CounterValue, func(m *api.Metrics) float64 { return float64(f(m)) }})
	}
	gauge("connections_open", "Open WebSocket connections.", func(m *api.Metrics) float64 { return float64(m.Connections) })
	gauge("tcp_connections_open", "Open TCP connections: WebSockets, handshakes in progress and plain HTTP requests being answered.",
		func(m *api.Metrics) float64 { return float64(m.TCPConnections) })
	counter("tcp_connections_accepted_total", "TCP connections accepted (including those mounted from net/http).", func(m *api.Metrics) uint64 { return m.Accepted })
	counter("handshakes_accepted_total", "WebSocket upgrades completed.", func(m *api.Metrics) uint64 { return m.Upgraded })
	counter("http_requests_total", "Plain HTTP requests answered by the HTTP handler on the WebSocket port.", func(m *api.Metrics) uint64 { return m.HTTPRequests })
	counter("messages_received_total", "WebSocket messages received.", func(m *api.Metrics) uint64 { return m.MessagesIn })
	counter("messages_sent_total", "WebSocket messages sent (each broadcast receiver counts).", func(m *api.Metrics) uint64 { return m.MessagesOut })
	counter("received_payload_bytes_total", "Payload bytes of messages received.", func(m *api.Metrics) uint64 { return m.BytesIn })
	counter("sent_payload_bytes_total", "Payload bytes of messages sent.", func(m *api.Metrics) uint64 { return m.BytesOut })
	counter("slow_consumer_closes_total", "Connections closed with 1008 because their outbound queue was full.", func(m *api.Metrics) uint64 { return m.SlowConsumers })
	counter("broadcast_deliveries_total", "Broadcast messages queued to a receiver.", func(m *api.Metrics) uint64 { return m.BroadcastDelivered })
	counter("broadcast_skipped_total", "Broadcast messages skipped for a receiver whose outbound queue was full (slow-consumer drops).",
		func(m *api.Metrics) uint64 { return m.BroadcastDropped })
	counter("topic_publishes_total", "Topic publishes delivered on this node (its own and those from other nodes).", func(m *api.Metrics) uint64 { return m.Published })
	counter("topic_deliveries_total", "Topic messages queued to a subscriber.", func(m *api.Metrics) uint64 { return m.TopicDeliveries })
	counter("topic_skipped_total", "Topic messages skipped for a subscriber whose outbound queue was full.", func(m *api.Metrics) uint64 { return m.TopicDropped })
	counter("idle_timeouts_total", "Connections closed for idleness.", func(m *api.Metrics) uint64 { return m.IdleTimeouts })
	counter("handler_panics_total", "Event handlers that panicked.", func(m *api.Metrics) uint64 { return m.Panics })
	counter("inflated_off_loop_total", "Large compressed messages inflated by a worker instead of the event loop.", func(m *api.Metrics) uint64 { return m.InflatedOffLoop })
	gauge("inflate_queue_depth", "Large compressed messages waiting for an inflate worker.", func(m *api.Metrics) float64 { return float64(m.InflateQueued) })
	gauge("inflate_workers_busy", "Inflate workers at work.", func(m *api.Metrics) float64 { return float64(m.InflateRunning) })
	gauge("buffered_bytes", "Bytes the server's memory budget (MaxBufferedBytes) counts now.", func(m *api.Metrics) float64 { return float64(m.BufferedBytes) })
	gauge("buffer_waiting_connections", "Connections waiting for room in the memory budget.", func(m *api.Metrics) float64 { return float64(m.BufferWaiting) })
	counter("buffer_closes_total", "Connections closed with 1013 while waiting for the memory budget.", func(m *api.Metrics) uint64 { return m.BufferCloses })
	counter("tls_handshakes_total", "TLS handshakes completed on wsloop's own TLS listener.", func(m *api.Metrics) uint64 { return m.TLSHandshakes })
	counter("tls_handshake_failures_total", "TLS handshakes that failed on wsloop's own TLS listener.", func(m *api.Metrics) uint64 { return m.TLSHandshakeFailures })
	c.refused = d("handshakes_refused_total", "Connections and upgrade requests refused, by reason.", "reason")
	c.protoByErr = d("protocol_errors_total", "Connections failed for a protocol violation, by the close code sent.", "code")
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.plain {
		ch <- m.desc
	}
	ch <- c.refused
	ch <- c.protoByErr
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.srv.Metrics()
	for _, p := range c.plain {
		ch <- prometheus.MustNewConstMetric(p.desc, p.kind, p.value(&m))
	}
	for reason, n := range m.RefusedBy {
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(n), reason)
	}
	for code, n := range m.ProtocolErrorsByCode {
		ch <- prometheus.MustNewConstMetric(c.protoByErr, prometheus.CounterValue, float64(n), code)
	}
}
