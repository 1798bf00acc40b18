//go:build !race

package codec

// raceEnabled is false: allocation counts are exact (see race_on_test.go).
const raceEnabled = false
