//go:build race

package interop_test

// raceBuild is true when the tests run under -race: the server is then built with
// the race detector too, so real clients exercise it for data races.
const raceBuild = true
