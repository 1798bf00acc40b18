package engine

import (
	"testing"
	"unsafe"
)

// Conn is allocated for every connection, idle or not: it must stay in the
// 192-byte size class (see BenchmarkIdleConnections10k for the total per
// idle connection, gnet's share included). Rarely used state belongs in
// connExtra, allocated on first use.
func TestConnSize(t *testing.T) {
	size, extra := unsafe.Sizeof(Conn{}), unsafe.Sizeof(connExtra{})
	t.Logf("Conn %d B, connExtra %d B", size, extra)
	if size > 192 {
		t.Errorf("Conn grew to %d B (budget 192): move the new field to connExtra", size)
	}
}
