package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
)

// pmdParams are negotiated permessage-deflate parameters (RFC 7692).
// Window bits of 0 mean "not given" (15).
type pmdParams struct {
	serverNoCtx, clientNoCtx bool
	serverBits, clientBits   int
}

func (p pmdParams) String() string {
	var b strings.Builder
	b.WriteString("permessage-deflate")
	if p.serverNoCtx {
		b.WriteString("; server_no_context_takeover")
	}
	if p.clientNoCtx {
		b.WriteString("; client_no_context_takeover")
	}
	if p.serverBits != 0 {
		fmt.Fprintf(&b, "; server_max_window_bits=%d", p.serverBits)
	}
	if p.clientBits != 0 {
		fmt.Fprintf(&b, "; client_max_window_bits=%d", p.clientBits)
	}
	return b.String()
}

// extParam is one extension parameter; hasValue distinguishes "k" from "k=".
type extParam struct {
	name, value string
	hasValue    bool
}

// extElem is one element of a Sec-WebSocket-Extensions list.
type extElem struct {
	name   string
	params []extParam
}

// parseExtensions parses a Sec-WebSocket-Extensions value (RFC 6455
// section 9.1), allowing quoted parameter values.
func parseExtensions(s string) ([]extElem, error) {
	var (
		out []extElem
		i   int
	)
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	token := func() string {
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		return s[start:i]
	}
	for {
		skipWS()
		if i >= len(s) {
			break
		}
		if s[i] == ',' { // empty list element
			i++
			continue
		}
		name := token()
		if name == "" {
			return nil, fmt.Errorf("bad extension list %q at byte %d", s, i)
		}
		e := extElem{name: name}
		for {
			skipWS()
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != ';' {
				return nil, fmt.Errorf("bad extension list %q at byte %d", s, i)
			}
			i++
			skipWS()
			p := extParam{name: token()}
			if p.name == "" {
				return nil, fmt.Errorf("bad extension parameter in %q at byte %d", s, i)
			}
			skipWS()
			if i < len(s) && s[i] == '=' {
				i++
				skipWS()
				p.hasValue = true
				if i < len(s) && s[i] == '"' {
					end := strings.IndexByte(s[i+1:], '"')
					if end < 0 {
						return nil, fmt.Errorf("unterminated quoted value in %q", s)
					}
					p.value = s[i+1 : i+1+end]
					i += end + 2
				} else {
					p.value = token()
				}
				if p.value == "" {
					return nil, fmt.Errorf("empty value for %s in %q", p.name, s)
				}
			}
			e.params = append(e.params, p)
		}
		out = append(out, e)
		if i < len(s) {
			i++ // the comma
		}
	}
	return out, nil
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
}

