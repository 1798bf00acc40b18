package loadtest

import (
	"bytes"
	"sync"

	"github.com/klauspost/compress/flate"
)

// bombSize is what the compression bomb inflates to.
const bombSize = 100 << 20

var bomb struct {
	once sync.Once
	b    []byte
	err  error
}

// bombPayload returns a permessage-deflate message body (RFC 7692: raw
// DEFLATE, sync-flushed, without the trailing 00 00 FF FF) that inflates to
// 100 MiB of zeros; it is about 100 KB. It is built once and shared; callers
// must not modify it.
func bombPayload() ([]byte, error) {
	bomb.once.Do(func() { bomb.b, bomb.err = deflateZeros(bombSize) })
	return bomb.b, bomb.err
}

// deflateZeros compresses n zero bytes as one permessage-deflate message.
func deflateZeros(n int) ([]byte, error) {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, 64<<10)
	for left := n; left > 0; {
		k := min(left, len(zeros))
		if _, err := w.Write(zeros[:k]); err != nil {
			return nil, err
		}
		left -= k
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte{0, 0, 0xff, 0xff}), nil
}
