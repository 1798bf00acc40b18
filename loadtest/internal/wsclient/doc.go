// Package wsclient is the client side of the RFC 6455 wire format shared by
// the load generator (loadtest) and the conformance suite
// (loadtest/conformance): opcodes, masked client frames, the accept key,
// the close-code rules, a blocking frame-header reader and an incremental
// frame reader for server frames.
//
// It imports no wsloop server package, so the tools built on it test any
// server by the RFC alone. It does not inflate permessage-deflate payloads:
// the conformance suite keeps its own window-checking inflater.
package wsclient
