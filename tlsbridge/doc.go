// Package tlsbridge runs the standard crypto/tls server between a non-blocking
// event loop and the WebSocket codec.
//
// A [Conn] wraps a [tls.Conn] created with [tls.Server] over a small
// in-memory net.Conn adapter that the connection owns. The life of a
// connection has two phases:
//
//   - Handshake. [Conn.Feed] buffers ciphertext (at most
//     [Config.MaxPendingBytes]) until the first TLS record, which must carry a
//     ClientHello, is complete. The connection then asks the [Bridge] for one
//     of [Config.MaxConcurrentHandshakes] handshake slots; connections beyond
//     the cap wait in a FIFO without a goroutine. A slot runs
//     [tls.Conn.Handshake] on a short-lived goroutine, which reads the
//     ciphertext that Feed keeps handing over and writes its flights through
//     [Transport.WriteAsync]. When the handshake ends (success or failure) the
//     goroutine calls [Transport.Wake]; the next Feed with no ciphertext
//     (the wake-up call) reports the result and switches to the second phase.
//   - Record layer. The event loop drives the tls.Conn directly: Feed hands
//     ciphertext to the adapter and calls Read until the adapter reports
//     "would block" (an unwrapped net.Error whose Temporary method returns
//     true, which crypto/tls treats as retryable while keeping partial
//     records), so no goroutine or buffer of this package stays with an idle
//     connection. [Conn.Encrypt] and [Conn.CloseNotify] append records to the
//     caller's buffer; anything crypto/tls writes while reading (alerts,
//     KeyUpdate responses) is returned by Feed.
//
// Every method of Conn is meant to be called on the connection's event loop
// only; the handshake goroutine is internal. The bridge never calls Read,
// Write or ConnectionState on the loop while the handshake goroutine runs.
package tlsbridge
