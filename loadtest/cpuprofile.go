package loadtest

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile profiles the load generator itself into path, for
// -cpuprofile: where its own CPU goes when it, not the server, limits a
// run. The returned function stops the profile and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
