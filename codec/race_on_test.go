//go:build race

package codec

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation counts mean nothing under -race. The tests that count
// allocations run in make test's separate non-race pass of this package.
const raceEnabled = true
