package conformance

import (
	"fmt"
	"math/rand/v2"
)

// textPayload returns n bytes of printable ASCII (valid UTF-8), varied
// enough that compression and off-by-one errors show up.
func textPayload(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-*"
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// binPayload returns n pseudo-random bytes (deterministic per n).
func binPayload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 11))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// jsonPayload returns about n bytes of repetitive JSON-like text, the kind
// of data permessage-deflate is made for.
func jsonPayload(n int) []byte {
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"id":%d,"user":"u%03d","event":"tick","price":%d.%02d},`, i, i%97, 100+i%13, i%100)
	}
	return b[:n]
}

// sizeName renders byte counts as 64, 4K, 1M.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}

// split cuts p into pieces of at most n bytes (at least one piece).
func split(p []byte, n int) [][]byte {
	if len(p) == 0 {
		return [][]byte{p}
	}
	var out [][]byte
	for len(p) > 0 {
		k := min(n, len(p))
		out = append(out, p[:k])
		p = p[k:]
	}
	return out
}

// fragments turns a message into data frames of at most n payload bytes.
func fragments(op byte, p []byte, n int) []frame {
	parts := split(p, n)
	fs := make([]frame, len(parts))
	for i, part := range parts {
		o := op
		if i > 0 {
			o = opCont
		}
		fs[i] = frame{op: o, fin: i == len(parts)-1, payload: part}
	}
	return fs
}
