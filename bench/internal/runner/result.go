package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// LoadSchemaPrefix is the schema family of the loadtest JSON this package
// reads ("wsloop.loadtest/v1", ...).
const LoadSchemaPrefix = "wsloop.loadtest/"

// LoadResult is the subset of the loadtest's JSON Result the runner reads.
// The whole document is kept verbatim in Record.Raw, so fields the runner
// does not know about still reach results.json.
type LoadResult struct {
	Schema      string  `json:"schema"`
	Scenario    string  `json:"scenario"`
	DurationS   float64 `json:"duration_s"`
	TrafficS    float64 `json:"traffic_s"`
	Interrupted bool    `json:"interrupted"`
	Connections struct {
		Target int     `json:"target"`
		Opened uint64  `json:"opened"`
		Peak   int64   `json:"peak_open"`
		PerSec float64 `json:"handshakes_per_s"`
	} `json:"connections"`
	Messages struct {
		Sent     uint64  `json:"sent"`
		Received uint64  `json:"received"`
		Expected uint64  `json:"expected"`
		Missing  uint64  `json:"missing"`
		PerSec   float64 `json:"msgs_per_s"`
		MBPerSec float64 `json:"mb_per_s"`
	} `json:"messages"`
	Latency struct {
		Count uint64  `json:"count"`
		P50   float64 `json:"p50_ms"`
		P99   float64 `json:"p99_ms"`
	} `json:"latency"`
	ErrorsTotal uint64 `json:"errors_total"`
	Client      struct {
		CPUUtil float64 `json:"cpu_util"` // cores
	} `json:"client"`
	Server *struct {
		RSSBeforeKB  int64   `json:"rss_before_kb"`
		RSSLoadedKB  int64   `json:"rss_loaded_kb"`
		RSSPeakKB    int64   `json:"rss_peak_kb"`
		CPUS         float64 `json:"cpu_s"`
		TrafficCPUS  float64 `json:"traffic_cpu_s"`
		BytesPerConn float64 `json:"bytes_per_conn"`
		CPUPerMMsgs  float64 `json:"cpu_s_per_mmsg"`
		CPUPerKConns float64 `json:"cpu_s_per_kconn"`
		SampleError  string  `json:"sample_error"`
	} `json:"server"`
}

// ParseLoadResult decodes one loadtest JSON document and checks its schema.
func ParseLoadResult(b []byte) (*LoadResult, error) {
	var r LoadResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("loadtest JSON: %w", err)
	}
	if !strings.HasPrefix(r.Schema, LoadSchemaPrefix) {
		return nil, fmt.Errorf("loadtest JSON: schema %q, want %s*", r.Schema, LoadSchemaPrefix)
	}
	return &r, nil
}

// Record is one (implementation, scenario, round) run as stored in
// results.json.
type Record struct {
	Impl     string          `json:"impl"`
	Scenario string          `json:"scenario"`
	Group    string          `json:"group"`
	Round    int             `json:"round,omitempty"`   // 1..Scenario.Repeat
	Command  []string        `json:"command,omitempty"` // the loadtest command line
	Error    string          `json:"error,omitempty"`   // why the run failed, if it did
	NA       string          `json:"na,omitempty"`      // why the scenario does not apply to Impl (not a failure)
	Raw      json.RawMessage `json:"result,omitempty"`  // the loadtest's Result, verbatim

	parsed *LoadResult
}

// Result returns the parsed loadtest Result, or nil when the run failed.
func (r *Record) Result() *LoadResult {
	if r.parsed == nil && len(r.Raw) > 0 {
		p, err := ParseLoadResult(r.Raw)
		if err != nil {
			return nil
		}
		r.parsed = p
	}
	return r.parsed
}

// Report is the whole of results.json.
type Report struct {
	Machine Machine   `json:"machine"`
	Command string    `json:"command"`
	Records []*Record `json:"records"`
}

// errNoResult marks a record without a usable Result.
var errNoResult = errors.New("no result")
