// Package interop holds wsloop's interoperability tests: they build the wsloop
// command, serve it on a free loopback port, and drive it with real third-party
// clients run as subprocesses — Python websockets, Node.js ws, gorilla/websocket
// (the nested module ./goclient) and headless Chromium on the demo page through
// playwright-core (./node). The package has no API; .ci/install-deps.sh installs
// the clients, and WSLOOP_INTEROP=off skips the tests for quick local runs.
package interop
