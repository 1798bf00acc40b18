package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
)

// version prints the module version (or "(devel)" for a build from a
// checkout), the VCS revision when the build recorded one, and the Go
// version and platform.
func version(stdout io.Writer) int {
	v, rev := "(unknown)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = " " + s.Value
			case "vcs.modified":
				if s.Value == "true" {
					rev += "+dirty"
				}
			}
		}
	}
	fmt.Fprintf(stdout, "wsloop %s%s %s %s/%s\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// wantsHelp reports whether args ask for a command's help.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}
