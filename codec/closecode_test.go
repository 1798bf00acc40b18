package codec

import "testing"

func TestCloseCodeRanges(t *testing.T) {
	// The rule written as explicit sets, independently of closecode.go.
	valid := map[uint16]bool{}
	for _, c := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014} {
		valid[c] = true
	}
	for code := 0; code <= 65535; code++ {
		c := uint16(code)
		want := valid[c] || (code >= 3000 && code < 5000)
		if got := ValidReceivedCloseCode(c); got != want {
			t.Fatalf("ValidReceivedCloseCode(%d) = %v, want %v", code, got, want)
		}
		if got := ValidSendCloseCode(c); got != want {
			t.Fatalf("ValidSendCloseCode(%d) = %v, want %v", code, got, want)
		}
	}
	for _, c := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000} {
		if ValidReceivedCloseCode(c) || ValidSendCloseCode(c) {
			t.Fatalf("%d accepted", c)
		}
	}
}
