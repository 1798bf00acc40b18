package loadtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"strings"
)

// Request is what every upgrade request carries besides the handshake's own
// headers: an application's authentication and protocol choice.
type Request struct {
	Header       http.Header    // extra headers (e.g. Authorization)
	Origin       string         // Origin header ("": none)
	Subprotocols []string       // Sec-WebSocket-Protocol offer; the server must choose one of them
	Cookies      []*http.Cookie // sent in one Cookie header
	// TLS is the base configuration of wss:// connections (client
	// certificate, CA pool); ServerName and InsecureSkipVerify are set
	// per target from the URL and Options.Insecure. nil: the defaults.
	TLS *tls.Config
}

// handshake headers a Request may not set: the client writes them itself.
var reservedHeaders = []string{"Host", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
	"Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Origin", "Cookie"}

// check refuses headers that would break the handshake and values that
// would break the request.
func (q *Request) check() error {
	bad := func(s string) bool { return strings.ContainsAny(s, "\r\n") }
	for k, vs := range q.Header {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		for _, r := range reservedHeaders {
			if ck == r {
				return fmt.Errorf("Request.Header may not set %s (it has its own option or is the handshake's)", k)
			}
		}
		if k == "" || bad(k) || strings.ContainsAny(k, ": ") {
			return fmt.Errorf("bad header name %q", k)
		}
		for _, v := range vs {
			if bad(v) {
				return fmt.Errorf("header %s: value contains a line break", k)
			}
		}
	}
	for _, p := range q.Subprotocols {
		if p == "" || strings.ContainsAny(p, ", \t\r\n") {
			return fmt.Errorf("bad subprotocol %q", p)
		}
	}
	if bad(q.Origin) {
		return errors.New("Origin contains a line break")
	}
	for _, c := range q.Cookies {
		if c.Valid() != nil {
			return fmt.Errorf("bad cookie %q: %v", c.Name, c.Valid())
		}
	}
	return nil
}

// appendHeaders appends the request's header lines, each ending in CRLF.
func (q *Request) appendHeaders(b []byte) []byte {
	line := func(k, v string) {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	if q.Origin != "" {
		line("Origin", q.Origin)
	}
	if len(q.Subprotocols) > 0 {
		line("Sec-WebSocket-Protocol", strings.Join(q.Subprotocols, ", "))
	}
	if len(q.Cookies) > 0 {
		parts := make([]string, len(q.Cookies))
		for i, c := range q.Cookies {
			parts[i] = (&http.Cookie{Name: c.Name, Value: c.Value}).String()
		}
		line("Cookie", strings.Join(parts, "; "))
	}
	for k, vs := range q.Header {
		for _, v := range vs {
			line(k, v)
		}
	}
	return b
}

// ParseHeader parses a "Name: value" header option into h.
func ParseHeader(h http.Header, s string) error {
	k, v, ok := strings.Cut(s, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("header %q: want \"Name: value\"", s)
	}
	h.Add(k, strings.TrimSpace(v))
	return nil
}

// ReadCookieFile reads cookies from a file: either a Netscape cookies.txt
// (tab-separated: domain, subdomains, path, secure, expiry, name, value;
// what curl -c and browser exports write) or lines of name=value. Blank
// lines and lines starting with # are skipped.
func ReadCookieFile(path string) ([]*http.Cookie, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*http.Cookie
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "#HttpOnly_")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var c *http.Cookie
		if f := strings.Split(line, "\t"); len(f) == 7 {
			c = &http.Cookie{Name: f[5], Value: f[6]}
		} else if k, v, ok := strings.Cut(line, "="); ok {
			c = &http.Cookie{Name: strings.TrimSpace(k), Value: strings.TrimSpace(v)}
		} else {
			return nil, fmt.Errorf("%s:%d: want name=value or a cookies.txt line", path, n)
		}
		if err := c.Valid(); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// ClientTLS builds a TLS configuration from PEM files: a client certificate
// and its key (both or neither) and a CA bundle that replaces the system
// roots (may be empty).
func ClientTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case certFile != "" && keyFile != "":
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case certFile != "" || keyFile != "":
		return nil, errors.New("a client certificate needs both its certificate and its key file")
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
