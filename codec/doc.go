// Package codec holds wsloop's pure, I/O-free, incremental state machines:
// the HTTP/1.1 upgrade request parser and response builder, the RFC 6455
// frame decoder and encoder with incremental UTF-8 validation, and
// permessage-deflate (RFC 7692).
//
// Nothing in this package touches sockets, goroutines or time, and the
// steady-state paths do not allocate: callers own every buffer and feed bytes
// in whatever pieces the network delivered them.
package codec
