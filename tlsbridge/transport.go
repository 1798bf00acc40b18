package tlsbridge

// Transport is implemented by the engine for each connection; its methods
// are the only ways the bridge reaches the socket, and only the handshake
// goroutine calls them. Both must be safe to call from any goroutine and
// must not block on the connection's loop.
//
// Ordering: the bytes of every WriteAsync call must reach the socket before
// anything the loop writes after the Feed(nil) call that a later Wake
// triggers (gnet: AsyncWrite uses the high-priority task queue, Wake the
// low-priority one, so a Wake issued after AsyncWrite runs after it). The
// bridge completes the handshake only in a wake-up Feed (no ciphertext) so
// that the handshake's last flight always precedes application records.
// After Conn.Release returns the bridge calls neither method again.
type Transport interface {
	// WriteAsync queues ciphertext to the socket, in call order. The bridge
	// does not touch p after the call. An error fails the handshake.
	WriteAsync(p []byte) error
	// Wake asks the event loop to call Conn.Feed with no ciphertext soon.
	// It is called once, when the handshake ends (success or failure).
	Wake() error
}
