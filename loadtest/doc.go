// Package loadtest is a load-generating WebSocket client and the engine behind
// `wsloop loadtest`. It tests any RFC 6455 server: it imports no other wsloop
// package and speaks the protocol itself (handshake, masked client frames, an
// incremental reader for server frames).
//
// A run is Options (targets, connections, request headers, timeouts) and a
// Scenario, each with its own option struct: Idle (hold many connections),
// Echo (request/response with payload verification), Broadcast (one
// sender, many receivers, latency from a timestamp embedded in each
// message), Churn (paced connect/close cycles with close-handshake
// checks), Handshake (maximum handshake rate), Hostile (an echo baseline,
// then the echo load again while hostile clients attack the server; see
// AttackKinds), Soak (open/echo/close cycles with the server's RSS and
// connection count after each), Script (an application's own messages
// and the answers they expect; see ParseScript) and PubSub (subscribers
// and publishers over several nodes, with losses and duplicates per
// node). Run calls the scenario's phases in turn: setup, traffic, result.
// Several target URLs spread the connections over them; the wire format
// lives in the internal wsclient package, shared with the conformance
// suite. Thresholds judge a Result; WriteHTML draws its time series.
//
// Design, so that the client is not the bottleneck:
//   - ws:// connections are dialed and upgraded by a bounded pool of blocking
//     workers (the handshake is short), then their socket descriptors are
//     handed to a small number of epoll event loops (Linux). A loop owns its
//     connections: reading, frame parsing, echo replies, pacing, timeouts and
//     closing all run on it, and the writes produced while handling one batch
//     of events leave in one write(2) per connection.
//   - wss:// connections use crypto/tls, which is blocking, so each one has a
//     reader and a writer goroutine that feed the same loop logic. This path
//     costs more memory and CPU per connection; prefer ws:// for capacity runs.
//   - churn and handshake cycles run on the blocking worker pool.
//
// Latency is recorded in HdrHistograms (microseconds, 1 µs to 60 s, three
// significant digits). The client's own CPU time (getrusage) is reported so a
// reader can tell whether the client was saturated, and with ServerPID the
// server's RSS and CPU time are sampled from /proc.
//
// Only loopback targets and source addresses are accepted unless
// Options.AllowRemote is set.
package loadtest
