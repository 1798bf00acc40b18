package conformance

import (
	"fmt"
	"net/url"
	"strings"
)

// request is an opening-handshake request kept as ordered lines so that
// handshake cases can remove, duplicate or corrupt any part of it.
type request struct {
	method, uri, proto string
	headers            [][2]string
}

// endpoint is a parsed target URL.
type endpoint struct {
	tls  bool
	addr string // host:port to dial
	host string // Host header value
	uri  string // request-target
	sni  string
}

func parseEndpoint(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("bad URL %q: %w", raw, err)
	}
	var e endpoint
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		port = "80"
	case "wss", "https":
		e.tls, port = true, "443"
	default:
		return endpoint{}, fmt.Errorf("bad URL %q: scheme must be ws or wss", raw)
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("bad URL %q: no host", raw)
	}
	e.host = u.Host
	e.sni = u.Hostname()
	e.addr = u.Host
	if u.Port() == "" {
		h := u.Hostname()
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		e.addr = h + ":" + port
	}
	e.uri = u.RequestURI()
	return e, nil
}

// newRequest returns a valid upgrade request for e with the given key.
func newRequest(e endpoint, key string) *request {
	return &request{
		method: "GET", uri: e.uri, proto: "HTTP/1.1",
		headers: [][2]string{
			{"Host", e.host},
			{"Upgrade", "websocket"},
			{"Connection", "Upgrade"},
			{"Sec-WebSocket-Key", key},
			{"Sec-WebSocket-Version", "13"},
			{"User-Agent", "wsloop-conformance"},
		},
	}
}

// set replaces the first header named k (case-insensitively) or appends it.
func (r *request) set(k, v string) {
	for i := range r.headers {
		if strings.EqualFold(r.headers[i][0], k) {
			r.headers[i] = [2]string{k, v}
			return
		}
	}
	r.headers = append(r.headers, [2]string{k, v})
}

// del removes every header named k.
func (r *request) del(k string) {
	out := r.headers[:0]
	for _, h := range r.headers {
		if !strings.EqualFold(h[0], k) {
			out = append(out, h)
		}
	}
	r.headers = out
}

// get returns the first value of header k.
func (r *request) get(k string) string {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], k) {
			return h[1]
		}
	}
	return ""
}

// bytes renders the request with CRLF line ends.
func (r *request) bytes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", r.method, r.uri, r.proto)
	for _, h := range r.headers {
		if h[1] == "\x00nocolon" { // a deliberately malformed line
			b.WriteString(h[0])
			b.WriteString("\r\n")
			continue
		}
		b.WriteString(h[0])
		b.WriteString(": ")
		b.WriteString(h[1])
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}
