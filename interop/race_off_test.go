//go:build !race

package interop_test

// raceBuild is true when the tests run under -race (see race_on_test.go).
const raceBuild = false
