//go:build race

package conformance

// raceSlowdown scales wall-clock bounds: the race detector makes the
// suite several times slower.
const raceSlowdown = 5
