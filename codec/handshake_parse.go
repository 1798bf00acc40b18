package codec

import (
	"bytes"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxHeaderBytes is the default limit on the size of a request head
// (request line plus headers, including the final empty line). The engine
// answers 431 (ErrHeaderTooLarge) when no "\r\n\r\n" appears within it.
const DefaultMaxHeaderBytes = 8192

// MaxRequestHeaders is the capacity of a Request's inline header array. A
// request with more header lines fails with ErrTooManyHeaders (431).
const MaxRequestHeaders = 64

// HeaderEnd returns the index just past the first "\r\n\r\n" in p, or -1 if
// p holds no complete request head yet.
func HeaderEnd(p []byte) int {
	i := bytes.Index(p, hsCRLFCRLF)
	if i < 0 {
		return -1
	}
	return i + 4
}

var hsCRLFCRLF = []byte("\r\n\r\n")

// hsHeader is one header line: name as sent, value with surrounding
// whitespace trimmed. Both point into the buffer given to Parse.
type hsHeader struct {
	name, value []byte
}

// Request is a parsed HTTP/1.1 request head. Every byte slice points into the
// buffer given to Parse and is valid only as long as that buffer is. A
// Request is meant to be reused (one per event loop): Parse resets it and
// never allocates. After Parse fails the fields are unspecified.
type Request struct {
	// Method, URI and Proto are the three parts of the request line.
	Method, URI, Proto []byte
	// ProtoMajor and ProtoMinor are the digits of Proto ("HTTP/1.1" -> 1, 1).
	ProtoMajor, ProtoMinor int

	// Host, Origin, Key (Sec-WebSocket-Key) and Version
	// (Sec-WebSocket-Version) are the first value of each header, trimmed,
	// or nil if absent.
	Host, Origin, Key, Version []byte

	// Upgrade reports whether an Upgrade header's token list contains
	// "websocket" (case-insensitive).
	Upgrade bool
	// ConnUpgrade reports whether a Connection header's token list contains
	// "upgrade" (case-insensitive), in any of several Connection headers.
	ConnUpgrade bool
	// ConnClose reports whether a Connection header contains "close".
	ConnClose bool

	// ContentLength is the value of Content-Length, or -1 if absent.
	ContentLength int64
	// Chunked reports whether a Transfer-Encoding header is present (any
	// coding: the request then has a body of unknown length).
	Chunked bool

	// HeaderLimit lowers the number of header lines accepted before
	// ErrTooManyHeaders; 0 or a value above MaxRequestHeaders means
	// MaxRequestHeaders. Parse does not reset it.
	HeaderLimit int

	hosts, keys, versions int
	n                     int
	hdr                   [MaxRequestHeaders]hsHeader
}

// Header names Parse looks for.
const (
	hsHdrHost       = "Host"
	hsHdrOrigin     = "Origin"
	hsHdrUpgrade    = "Upgrade"
	hsHdrConnection = "Connection"
	hsHdrKey        = "Sec-WebSocket-Key"
	hsHdrVersion    = "Sec-WebSocket-Version"
	hsHdrProtocol   = "Sec-WebSocket-Protocol"
	hsHdrExtensions = "Sec-WebSocket-Extensions"
	hsHdrCL         = "Content-Length"
	hsHdrTE         = "Transfer-Encoding"
)

// hsReset clears everything Parse sets, keeping HeaderLimit.
func (r *Request) hsReset() {
	clear(r.hdr[:r.n])
	r.n = 0
	r.Method, r.URI, r.Proto = nil, nil, nil
	r.ProtoMajor, r.ProtoMinor = 0, 0
	r.Host, r.Origin, r.Key, r.Version = nil, nil, nil, nil
	r.Upgrade, r.ConnUpgrade, r.ConnClose = false, false, false
	r.ContentLength, r.Chunked = -1, false
	r.hosts, r.keys, r.versions = 0, 0, 0
}

// Parse parses head, a complete request head ending with "\r\n\r\n" (as
// delimited by HeaderEnd). It checks syntax only: the request line, header
// names (tokens, no whitespace before the colon), header values (no control
// characters except HTAB), CRLF line endings, no obsolete line folding, and
// Content-Length. Errors are *HandshakeError sentinels with status 400, or
// 431 for too many headers. Use IsWebSocket and Validate next.
func (r *Request) Parse(head []byte) error {
	r.hsReset()
	limit := r.HeaderLimit
	if limit <= 0 || limit > MaxRequestHeaders {
		limit = MaxRequestHeaders
	}

	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return ErrBadRequest
	}
	if nl == 0 || head[nl-1] != '\r' {
		return ErrBadLineEnding
	}
	if err := r.hsParseRequestLine(head[:nl-1]); err != nil {
		return err
	}
	pos := nl + 1
	for {
		nl = bytes.IndexByte(head[pos:], '\n')
		if nl < 0 {
			return ErrBadRequest
		}
		if nl == 0 || head[pos+nl-1] != '\r' {
			return ErrBadLineEnding
		}
		line := head[pos : pos+nl-1]
		pos += nl + 1
		if len(line) == 0 {
			break
		}
		if r.n >= limit {
			return ErrTooManyHeaders
		}
		if err := r.hsParseHeader(line); err != nil {
			return err
		}
	}
	if pos != len(head) {
		// Bytes after the empty line: the caller passed more than one head.
		return ErrBadRequest
	}
	if r.Chunked && r.ContentLength >= 0 {
		return ErrBadContentLength
	}
	return nil
}

