package conformance

import (
	"errors"
	"fmt"
)

// inflater decodes raw DEFLATE data (RFC 1951) one permessage-deflate
// message at a time and checks that no back-reference reaches farther than
// the negotiated LZ77 window. klauspost/compress cannot make that check, so
// this small bit-by-bit decoder exists only to verify servers; it favours
// clarity over speed.
type inflater struct {
	window    int    // maximum back-reference distance allowed
	takeover  bool   // keep history between messages
	hist      []byte // the last window bytes of previous messages
	maxOutput int    // limit on one message's decoded size
}

var errInflateInput = errors.New("deflate: unexpected end of input")

// bitReader reads bits LSB-first.
type bitReader struct {
	in     []byte
	pos    int
	bitbuf uint32
	bitcnt uint
}

func (b *bitReader) bits(n uint) (uint32, error) {
	for b.bitcnt < n {
		if b.pos >= len(b.in) {
			return 0, errInflateInput
		}
		b.bitbuf |= uint32(b.in[b.pos]) << b.bitcnt
		b.pos++
		b.bitcnt += 8
	}
	v := b.bitbuf & (1<<n - 1)
	b.bitbuf >>= n
	b.bitcnt -= n
	return v, nil
}

// huffman is a canonical Huffman code: count[len] codes of each length and
// the symbols ordered by code.
type huffman struct {
	count  [16]uint16
	symbol []uint16
}

// build constructs h from code lengths; it rejects over-subscribed codes.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	if int(h.count[0]) == len(lengths) {
		h.symbol = h.symbol[:0]
		return nil // no codes: decoding any symbol will fail
	}
	left := 1
	for l := 1; l < 16; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return errors.New("deflate: over-subscribed Huffman code")
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = make([]uint16, len(lengths))
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	return nil
}

func (b *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int(bit)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+(code-first)]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, errors.New("deflate: invalid Huffman code")
}

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dstBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dstExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder  = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

var fixedLit, fixedDist huffman

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	_ = fixedLit.build(l[:])
	var d [30]uint8
	for i := range d {
		d[i] = 5
	}
	_ = fixedDist.build(d[:])
}

// decompress decodes one message payload (without the 00 00 ff ff tail).
func (f *inflater) decompress(payload []byte) ([]byte, error) {
	in := make([]byte, 0, len(payload)+4)
	in = append(append(in, payload...), 0x00, 0x00, 0xff, 0xff)
	br := &bitReader{in: in}
	out := make([]byte, 0, len(f.hist)+4*len(payload)+64)
	out = append(out, f.hist...)
	base := len(out)
	limit := f.maxOutput
	if limit <= 0 {
		limit = maxServerFrame
	}
	for {
		// Stop at a block boundary once the input is used up: the appended
		// empty stored block ends every message.
		if br.pos >= len(in) && br.bitcnt < 8 {
			break
		}
		final, err := br.bits(1)
		if err != nil {
			return nil, err
		}
		typ, err := br.bits(2)
		if err != nil {
			return nil, err
		}
		switch typ {
		case 0:
			out, err = f.stored(br, out)
		case 1:
			out, err = f.codes(br, out, base, limit, &fixedLit, &fixedDist)
		case 2:
			out, err = f.dynamic(br, out, base, limit)
		default:
			err = errors.New("deflate: invalid block type 3")
		}
		if err != nil {
			return nil, err
		}
		if len(out)-base > limit {
			return nil, fmt.Errorf("deflate: message larger than %d bytes", limit)
		}
		if final == 1 {
			break
		}
	}
	msg := out[base:]
	if f.takeover {
		keep := out
		if len(keep) > f.window {
			keep = keep[len(keep)-f.window:]
		}
		f.hist = append(f.hist[:0], keep...)
	}
	return msg, nil
}

