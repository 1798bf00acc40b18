package api_test

import (
	"flag"
	"fmt"

	"github.com/wsloop/wsloop/api"
)

// Settings by their component names, as from a configuration file.
func ExampleConfig_Set() {
	var cfg api.Config
	for _, kv := range [][2]string{{"MaxConnections", "1000"}, {"TcpNoDelay", "false"}, {"SSLClientAuth", "require"}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(cfg.MaxConnections, cfg.TCPDelay, cfg.TLS.ClientAuth)
	fmt.Println(cfg.Get("MaxOutboundQueue")) // a zero field reads as its default
	fmt.Println(cfg.Set("OpenSSLPrngSeedData", "x"))
	// Output:
	// 1000 true require
	// 1048576 <nil>
	// wsloop: not supported: OpenSSLPrngSeedData does not apply: Go's crypto/rand seeds itself
}

// The settings that declare a flag, as `wsloop serve` uses them.
func ExampleConfig_RegisterFlags() {
	var cfg api.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"-max-outbound", "4194304", "-handshake-timeout", "2s", "-compress"}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(cfg.MaxOutboundQueue, cfg.DefaultConnectionTimeout, cfg.Compression.Enabled)
	fmt.Println(fs.Lookup("max-message").DefValue)
	// Output:
	// 4194304 2s true
	// 16777216
}
