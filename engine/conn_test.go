package engine

import (
	"testing"
	"unsafe"
)

// Conn is allocated for every connection, idle or not: it must stay in the
// 208-byte size class (598 B per idle connection in total, gnet's share
// included; see BenchmarkIdleConnections10k). Rarely used state belongs in
// connExtra, allocated on first use.
func TestConnSize(t *testing.T) {
	size, extra := unsafe.Sizeof(Conn{}), unsafe.Sizeof(connExtra{})
	t.Logf("Conn %d B, connExtra %d B", size, extra)
	if size > 208 {
		t.Errorf("Conn grew to %d B (budget 208): move the new field to connExtra", size)
	}
}