func (f *inflater) stored(br *bitReader, out []byte) ([]byte, error) {
	br.bitbuf, br.bitcnt = 0, 0 // go to a byte boundary
	if br.pos+4 > len(br.in) {
		return nil, errInflateInput
	}
	n := int(br.in[br.pos]) | int(br.in[br.pos+1])<<8
	nn := int(br.in[br.pos+2]) | int(br.in[br.pos+3])<<8
	br.pos += 4
	if n != ^nn&0xffff {
		return nil, errors.New("deflate: stored block length check failed")
	}
	if br.pos+n > len(br.in) {
		return nil, errInflateInput
	}
	out = append(out, br.in[br.pos:br.pos+n]...)
	br.pos += n
	return out, nil
}

func (f *inflater) dynamic(br *bitReader, out []byte, base, limit int) ([]byte, error) {
	hlit, err := br.bits(5)
	if err != nil {
		return nil, err
	}
	hdist, err := br.bits(5)
	if err != nil {
		return nil, err
	}
	hclen, err := br.bits(4)
	if err != nil {
		return nil, err
	}
	nlen, ndist, ncode := int(hlit)+257, int(hdist)+1, int(hclen)+4
	if nlen > 286 || ndist > 30 {
		return nil, errors.New("deflate: bad code counts")
	}
	var cl [19]uint8
	for i := 0; i < ncode; i++ {
		v, err := br.bits(3)
		if err != nil {
			return nil, err
		}
		cl[clOrder[i]] = uint8(v)
	}
	var lencode huffman
	if err := lencode.build(cl[:]); err != nil {
		return nil, err
	}
	lengths := make([]uint8, nlen+ndist)
	for i := 0; i < nlen+ndist; {
		sym, err := br.decode(&lencode)
		if err != nil {
			return nil, err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return nil, errors.New("deflate: repeat with no previous length")
			}
			val = lengths[i-1]
			rep, err = br.bits(2)
			rep += 3
		case 17:
			rep, err = br.bits(3)
			rep += 3
		default:
			rep, err = br.bits(7)
			rep += 11
		}
		if err != nil {
			return nil, err
		}
		if i+int(rep) > nlen+ndist {
			return nil, errors.New("deflate: too many code lengths")
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return nil, errors.New("deflate: no end-of-block code")
	}
	var lit, dist huffman
	if err := lit.build(lengths[:nlen]); err != nil {
		return nil, err
	}
	if err := dist.build(lengths[nlen:]); err != nil {
		return nil, err
	}
	return f.codes(br, out, base, limit, &lit, &dist)
}

func (f *inflater) codes(br *bitReader, out []byte, base, limit int, lit, dist *huffman) ([]byte, error) {
	for {
		sym, err := br.decode(lit)
		if err != nil {
			return nil, err
		}
		switch {
		case sym < 256:
			out = append(out, byte(sym))
		case sym == 256:
			return out, nil
		default:
			sym -= 257
			if sym >= 29 {
				return nil, errors.New("deflate: invalid length symbol")
			}
			e, err := br.bits(uint(lenExtra[sym]))
			if err != nil {
				return nil, err
			}
			n := int(lenBase[sym]) + int(e)
			ds, err := br.decode(dist)
			if err != nil {
				return nil, err
			}
			if ds >= 30 {
				return nil, errors.New("deflate: invalid distance symbol")
			}
			e, err = br.bits(uint(dstExtra[ds]))
			if err != nil {
				return nil, err
			}
			d := int(dstBase[ds]) + int(e)
			if d > f.window {
				return nil, fmt.Errorf("deflate: distance %d exceeds the negotiated window of %d bytes", d, f.window)
			}
			if d > len(out) {
				return nil, fmt.Errorf("deflate: distance %d reaches before the start of the available history", d)
			}
			for i := 0; i < n; i++ {
				out = append(out, out[len(out)-d])
			}
		}
		if len(out)-base > limit {
			return nil, fmt.Errorf("deflate: message larger than %d bytes", limit)
		}
	}
}