func (r *Request) hsParseRequestLine(line []byte) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return ErrBadRequestLine
	}
	r.Method = line[:sp]
	for _, c := range r.Method {
		if byteClass[c]&classToken == 0 {
			return ErrBadRequestLine
		}
	}
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return ErrBadRequestLine
	}
	r.URI = rest[:sp]
	for _, c := range r.URI {
		if c <= ' ' || c >= 0x7f {
			return ErrBadRequestURI
		}
	}
	p := rest[sp+1:]
	if len(p) != 8 || string(p[:5]) != "HTTP/" || p[6] != '.' ||
		p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9' {
		return ErrBadRequestLine
	}
	r.Proto = p
	r.ProtoMajor = int(p[5] - '0')
	r.ProtoMinor = int(p[7] - '0')
	return nil
}

func (r *Request) hsParseHeader(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return ErrObsFold
	}
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if byteClass[c]&classToken == 0 {
			if c == ' ' || c == '\t' {
				if bytes.IndexByte(line[i:], ':') < 0 {
					return ErrMissingColon
				}
			}
			return ErrBadHeaderName
		}
	}
	if colon < 0 {
		return ErrMissingColon
	}
	if colon == 0 {
		return ErrBadHeaderName
	}
	name := line[:colon]
	value := line[colon+1:]
	for _, c := range value {
		if byteClass[c]&classValue == 0 {
			return ErrBadHeaderValue
		}
	}
	value = hsTrim(value)
	r.hdr[r.n] = hsHeader{name: name, value: value}
	r.n++
	return r.hsNoteHeader(name, value)
}

// hsNoteHeader records the headers the handshake cares about.
func (r *Request) hsNoteHeader(name, value []byte) error {
	switch len(name) {
	case len(hsHdrHost):
		if equalFold(name, hsHdrHost) {
			r.hosts++
			if r.hosts == 1 {
				r.Host = value
			}
		}
	case len(hsHdrOrigin):
		if equalFold(name, hsHdrOrigin) && r.Origin == nil {
			r.Origin = value
		}
	case len(hsHdrUpgrade):
		if equalFold(name, hsHdrUpgrade) && !r.Upgrade {
			r.Upgrade = hsListHas(value, "websocket")
		}
	case len(hsHdrConnection):
		if equalFold(name, hsHdrConnection) {
			r.ConnUpgrade = r.ConnUpgrade || hsListHas(value, "upgrade")
			r.ConnClose = r.ConnClose || hsListHas(value, "close")
		}
	case len(hsHdrKey): // == len(hsHdrTE)
		if equalFold(name, hsHdrKey) {
			r.keys++
			if r.keys == 1 {
				r.Key = value
			}
		} else if equalFold(name, hsHdrTE) {
			r.Chunked = true
		}
	case len(hsHdrVersion):
		if equalFold(name, hsHdrVersion) {
			r.versions++
			if r.versions == 1 {
				r.Version = value
			}
		}
	case len(hsHdrCL):
		if equalFold(name, hsHdrCL) {
			n, ok := hsParseLength(value)
			if !ok || (r.ContentLength >= 0 && n != r.ContentLength) {
				return ErrBadContentLength
			}
			r.ContentLength = n
		}
	}
	return nil
}

