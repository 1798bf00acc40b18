package conformance

import (
	"context"
	"strconv"
)

// ctxT shortens signatures of case functions.
type ctxT = context.Context

func itoa(n int) string { return strconv.Itoa(n) }

// id joins numbers into a dotted case ID.
func id(parts ...int) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "."
		}
		s += strconv.Itoa(p)
	}
	return s
}
