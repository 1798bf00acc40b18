package runner

import (
	"strconv"
)

// LoadArgs returns the loadtest CLI flags for spec against url, sampling the
// server process pid and writing the JSON Result to jsonPath.
func LoadArgs(spec LoadSpec, url string, pid int, jsonPath string) []string {
	a := []string{
		"-url", url,
		"-scenario", spec.Scenario,
		"-conns", strconv.Itoa(spec.Conns),
		"-duration", spec.Duration.String(),
	}
	if spec.Size > 0 {
		a = append(a, "-size", strconv.Itoa(spec.Size))
	}
	if spec.Inflight > 0 {
		a = append(a, "-inflight", strconv.Itoa(spec.Inflight))
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
