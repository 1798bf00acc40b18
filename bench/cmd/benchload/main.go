// Command benchload is wsloop's loadtest CLI as a binary of its own, with
// the same flags as `wsloop loadtest`. benchrun builds it when the core
// module has no ./cmd/wsloop to build.
package main

import (
	"context"
	"os"

	"github.com/wsloop/wsloop/loadtest"
)

func main() {
	os.Exit(loadtest.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
