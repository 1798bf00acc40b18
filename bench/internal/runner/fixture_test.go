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