// hsParseLength parses a Content-Length value: 1 to 18 decimal digits.
func hsParseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// IsWebSocket reports whether the request asks for a WebSocket upgrade
// (Upgrade: websocket and Connection: Upgrade). Other requests are plain
// HTTP requests.
func (r *Request) IsWebSocket() bool { return r.Upgrade && r.ConnUpgrade }

// Validate checks a parsed WebSocket upgrade request against RFC 6455
// section 4.2.1, in this order: Upgrade and Connection tokens (400), HTTP
// major version 1 (505) and at least HTTP/1.1 (400), method GET (405),
// origin-form or absolute-form target (400), no body (400), exactly one
// non-empty Host (400), exactly one Sec-WebSocket-Version equal to "13" (400
// if duplicated, 426 if missing or different, so that old-draft clients learn
// the supported version), exactly one Sec-WebSocket-Key that is the base64
// encoding of 16 bytes (400). It returns nil or a *HandshakeError sentinel.
func (r *Request) Validate() error {
	switch {
	case !r.IsWebSocket():
		return ErrNotUpgrade
	case r.ProtoMajor != 1:
		return ErrVersionNotSupported
	case r.ProtoMinor < 1:
		return ErrHTTP10
	case string(r.Method) != http.MethodGet:
		return ErrMethodNotAllowed
	case !hsValidTarget(r.URI):
		return ErrBadRequestURI
	case r.Chunked || r.ContentLength > 0:
		return ErrUpgradeBody
	case r.hosts > 1:
		return ErrDuplicateHost
	case len(r.Host) == 0:
		return ErrMissingHost
	case r.versions > 1:
		return ErrDuplicateVersion
	case string(r.Version) != "13":
		return ErrUpgradeRequired
	case r.keys > 1:
		return ErrDuplicateKey
	case r.keys == 0:
		return ErrMissingKey
	case !hsValidKey(r.Key):
		return ErrBadKey
	}
	return nil
}

// hsValidTarget accepts origin-form ("/path?query") and absolute-form
// ("scheme://authority/path") request targets.
func hsValidTarget(u []byte) bool {
	if len(u) == 0 {
		return false
	}
	if u[0] == '/' {
		return true
	}
	i := bytes.Index(u, []byte("://"))
	if i <= 0 {
		return false
	}
	for j, c := range u[:i] {
		isAlpha := (c|0x20) >= 'a' && (c|0x20) <= 'z'
		if !isAlpha && (j == 0 || (c < '0' || c > '9') && c != '+' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// hsValidKey reports whether k is 24 bytes of padded standard base64
// encoding 16 bytes. Non-zero trailing bits are tolerated, as by
// encoding/base64 in its default (non-strict) mode.
func hsValidKey(k []byte) bool {
	if len(k) != 24 || k[22] != '=' || k[23] != '=' {
		return false
	}
	for _, c := range k[:22] {
		if byteClass[c]&classBase64 == 0 {
			return false
		}
	}
	return true
}

// Header returns the first value of the header called name (compared
// case-insensitively), trimmed, or nil if there is none.
func (r *Request) Header(name string) []byte {
	for i := range r.n {
		if equalFold(r.hdr[i].name, name) {
			return r.hdr[i].value
		}
	}
	return nil
}

// HeaderValues yields every value of the header called name (compared
// case-insensitively), in request order.
func (r *Request) HeaderValues(name string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i := range r.n {
			if equalFold(r.hdr[i].name, name) && !yield(r.hdr[i].value) {
				return
			}
		}
	}
}

// Headers yields every header line as name (as sent) and trimmed value, in
// request order.
func (r *Request) Headers() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for i := range r.n {
			if !yield(r.hdr[i].name, r.hdr[i].value) {
				return
			}
		}
	}
}

