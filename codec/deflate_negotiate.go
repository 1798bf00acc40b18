package codec

import (
	"iter"
	"strconv"
)

// DefaultDeflateThreshold is the payload size below which messages are sent
// uncompressed when DeflateConfig.Threshold is 0.
const DefaultDeflateThreshold = 64

// DefaultDeflateLevel is the flate level used when DeflateConfig.Level is 0.
const DefaultDeflateLevel = 1

// DeflateConfig is the server's permessage-deflate (RFC 7692) policy. The zero
// value disables compression.
type DeflateConfig struct {
	// Enabled turns permessage-deflate negotiation on.
	Enabled bool
	// ServerContextTakeover keeps the server's LZ77 window across messages.
	// When false (the default) the server answers server_no_context_takeover
	// and compresses every message on its own, so an idle connection holds no
	// compressor memory. A client may still demand server_no_context_takeover.
	ServerContextTakeover bool
	// ClientContextTakeover lets the client keep its window across messages.
	// When false (the default) the server answers client_no_context_takeover
	// (allowed even if not offered), so the server keeps no inflate window per
	// connection. When true the server keeps the last 2^ClientMaxWindowBits
	// bytes of decompressed data per connection.
	ClientContextTakeover bool
	// ServerMaxWindowBits (8..15, 0 = 15) is the LZ77 window the server
	// compresses with. A client offer of server_max_window_bits=N lowers it
	// to N. Windows below 15 use klauspost's custom-window encoder, which
	// ignores Level.
	ServerMaxWindowBits int
	// ClientMaxWindowBits (8..15, 0 = 15): when the client offered
	// client_max_window_bits, the server answers client_max_window_bits=N to
	// limit the client's window (and the inflate dictionary kept with client
	// context takeover). Without that offer the client's window stays 15.
	ClientMaxWindowBits int
	// Level is the flate level 1..9 used with a 15-bit server window;
	// 0 = DefaultDeflateLevel. Levels 7..9 are much slower.
	Level int
	// Threshold: payloads shorter than this many bytes are sent uncompressed.
	// 0 = DefaultDeflateThreshold; negative = compress every message.
	Threshold int
}

// ShouldCompress reports whether a payload of n bytes should be sent
// compressed under c's Threshold.
func (c *DeflateConfig) ShouldCompress(n int) bool {
	t := c.Threshold
	if t == 0 {
		t = DefaultDeflateThreshold
	}
	return n >= t
}

// EffectiveLevel returns the flate level Compress will use for c.
func (c *DeflateConfig) EffectiveLevel() int {
	if c.Level < 1 || c.Level > 9 {
		return DefaultDeflateLevel
	}
	return c.Level
}

// DeflateParams are the negotiated permessage-deflate parameters of one
// connection, as seen by the server. Window bits are always 8..15 once
// negotiated (NegotiateDeflate never returns 0).
type DeflateParams struct {
	// ServerNoContextTakeover: the server resets its compressor per message.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client resets its compressor per message,
	// so the server's inflater keeps nothing between messages.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits is the window the server compresses with.
	ServerMaxWindowBits int
	// ClientMaxWindowBits is the largest window the client compresses with.
	ClientMaxWindowBits int
}

// pmdOffer is one decoded permessage-deflate offer.
type pmdOffer struct {
	serverNoCT, clientNoCT bool
	hasServerBits          bool
	hasClientBits          bool
	serverBits, clientBits int // clientBits 0 = offered without a value
}

const (
	pmdSeenServerNoCT = 1 << iota
	pmdSeenClientNoCT
	pmdSeenServerBits
	pmdSeenClientBits
)

// NegotiateDeflate considers the offered Sec-WebSocket-Extensions items in
// order, accepts the first permessage-deflate offer it can honour, and
// appends the response extension value (for example
// "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
// to dst. An item may itself hold several comma-separated extensions.
//
// Offers are declined (skipped) when they carry an unknown or duplicated
// parameter, a value on a flag parameter, server_max_window_bits without a
// value, a window value outside 8..15 or with leading zeros, or anything
// that does not parse as RFC 6455 extension syntax. Quoted-string values are
// accepted when their unescaped content is valid (RFC 7692 section 7).
// Extension and parameter names match ASCII case-insensitively.
//
// server_max_window_bits is echoed only when offered (some browsers reject
// it otherwise); a smaller configured server window is then used silently,
// which RFC 7692 permits. When nothing is accepted, dst is returned unchanged
// with ok false. NegotiateDeflate does not allocate beyond growing dst.
func NegotiateDeflate(dst []byte, offers iter.Seq[[]byte], cfg DeflateConfig) (resp []byte, p DeflateParams, ok bool) {
	if !cfg.Enabled || offers == nil {
		return dst, p, false
	}
	for item := range offers {
		for rest := item; len(rest) > 0; {
			var o pmdOffer
			var good bool
			o, good, rest = pmdParseElement(rest)
			if !good {
				continue
			}
			return pmdAccept(dst, &o, &cfg)
		}
	}
	return dst, p, false
}

