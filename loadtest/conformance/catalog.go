package conformance

import (
	"sort"
	"strconv"
	"strings"
)

// Cases returns the full catalog, sorted by ID. Each call builds fresh
// cases (payloads included), so callers may keep or modify the slice.
func Cases() []Case {
	groups := []struct {
		family   string
		allQuick bool
		cases    []Case
	}{
		{famFraming, true, framingCases()},
		{famPing, true, pingCases()},
		{famRSV, true, rsvCases()},
		{famOpcode, true, opcodeCases()},
		{famFrag, true, fragCases()},
		{famUTF8, false, utf8Cases()},
		{famClose, true, closeCases()},
		{famLimits, false, limitCases()},
		{famAutoFrag, false, autoFragCases()},
		{famDeflate, false, deflateCases()},
		{famNegotiate, false, negotiationCases()},
		{famHandshake, true, handshakeCases()},
	}
	var out []Case
	for _, g := range groups {
		for _, c := range g.cases {
			c.Family = g.family
			if g.allQuick {
				c.Quick = true
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out
}

// Families returns the family names in catalog order.
func Families() []string {
	return []string{famFraming, famPing, famRSV, famOpcode, famFrag, famUTF8, famClose,
		famLimits, famAutoFrag, famDeflate, famNegotiate, famHandshake}
}

// lessID orders dotted IDs numerically segment by segment; "H" sorts last.
func lessID(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, ex := strconv.Atoi(as[i])
		y, ey := strconv.Atoi(bs[i])
		switch {
		case ex == nil && ey == nil:
			if x != y {
				return x < y
			}
		case ex == nil:
			return true
		case ey == nil:
			return false
		default:
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
		}
	}
	return len(as) < len(bs)
}
