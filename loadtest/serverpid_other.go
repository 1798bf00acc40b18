//go:build !linux

package loadtest

import "io"

// warnServerPID checks nothing off Linux, where Run refuses to start.
func warnServerPID(io.Writer, int, []string) {}
