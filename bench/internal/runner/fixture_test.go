package runner

import (
	"encoding/json"
	"fmt"
)

// fixture builds a Record whose Result has the given figures.
func fixture(impl, scenario string, msgsPerSec, p99, bytesPerConn, cpuPerM float64) *Record {
	doc := map[string]any{
		"schema":   "wsloop.loadtest/v1",
		"scenario": "echo",
		"messages": map[string]any{"received": 1000, "msgs_per_s": msgsPerSec},
		"latency":  map[string]any{"count": 1000, "p50_ms": p99 / 2, "p99_ms": p99},
		"server":   map[string]any{"bytes_per_conn": bytesPerConn, "cpu_s_per_mmsg": cpuPerM, "rss_peak_kb": 1024},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprint("fixture: ", err))
	}
	return &Record{Impl: impl, Scenario: scenario, Raw: b}
}

// fixtureDoc builds a Record whose Result is doc with the schema set.
func fixtureDoc(impl, scenario string, round int, doc map[string]any) *Record {
	doc["schema"] = "wsloop.loadtest/v1"
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprint("fixture: ", err))
	}
	return &Record{Impl: impl, Scenario: scenario, Round: round, Raw: b}
}

// handshakeFixture is a TLS handshake run: rate handshakes/s, server CPU
// per thousand connections, and traffic CPU over a traffic window.
func handshakeFixture(impl string, round int, rate, cpuPerK, trafficCPU, trafficS float64) *Record {
	return fixtureDoc(impl, "tls-handshake", round, map[string]any{
		"scenario":    "handshake",
		"traffic_s":   trafficS,
		"connections": map[string]any{"opened": 5000, "handshakes_per_s": rate},
		"server":      map[string]any{"cpu_s_per_kconn": cpuPerK, "traffic_cpu_s": trafficCPU},
		"client":      map[string]any{"cpu_util": 0.93},
	})
}
