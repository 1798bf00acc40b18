//go:build race

package servers_test

// raceDetector reports whether the tests run under -race.
const raceDetector = true
