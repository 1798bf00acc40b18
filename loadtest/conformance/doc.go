// Package conformance is an RFC 6455 / RFC 7692 conformance suite for
// WebSocket servers. It is a pure client: it dials any server over TCP (or
// TLS for wss URLs) and checks, case by case, how an echo endpoint (one that
// sends every message back with the same type) reacts to valid and invalid
// traffic.
//
// The catalog is organised in families in the spirit of the well-known
// Autobahn|Testsuite numbering: 1 framing, 2 ping/pong, 3 reserved bits,
// 4 opcodes, 5 fragmentation, 6 UTF-8 handling, 7 close handling, 9 limits
// and performance, 10 auto-fragmentation, 12 and 13 permessage-deflate, and
// H for the opening handshake. The cases, expectations and code are this
// package's own.
//
// Each case yields a [Verdict]:
//   - OK: the server behaved exactly as expected.
//   - NonStrict: acceptable but not the best behaviour, for example a TCP
//     drop without a close frame after a protocol violation, or invalid
//     UTF-8 detected only at the end of a message instead of fail-fast.
//   - Informational: the case measures something or the RFC leaves the
//     behaviour open.
//   - Unimplemented: the server declined an optional feature (for example
//     permessage-deflate).
//   - Failed: the server violated the RFC.
//
// After a protocol violation the server must send a close frame with the
// right code and then close TCP (OK), or drop TCP (NonStrict); anything else
// fails. A clean close is: our close frame (1000) is answered with a close
// echoing the code, then the server closes TCP.
package conformance