// pmdAccept builds the response for an acceptable offer.
func pmdAccept(dst []byte, o *pmdOffer, cfg *DeflateConfig) ([]byte, DeflateParams, bool) {
	var p DeflateParams
	p.ServerNoContextTakeover = o.serverNoCT || !cfg.ServerContextTakeover
	p.ClientNoContextTakeover = o.clientNoCT || !cfg.ClientContextTakeover
	p.ServerMaxWindowBits = pmdBits(cfg.ServerMaxWindowBits)
	if o.hasServerBits && o.serverBits < p.ServerMaxWindowBits {
		p.ServerMaxWindowBits = o.serverBits
	}
	p.ClientMaxWindowBits = 15
	answerClientBits := false
	if o.hasClientBits {
		p.ClientMaxWindowBits = pmdBits(cfg.ClientMaxWindowBits)
		if o.clientBits != 0 && o.clientBits < p.ClientMaxWindowBits {
			p.ClientMaxWindowBits = o.clientBits
		}
		answerClientBits = p.ClientMaxWindowBits < 15 || o.clientBits != 0
	}
	dst = append(dst, "permessage-deflate"...)
	if p.ServerNoContextTakeover {
		dst = append(dst, "; server_no_context_takeover"...)
	}
	if p.ClientNoContextTakeover {
		dst = append(dst, "; client_no_context_takeover"...)
	}
	if o.hasServerBits {
		dst = append(dst, "; server_max_window_bits="...)
		dst = strconv.AppendInt(dst, int64(p.ServerMaxWindowBits), 10)
	}
	if answerClientBits {
		dst = append(dst, "; client_max_window_bits="...)
		dst = strconv.AppendInt(dst, int64(p.ClientMaxWindowBits), 10)
	}
	return dst, p, true
}

// pmdBits maps a configured window (0 or out of range = 15) to 8..15.
func pmdBits(b int) int {
	if b < 8 || b > 15 {
		return 15
	}
	return b
}

// pmdParseElement parses one extension element from b (up to the next
// top-level comma). It returns ok only for a valid permessage-deflate offer,
// and always returns the input after that comma so the caller makes
// progress.
func pmdParseElement(b []byte) (o pmdOffer, ok bool, rest []byte) {
	i := pmdSkipOWS(b, 0)
	if i < len(b) && b[i] == ',' {
		return o, false, b[i+1:] // empty list element
	}
	name, i := pmdToken(b, i)
	isPMD := len(name) > 0 && equalFold(name, "permessage-deflate")
	bad := !isPMD
	var seen uint8
	for {
		i = pmdSkipOWS(b, i)
		if i >= len(b) {
			return o, !bad, nil
		}
		switch b[i] {
		case ',':
			return o, !bad, b[i+1:]
		case ';':
		default:
			return o, false, pmdSkipElement(b, i)
		}
		i = pmdSkipOWS(b, i+1)
		var pname []byte
		pname, i = pmdToken(b, i)
		if len(pname) == 0 {
			return o, false, pmdSkipElement(b, i)
		}
		i = pmdSkipOWS(b, i)
		var val [8]byte
		nval, hasVal := 0, false
		if i < len(b) && b[i] == '=' {
			hasVal = true
			i = pmdSkipOWS(b, i+1)
			var good bool
			nval, i, good = pmdValue(b, i, &val)
			if !good {
				return o, false, pmdSkipElement(b, i)
			}
		}
		if bad {
			continue // declined already: only find the element's end
		}
		v := val[:min(nval, len(val))]
		var bit uint8
		switch {
		case equalFold(pname, "server_no_context_takeover"):
			bit, o.serverNoCT = pmdSeenServerNoCT, true
			bad = hasVal
		case equalFold(pname, "client_no_context_takeover"):
			bit, o.clientNoCT = pmdSeenClientNoCT, true
			bad = hasVal
		case equalFold(pname, "server_max_window_bits"):
			bit, o.hasServerBits = pmdSeenServerBits, true
			o.serverBits = pmdWindowValue(v)
			bad = !hasVal || o.serverBits == 0
		case equalFold(pname, "client_max_window_bits"):
			bit, o.hasClientBits = pmdSeenClientBits, true
			if hasVal {
				o.clientBits = pmdWindowValue(v)
				bad = o.clientBits == 0
			}
		default:
			bad = true
		}
		if seen&bit != 0 {
			bad = true
		}
		seen |= bit
	}
}

// pmdWindowValue decodes a window-bits value: 1*DIGIT without leading zeros
// in 8..15; it returns 0 when invalid.
func pmdWindowValue(v []byte) int {
	switch {
	case len(v) == 1 && v[0] >= '8' && v[0] <= '9':
		return int(v[0] - '0')
	case len(v) == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5':
		return 10 + int(v[1]-'0')
	}
	return 0
}

// pmdValue reads a token or quoted-string value at b[i:], copying at most
// len(val) unescaped bytes into val. It returns the full unescaped length,
// the index after the value, and whether the syntax was valid.
func pmdValue(b []byte, i int, val *[8]byte) (n, next int, ok bool) {
	put := func(c byte) {
		if n < len(val) {
			val[n] = c
		}
		n++
	}
	if i < len(b) && b[i] == '"' {
		i++
		for i < len(b) {
			c := b[i]
			switch {
			case c == '"':
				return n, i + 1, true
			case c == '\\':
				if i+1 >= len(b) {
					return n, i + 1, false
				}
				put(b[i+1])
				i += 2
			case c == '\t' || (c >= 0x20 && c != 0x7f):
				put(c)
				i++
			default:
				return n, i, false
			}
		}
		return n, i, false // unterminated
	}
	start := i
	for i < len(b) && isTchar(b[i]) {
		put(b[i])
		i++
	}
	return n, i, i > start
}

// pmdSkipElement returns b after the next comma outside a quoted string.
func pmdSkipElement(b []byte, i int) []byte {
	inQuote := false
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ',':
			return b[i+1:]
		}
	}
	return nil
}

func pmdSkipOWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

func pmdToken(b []byte, i int) ([]byte, int) {
	start := i
	for i < len(b) && isTchar(b[i]) {
		i++
	}
	return b[start:i], i
}