// parseDeflate interprets the parameters of one permessage-deflate element.
// It returns, for each window-bits parameter, -1 when given without a value.
func parseDeflate(e extElem) (pmdParams, error) {
	var p pmdParams
	seen := map[string]bool{}
	for _, q := range e.params {
		n := strings.ToLower(q.name)
		if seen[n] {
			return p, fmt.Errorf("parameter %s given twice", n)
		}
		seen[n] = true
		switch n {
		case "server_no_context_takeover", "client_no_context_takeover":
			if q.hasValue {
				return p, fmt.Errorf("parameter %s must not have a value", n)
			}
			if n[0] == 's' {
				p.serverNoCtx = true
			} else {
				p.clientNoCtx = true
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits := -1
			if q.hasValue {
				v, err := strconv.Atoi(q.value)
				if err != nil || v < 8 || v > 15 || q.value[0] == '0' || q.value[0] == '+' {
					return p, fmt.Errorf("parameter %s has invalid value %q", n, q.value)
				}
				bits = v
			} else if n[0] == 's' {
				return p, fmt.Errorf("parameter %s needs a value", n)
			}
			if n[0] == 's' {
				p.serverBits = bits
			} else {
				p.clientBits = bits
			}
		default:
			return p, fmt.Errorf("unknown parameter %s", q.name)
		}
	}
	return p, nil
}

// acceptDeflateResponse validates the server's Sec-WebSocket-Extensions
// response against our offer (RFC 7692 section 7). It returns the accepted
// parameters, or nil if permessage-deflate was declined.
func acceptDeflateResponse(offer, response string) (*pmdParams, error) {
	resp, err := parseExtensions(response)
	if err != nil {
		return nil, fmt.Errorf("Sec-WebSocket-Extensions: %v", err)
	}
	offers, err := parseExtensions(offer)
	if err != nil {
		return nil, fmt.Errorf("bad offer: %v", err)
	}
	if len(resp) == 0 {
		return nil, nil
	}
	if len(resp) > 1 {
		return nil, fmt.Errorf("response %q accepts more than one extension", response)
	}
	e := resp[0]
	if !strings.EqualFold(e.name, "permessage-deflate") {
		return nil, fmt.Errorf("response %q accepts %q, which is not permessage-deflate (offered only to check that it is declined)", response, e.name)
	}
	got, err := parseDeflate(e)
	if err != nil {
		return nil, fmt.Errorf("response %q: %v", response, err)
	}
	// The response must be a valid answer to at least one of our offers.
	var why []string
	for _, o := range offers {
		if !strings.EqualFold(o.name, "permessage-deflate") {
			continue
		}
		off, err := parseDeflate(o)
		if err != nil {
			continue // a deliberately invalid offer must be declined
		}
		if reason := answers(off, got); reason != "" {
			why = append(why, reason)
			continue
		}
		if got.clientBits == -1 {
			return nil, fmt.Errorf("response %q: client_max_window_bits needs a value in a response", response)
		}
		return &got, nil
	}
	if len(why) == 0 {
		return nil, fmt.Errorf("response %q answers no valid offer of %q", response, offer)
	}
	return nil, fmt.Errorf("response %q is not a valid answer to offer %q: %s", response, offer, strings.Join(why, "; "))
}

// answers reports why resp is not a valid response to offer ("" if it is).
func answers(offer, resp pmdParams) string {
	if offer.serverBits > 0 && (resp.serverBits == 0 || resp.serverBits > offer.serverBits) {
		return fmt.Sprintf("server_max_window_bits=%d offered but answered with %d", offer.serverBits, resp.serverBits)
	}
	if resp.clientBits != 0 {
		if offer.clientBits == 0 {
			return "client_max_window_bits in the response although the offer did not have it"
		}
		if offer.clientBits > 0 && resp.clientBits > offer.clientBits {
			return fmt.Sprintf("client_max_window_bits=%d exceeds the offered %d", resp.clientBits, offer.clientBits)
		}
	}
	return ""
}

// pmdConn holds the compression state of one connection.
type pmdConn struct {
	params pmdParams
	inf    inflater
	fw     *flate.Writer
	buf    bytes.Buffer
	huff   bool // compress without back-references (window below 32 KiB)
}

func newPMD(p pmdParams) *pmdConn {
	sb := p.serverBits
	if sb <= 0 {
		sb = 15
	}
	c := &pmdConn{params: p, inf: inflater{window: 1 << sb, takeover: !p.serverNoCtx}}
	cb := p.clientBits
	c.huff = cb > 0 && cb < 15
	return c
}

// compress returns the compressed payload of msg (without the 00 00 ff ff
// tail), keeping the LZ77 window across messages unless the server asked for
// client_no_context_takeover.
func (p *pmdConn) compress(msg []byte) []byte {
	p.buf.Reset()
	if p.fw == nil {
		level := flate.DefaultCompression
		if p.huff {
			// Huffman-only output has no back-references and so fits any
			// negotiated client window.
			level = flate.HuffmanOnly
		}
		p.fw, _ = flate.NewWriter(&p.buf, level)
	} else if p.params.clientNoCtx {
		p.fw.Reset(&p.buf)
	}
	_, _ = p.fw.Write(msg)
	_ = p.fw.Flush()
	out := bytes.Clone(p.buf.Bytes())
	return bytes.TrimSuffix(out, []byte{0, 0, 0xff, 0xff})
}

// decompress decodes a compressed message from the server.
func (p *pmdConn) decompress(payload []byte) ([]byte, error) {
	return p.inf.decompress(payload)
}
