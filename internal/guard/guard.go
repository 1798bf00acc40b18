// Package guard is wsloop's one way into user code. A Guard holds a user
// value (an event handler, a hook, a filter) so that the only way to reach
// it is Call, which runs the call under recover and hands a panic back to
// the caller as a value instead of letting it unwind through an event loop
// or a handshake goroutine (gnet recovers nothing: a panic there ends the
// process).
//
// Callers decide what a panic means for their connection; this package only
// guarantees that it never escapes.
package guard

import (
	"fmt"
	"runtime/debug"
)

// PanicError reports a panic in user code.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack, from the panic site
}

// Error describes the panic for logs and ErrorEvent.Description.
func (e *PanicError) Error() string {
	return fmt.Sprintf("wsloop: event callback panicked: %v", e.Value)
}

// Guard holds a user value of type H. It is reachable only through Call.
// The zero Guard holds the zero H.
type Guard[H any] struct {
	h H
}

// New returns a Guard holding h.
func New[H any](h H) Guard[H] { return Guard[H]{h: h} }

// Call runs fn with the held value. If fn panics, Call recovers and returns
// the panic as a *PanicError; otherwise it returns nil. fn does not escape,
// so a closure literal passed to Call is not allocated.
func (g *Guard[H]) Call(fn func(H)) *PanicError {
	return Run(func() { fn(g.h) })
}

// Run runs fn and returns its panic, recovered, as a *PanicError (nil if fn
// returned normally). It is for user code that is not held in a Guard, such
// as crypto/tls callbacks installed by package api.
func Run(fn func()) (p *PanicError) {
	panicked := true
	defer func() {
		if panicked {
			p = &PanicError{Value: recover(), Stack: debug.Stack()}
		}
	}()
	fn()
	panicked = false
	return nil
}
