package engine

import (
	"testing"

	"github.com/valyala/bytebufferpool"
)

// TestGateReasons sets every combination of the gate's reasons (with the
// connection open and closing) and checks that holds() names each one and
// that inputStalled, the fast check on the read path, agrees with it.
func TestGateReasons(t *testing.T) {
	loopOwned := []hold{holdInflating, holdParked, holdTLSEarly}
	for _, state := range []uint8{stateOpen, stateClosing} {
		for mask := range 1 << 5 {
			c := &Conn{state: state}
			want := hold(0)
			for i, r := range loopOwned {
				if mask&(1<<i) != 0 {
					c.holdInput(r)
					want |= r
				}
			}
			if mask&(1<<3) != 0 {
				c.paused.Store(true)
				if state == stateOpen { // closing reads the close reply anyway
					want |= holdPaused
				}
			}
			if mask&(1<<4) != 0 {
				b := bytebufferpool.Get()
				b.B = append(b.B[:0], "held"...)
				c.ext().held = b
				want |= holdPlaintext
			}
			if got := c.holds(); got != want {
				t.Errorf("state %s mask %05b: holds %05b, want %05b", stateNames[state], mask, got, want)
			}
			if got, want := c.inputStalled(), want&stalling != 0; got != want {
				t.Errorf("state %s mask %05b: inputStalled %v, want %v", stateNames[state], mask, got, want)
			}
		}
	}
}
