package runner

import (
	"math"
	"slices"
)

// Median returns the median of vals (the mean of the middle two for an even
// count) and their range; all three are NaN when vals is empty. vals is not
// modified.
func Median(vals []float64) (med, lo, hi float64) {
	if len(vals) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}