// Protocols yields the offered subprotocols: the comma-separated items of
// every Sec-WebSocket-Protocol header, in order, trimmed, empty items skipped.
func (r *Request) Protocols() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) { r.hsEachItem(hsHdrProtocol, false, yield) }
}

// Extensions yields each offered extension item, such as
// "permessage-deflate; client_max_window_bits", across all
// Sec-WebSocket-Extensions headers, in order. Items are split at commas
// outside quoted strings, trimmed, and empty items skipped.
func (r *Request) Extensions() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) { r.hsEachItem(hsHdrExtensions, true, yield) }
}

func (r *Request) hsEachItem(name string, quoted bool, yield func([]byte) bool) {
	for i := range r.n {
		if equalFold(r.hdr[i].name, name) && !hsSplitList(r.hdr[i].value, quoted, yield) {
			return
		}
	}
}

// hsSplitList yields the trimmed non-empty comma-separated items of v. With
// quoted, commas inside double-quoted strings (with backslash escapes) do not
// split. It returns false if yield asked to stop.
func hsSplitList(v []byte, quoted bool, yield func([]byte) bool) bool {
	start, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inQuote && c == '\\':
			i++
		case quoted && c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			if item := hsTrim(v[start:i]); len(item) > 0 && !yield(item) {
				return false
			}
			start = i + 1
		}
	}
	if item := hsTrim(v[start:]); len(item) > 0 {
		return yield(item)
	}
	return true
}

// hsListHas reports whether the comma-separated token list v contains tok
// (ASCII case-insensitive).
func hsListHas(v []byte, tok string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		item := v
		if i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if equalFold(hsTrim(item), tok) {
			return true
		}
	}
	return false
}

// HTTPRequest builds a net/http request from the parsed head, for handing a
// plain HTTP request to an http.Handler. It allocates. Body is http.NoBody:
// the caller supplies a body reader when ContentLength > 0 or Chunked. The
// caller sets RemoteAddr, TLS and the context.
func (r *Request) HTTPRequest() (*http.Request, error) {
	requestURI := string(r.URI)
	u, err := url.ParseRequestURI(requestURI)
	if err != nil {
		return nil, ErrBadRequestURI
	}
	h := make(http.Header, r.n)
	for i := range r.n {
		name := http.CanonicalHeaderKey(string(r.hdr[i].name))
		if name == hsHdrHost {
			continue
		}
		h[name] = append(h[name], string(r.hdr[i].value))
	}
	host := u.Host
	if host == "" {
		host = string(r.Host)
	}
	req := &http.Request{
		Method:        string(r.Method),
		URL:           u,
		Proto:         string(r.Proto),
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Header:        h,
		Body:          http.NoBody,
		ContentLength: max(r.ContentLength, 0),
		Host:          host,
		RequestURI:    requestURI,
		Close:         r.ConnClose || (r.ProtoMajor == 1 && r.ProtoMinor == 0 && !hsHeaderHas(r, hsHdrConnection, "keep-alive")),
	}
	if r.Chunked {
		req.ContentLength = -1
		for v := range r.HeaderValues(hsHdrTE) {
			for _, te := range strings.Split(string(v), ",") {
				if te = strings.TrimSpace(te); te != "" {
					req.TransferEncoding = append(req.TransferEncoding, strings.ToLower(te))
				}
			}
		}
	}
	return req, nil
}

// hsHeaderHas reports whether any header called name has tok in its list.
func hsHeaderHas(r *Request, name, tok string) bool {
	for v := range r.HeaderValues(name) {
		if hsListHas(v, tok) {
			return true
		}
	}
	return false
}

// hsTrim removes leading and trailing spaces and tabs.
func hsTrim(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}
