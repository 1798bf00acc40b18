package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

var stateNames = [numStates]string{"handshake", "open", "closing", "draining", "closed"}

// TestLifecycleTransitions walks every pair of states: the lifecycle's
// legal moves succeed, and every other move is refused and leaves the
// state as it was.
func TestLifecycleTransitions(t *testing.T) {
	legal := map[[2]uint8]string{
		{stateHandshake, stateOpen}:     "the upgrade is accepted",
		{stateHandshake, stateClosing}:  "a plain HTTP request waits for HTTPHandler",
		{stateHandshake, stateDraining}: "the request is refused, or the TLS handshake failed",
		{stateHandshake, stateClosed}:   "the peer left, or the handshake timed out",
		{stateOpen, stateClosing}:       "a close frame is sent or received",
		{stateOpen, stateDraining}:      "the TLS record layer failed",
		{stateOpen, stateClosed}:        "the peer left",
		{stateClosing, stateDraining}:   "the closing handshake ended or failed",
		{stateClosing, stateClosed}:     "the close reply did not come within CloseWait",
		{stateDraining, stateClosed}:    "the output was written, or CloseWait passed",
	}
	for from := range numStates {
		for to := range numStates {
			name := stateNames[from] + "->" + stateNames[to]
			c := &Conn{state: from}
			ok := c.moveLocked(to)
			why, want := legal[[2]uint8{from, to}]
			switch {
			case want && !ok:
				t.Errorf("%s refused; it is legal: %s", name, why)
			case !want && ok:
				t.Errorf("%s allowed; it is not a lifecycle move", name)
			case want && c.state != to:
				t.Errorf("%s: state %s after the move", name, stateNames[c.state])
			case !want && c.state != from:
				t.Errorf("%s: a refused move changed the state to %s", name, stateNames[c.state])
			}
		}
	}
	// A full lifecycle in order, and nothing after closed.
	c := &Conn{}
	for _, to := range []uint8{stateOpen, stateClosing, stateDraining, stateClosed} {
		if !c.moveLocked(to) {
			t.Fatalf("move to %s refused", stateNames[to])
		}
	}
	for to := range numStates {
		if c.moveLocked(to) {
			t.Errorf("closed -> %s allowed", stateNames[to])
		}
	}
}

// TestStateWrittenOnlyByMove checks the engine's sources: Conn.state is
// assigned in moveLocked and nowhere else, so no path can skip the
// lifecycle's table.
func TestStateWrittenOnlyByMove(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Name.Name == "moveLocked" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for _, lhs := range as.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "state" {
						t.Errorf("%s: %s assigns .state directly; use moveLocked", fset.Position(as.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}
