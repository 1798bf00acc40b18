package runner

import (
	"strconv"
)

// LoadURL is the loadtest target for a server at addr: wss:// for a TLS
// scenario, ws:// otherwise.
func LoadURL(spec LoadSpec, addr string) string {
	if spec.TLS {
		return "wss://" + addr + "/"
	}
	return "ws://" + addr + "/"
}

// LoadArgs returns the loadtest CLI flags for spec against the server at
// addr, sampling the server process pid and writing the JSON Result to
// jsonPath.
func LoadArgs(spec LoadSpec, addr string, pid int, jsonPath string) []string {
	a := []string{
		"-url", LoadURL(spec, addr),
		"-scenario", spec.Scenario,
		"-conns", strconv.Itoa(spec.Conns),
		"-duration", spec.Duration.String(),
	}
	if spec.TLS {
		a = append(a, "-insecure")
	}
	if spec.Size > 0 {
		a = append(a, "-size", strconv.Itoa(spec.Size))
	}
	if spec.Inflight > 0 {
		a = append(a, "-inflight", strconv.Itoa(spec.Inflight))
	}
	if spec.Cycles > 0 {
		a = append(a, "-messages", strconv.Itoa(spec.Cycles))
	}
	if spec.Rate > 0 {
		a = append(a, "-rate", strconv.FormatFloat(spec.Rate, 'g', -1, 64))
	}
	if spec.Binary {
		a = append(a, "-binary")
	}
	if spec.Sources > 0 {
		a = append(a, "-sources", strconv.Itoa(spec.Sources))
	}
	if pid > 0 {
		a = append(a, "-server-pid", strconv.Itoa(pid))
	}
	return append(a, "-json", jsonPath)
}
