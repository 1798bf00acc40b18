// Package engine runs WebSocket connections on gnet v2 event loops.
//
// It owns everything between the socket and the public API: accept filters,
// per-connection state, the handshake, frame processing through package
// codec, optional TLS through package tlsbridge, per-loop deadline heaps
// (handshake deadline, idle timeout, automatic ping, close-reply wait) with
// one wake timer per loop, armed only while a deadline is set,
// bounded outbound queues with back-pressure, sends from any goroutine,
// broadcast, topics (per-loop subscriber indexes; see topics.go), the
// connection registry and shutdown, the Origin check, the
// per-source-address limits and a memory budget for the whole server
// (budget.go).
//
// There is no goroutine, timer or buffer per idle connection: buffers are
// taken from pools only while a message or a write is in flight. An idle
// server with no deadline set wakes nobody. The only goroutines besides
// gnet's loops are the short-lived wake timer callbacks, TLS handshakes
// (package tlsbridge, capped) and the inflate workers, which take the rare
// compressed message too large to inflate on a loop (Options.InflateInline)
// while that connection's reads wait, and a short-lived one that runs a
// garbage collection after a quarter of the memory budget's worth of large
// message buffers was dropped (one at a time).
//
// The engine reports what happens through the Handler interface; package api
// adapts it to the public event structs.
package engine
