package loadtest

import (
	"bytes"
	"testing"

	"github.com/wsloop/wsloop/loadtest/internal/wsclient"
)

// serverFrame builds an unmasked server frame.
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b := wsclient.AppendHeader(nil, wsclient.Header{Fin: fin, Op: op, Len: uint64(len(payload))})
	return append(b, payload...)
}

func TestPatternAndStamp(t *testing.T) {
	p := newPattern(40)
	a, b := p.payload(0), p.payload(1)
	if bytes.Equal(a, b) || len(a) != 40 {
		t.Fatalf("payloads %q %q", a, b)
	}
	if !p.check(1, 10, b[10:20]) || p.check(0, 10, b[10:20]) || p.check(1, 35, b[30:40]) {
		t.Error("check accepted a wrong chunk or refused a right one")
	}
	st := appendStamp(nil, 123456789, 42)
	ts, seq, ok := parseStamp(st)
	if !ok || ts != 123456789 || seq != 42 || len(st) != stampLen {
		t.Errorf("stamp round trip: %d %d %v", ts, seq, ok)
	}
	if _, _, ok := parseStamp([]byte("LT1zzzz")); ok {
		t.Error("short stamp accepted")
	}
	bad := bytes.Clone(st)
	bad[5] = 'G'
	if _, _, ok := parseStamp(bad); ok {
		t.Error("non-hex stamp accepted")
	}
}

func BenchmarkEchoVerify(b *testing.B) {
	p := newPattern(1024)
	var echoed [patternPeriod][]byte
	for i := range echoed {
		echoed[i] = bytes.Clone(p.payload(uint64(i)))
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; b.Loop(); i++ {
		if !p.check(uint64(i), 0, echoed[i%patternPeriod]) {
			b.Fatal("mismatch")
		}
	}
}
