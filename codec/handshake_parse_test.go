package codec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// hsHead joins a request line and header lines with CRLF and appends the
// final empty line.
func hsHead(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n\r\n")
}

// Realistic upgrade requests as sent by common clients (header sets and
// order modelled on what each client sends).
var (
	hsChromeRequest = hsHead(
		"GET /chat?room=42 HTTP/1.1",
		"Host: example.com:8080",
		"Connection: Upgrade",
		"Pragma: no-cache",
		"Cache-Control: no-cache",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Upgrade: websocket",
		"Origin: https://example.com",
		"Sec-WebSocket-Version: 13",
		"Accept-Encoding: gzip, deflate, br, zstd",
		"Accept-Language: en-US,en;q=0.9,de;q=0.8",
		"Cookie: session=8c1f0e5a2b7d4c3e9f6a1b2c3d4e5f60; theme=dark",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
		"Sec-WebSocket-Protocol: chat, superchat",
	)
	hsFirefoxRequest = hsHead(
		"GET /socket HTTP/1.1",
		"Host: localhost:8080",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Accept: */*",
		"Accept-Language: en-US,en;q=0.5",
		"Accept-Encoding: gzip, deflate, br, zstd",
		"Sec-WebSocket-Version: 13",
		"Origin: http://localhost:8080",
		"Sec-WebSocket-Extensions: permessage-deflate",
		"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==",
		"Connection: keep-alive, Upgrade",
		"Sec-Fetch-Dest: empty",
		"Sec-Fetch-Mode: websocket",
		"Sec-Fetch-Site: same-origin",
		"Pragma: no-cache",
		"Cache-Control: no-cache",
		"Upgrade: websocket",
	)
	hsPythonRequest = hsHead(
		"GET /ws HTTP/1.1",
		"Host: 127.0.0.1:8765",
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: 6kTnaXvBqQ7kr1xX0nfxkw==",
		"Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
		"User-Agent: Python/3.12 websockets/13.1",
	)
	hsNodeRequest = hsHead(
		"GET / HTTP/1.1",
		"Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Key: RjVQ0rCzIeFwVmXDp2aX9g==",
		"Connection: Upgrade",
		"Upgrade: websocket",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
		"Host: 127.0.0.1:9001",
	)
)

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"GET / HTTP/1.1\r\n", -1},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r", -1},
		{"GET / HTTP/1.1\n\n", -1},
		{"\r\n\r\n", 4},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody\r\n\r\n", 27},
		{"GET / HTTP/1.1\r\n\r\n\r\n", 18},
	}
	for _, tt := range tests {
		if got := HeaderEnd([]byte(tt.in)); got != tt.want {
			t.Errorf("HeaderEnd(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseBrowserRequests(t *testing.T) {
	tests := []struct {
		name                   string
		req                    []byte
		uri, host, origin, key string
		protocols, extensions  []string
		headers                int
	}{
		{"chromium", hsChromeRequest, "/chat?room=42", "example.com:8080", "https://example.com", "dGhlIHNhbXBsZSBub25jZQ==",
			[]string{"chat", "superchat"}, []string{"permessage-deflate; client_max_window_bits"}, 14},
		{"firefox", hsFirefoxRequest, "/socket", "localhost:8080", "http://localhost:8080", "x3JJHMbDL1EzLkh9GBhXDw==",
			nil, []string{"permessage-deflate"}, 16},
		{"python-websockets", hsPythonRequest, "/ws", "127.0.0.1:8765", "", "6kTnaXvBqQ7kr1xX0nfxkw==",
			nil, []string{"permessage-deflate; client_max_window_bits"}, 7},
		{"node-ws", hsNodeRequest, "/", "127.0.0.1:9001", "", "RjVQ0rCzIeFwVmXDp2aX9g==",
			nil, []string{"permessage-deflate; client_max_window_bits"}, 6},
	}
	var r Request
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Parse(tt.req); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !r.IsWebSocket() {
				t.Fatalf("IsWebSocket = false (Upgrade %v, ConnUpgrade %v)", r.Upgrade, r.ConnUpgrade)
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			checks := []struct{ field, got, want string }{
				{"Method", string(r.Method), "GET"},
				{"URI", string(r.URI), tt.uri},
				{"Proto", string(r.Proto), "HTTP/1.1"},
				{"Host", string(r.Host), tt.host},
				{"Origin", string(r.Origin), tt.origin},
				{"Key", string(r.Key), tt.key},
				{"Version", string(r.Version), "13"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if r.ProtoMajor != 1 || r.ProtoMinor != 1 {
				t.Errorf("ProtoMajor.Minor = %d.%d", r.ProtoMajor, r.ProtoMinor)
			}
			if got := hsCollect(r.Protocols()); !slices.Equal(got, tt.protocols) {
				t.Errorf("Protocols = %q, want %q", got, tt.protocols)
			}
			if got := hsCollect(r.Extensions()); !slices.Equal(got, tt.extensions) {
				t.Errorf("Extensions = %q, want %q", got, tt.extensions)
			}
			n := 0
			for range r.Headers() {
				n++
			}
			if n != tt.headers {
				t.Errorf("Headers yielded %d, want %d", n, tt.headers)
			}
			if r.ContentLength != -1 || r.Chunked {
				t.Errorf("ContentLength %d Chunked %v, want -1 false", r.ContentLength, r.Chunked)
			}
		})
	}
}

func hsCollect(seq func(func([]byte) bool)) []string {
	var out []string
	for v := range seq {
		out = append(out, string(v))
	}
	return out
}

func TestParseSyntaxErrors(t *testing.T) {
	ok := "GET / HTTP/1.1\r\nHost: a\r\n"
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"valid", ok + "\r\n", nil},
		{"no final empty line", ok, ErrBadRequest},
		{"no newline at all", "GET / HTTP/1.1", ErrBadRequest},
		{"bytes after head", ok + "\r\nGET", ErrBadRequest},
		{"two heads", ok + "\r\n" + ok + "\r\n", ErrBadRequest},
		{"request line bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", ErrBadLineEnding},
		{"header bare LF", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", ErrBadLineEnding},
		{"final bare LF", "GET / HTTP/1.1\r\nHost: a\r\n\n", ErrBadLineEnding},
		{"leading empty line", "\r\nGET / HTTP/1.1\r\n\r\n", ErrBadRequestLine},
		{"missing target", "GET HTTP/1.1\r\n\r\n", ErrBadRequestLine},
		{"missing proto", "GET /\r\n\r\n", ErrBadRequestLine},
		{"double space", "GET  / HTTP/1.1\r\n\r\n", ErrBadRequestLine},
		{"leading space", " GET / HTTP/1.1\r\n\r\n", ErrBadRequestLine},
		{"trailing space", "GET / HTTP/1.1 \r\n\r\n", ErrBadRequestLine},
		{"method not token", "G(T / HTTP/1.1\r\n\r\n", ErrBadRequestLine},
		{"lower-case proto", "GET / http/1.1\r\n\r\n", ErrBadRequestLine},
		{"proto without minor", "GET / HTTP/1\r\n\r\n", ErrBadRequestLine},
		{"proto two digits", "GET / HTTP/1.10\r\n\r\n", ErrBadRequestLine},
		{"proto letters", "GET / HTTP/x.y\r\n\r\n", ErrBadRequestLine},
		{"control char in target", "GET /a\x01b HTTP/1.1\r\n\r\n", ErrBadRequestURI},
		{"tab in target", "GET /a\tb HTTP/1.1\r\n\r\n", ErrBadRequestURI},
		{"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", ErrBadRequestURI},
		{"obs-fold space", ok + "X-A: b\r\n c\r\n\r\n", ErrObsFold},
		{"obs-fold tab", ok + "X-A: b\r\n\tc\r\n\r\n", ErrObsFold},
		{"missing colon", ok + "X-A b\r\n\r\n", ErrMissingColon},
		{"missing colon no space", ok + "XA\r\n\r\n", ErrMissingColon},
		{"space before colon", ok + "X-A : b\r\n\r\n", ErrBadHeaderName},
		{"tab before colon", ok + "X-A\t: b\r\n\r\n", ErrBadHeaderName},
		{"empty name", ok + ": b\r\n\r\n", ErrBadHeaderName},
		{"separator in name", ok + "X(A): b\r\n\r\n", ErrBadHeaderName},
		{"non-ASCII name", ok + "X\xc3\xa9: b\r\n\r\n", ErrBadHeaderName},
		{"NUL in value", ok + "X-A: a\x00b\r\n\r\n", ErrBadHeaderValue},
		{"CR in value", ok + "X-A: a\rb\r\n\r\n", ErrBadHeaderValue},
		{"DEL in value", ok + "X-A: a\x7fb\r\n\r\n", ErrBadHeaderValue},
		{"ESC in value", ok + "X-A: \x1b[31m\r\n\r\n", ErrBadHeaderValue},
		{"tab and UTF-8 in value", ok + "X-A: a\tb \xc3\xa9\r\n\r\n", nil},
		{"empty value", ok + "X-A:\r\n\r\n", nil},
		{"content-length not digits", ok + "Content-Length: abc\r\n\r\n", ErrBadContentLength},
		{"content-length negative", ok + "Content-Length: -1\r\n\r\n", ErrBadContentLength},
		{"content-length plus", ok + "Content-Length: +5\r\n\r\n", ErrBadContentLength},
		{"content-length empty", ok + "Content-Length:\r\n\r\n", ErrBadContentLength},
		{"content-length huge", ok + "Content-Length: 1234567890123456789\r\n\r\n", ErrBadContentLength},
		{"content-length list", ok + "Content-Length: 5, 5\r\n\r\n", ErrBadContentLength},
		{"content-length differing", ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", ErrBadContentLength},
		{"content-length repeated same", ok + "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", nil},
		{"content-length with transfer-encoding", ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", ErrBadContentLength},
	}
	var r Request
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Parse([]byte(tt.in))
			if err != tt.want {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if err != nil {
				var he *HandshakeError
				if !errors.As(err, &he) || he.Status != 400 {
					t.Fatalf("error %v is not a 400 *HandshakeError", err)
				}
			}
		})
	}
}

func TestParseHeaderLimit(t *testing.T) {
	build := func(n int) []byte {
		lines := []string{"GET / HTTP/1.1"}
		for i := range n {
			lines = append(lines, "X-H"+strings.Repeat("x", i)+": v")
		}
		return hsHead(lines...)
	}
	var r Request
	if err := r.Parse(build(MaxRequestHeaders)); err != nil {
		t.Fatalf("%d headers: %v", MaxRequestHeaders, err)
	}
	err := r.Parse(build(MaxRequestHeaders + 1))
	if err != ErrTooManyHeaders || ErrTooManyHeaders.Status != 431 {
		t.Fatalf("%d headers: %v, want ErrTooManyHeaders (431)", MaxRequestHeaders+1, err)
	}
	r.HeaderLimit = 3
	if err := r.Parse(build(3)); err != nil {
		t.Fatalf("3 headers with limit 3: %v", err)
	}
	if err := r.Parse(build(4)); err != ErrTooManyHeaders {
		t.Fatalf("4 headers with limit 3: %v", err)
	}
	if r.HeaderLimit != 3 {
		t.Fatalf("Parse reset HeaderLimit to %d", r.HeaderLimit)
	}
	r.HeaderLimit = 1000 // above capacity: clamped, never indexes past the array
	if err := r.Parse(build(MaxRequestHeaders + 1)); err != ErrTooManyHeaders {
		t.Fatalf("limit above capacity: %v", err)
	}
}

// TestParseResets checks that a reused Request forgets the previous request.
func TestParseResets(t *testing.T) {
	var r Request
	if err := r.Parse(hsChromeRequest); err != nil {
		t.Fatal(err)
	}
	plain := hsHead("POST /submit HTTP/1.0", "Content-Length: 12")
	if err := r.Parse(plain); err != nil {
		t.Fatal(err)
	}
	if r.Host != nil || r.Origin != nil || r.Key != nil || r.Version != nil || r.Upgrade || r.ConnUpgrade {
		t.Fatalf("state left over from previous request: %+v", r)
	}
	if r.ContentLength != 12 || r.ProtoMinor != 0 || string(r.Method) != "POST" {
		t.Fatalf("ContentLength %d ProtoMinor %d Method %q", r.ContentLength, r.ProtoMinor, r.Method)
	}
	if n := len(hsCollect(r.Protocols())); n != 0 {
		t.Fatalf("Protocols yielded %d items from a previous request", n)
	}
	if r.Header("sec-websocket-key") != nil {
		t.Fatal("Header found a header of the previous request")
	}
}

func TestIsWebSocketTokens(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    bool
	}{
		{"plain", []string{"Upgrade: websocket", "Connection: Upgrade"}, true},
		{"mixed case", []string{"UPGRADE: WebSocket", "connection: UPGRADE"}, true},
		{"connection list", []string{"Upgrade: websocket", "Connection: keep-alive, Upgrade"}, true},
		{"connection list no spaces", []string{"Upgrade: websocket", "Connection: keep-alive,upgrade,foo"}, true},
		{"several connection headers", []string{"Connection: keep-alive", "Upgrade: websocket", "Connection: TE, Upgrade"}, true},
		{"upgrade list", []string{"Upgrade: h2c, WebSocket", "Connection: Upgrade"}, true},
		{"several upgrade headers", []string{"Upgrade: h2c", "Upgrade: websocket", "Connection: Upgrade"}, true},
		{"padded values", []string{"Upgrade: \t websocket \t", "Connection:   upgrade  "}, true},
		{"no connection", []string{"Upgrade: websocket"}, false},
		{"no upgrade", []string{"Connection: Upgrade"}, false},
		{"connection keep-alive only", []string{"Upgrade: websocket", "Connection: keep-alive"}, false},
		{"connection prefix", []string{"Upgrade: websocket", "Connection: upgraded"}, false},
		{"connection substring", []string{"Upgrade: websocket", "Connection: Upgrade-Insecure-Requests"}, false},
		{"upgrade prefix", []string{"Upgrade: websockets", "Connection: Upgrade"}, false},
		{"upgrade other", []string{"Upgrade: h2c", "Connection: Upgrade"}, false},
		{"tokens in other header", []string{"X-Upgrade: websocket", "X-Connection: upgrade"}, false},
	}
	var r Request
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append([]string{"GET / HTTP/1.1", "Host: h"}, tt.headers...)
			if err := r.Parse(hsHead(lines...)); err != nil {
				t.Fatal(err)
			}
			if got := r.IsWebSocket(); got != tt.want {
				t.Fatalf("IsWebSocket = %v, want %v (Upgrade %v ConnUpgrade %v)", got, tt.want, r.Upgrade, r.ConnUpgrade)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	const (
		line    = "GET /chat HTTP/1.1"
		host    = "Host: server.example.com"
		upgrade = "Upgrade: websocket"
		conn    = "Connection: Upgrade"
		key     = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
		version = "Sec-WebSocket-Version: 13"
	)
	tests := []struct {
		name   string
		lines  []string
		want   error
		status int
	}{
		{"valid", []string{line, host, upgrade, conn, key, version}, nil, 0},
		{"valid mixed-case names", []string{line, "HOST: a", "upgrade: WEBSOCKET", "CONNECTION: upgrade", "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "SEC-WEBSOCKET-VERSION: 13"}, nil, 0},
		{"valid absolute-form", []string{"GET ws://server.example.com/chat HTTP/1.1", host, upgrade, conn, key, version}, nil, 0},
		{"valid HTTP/1.2", []string{"GET /chat HTTP/1.2", host, upgrade, conn, key, version}, nil, 0},
		{"valid zero content-length", []string{line, host, upgrade, conn, key, version, "Content-Length: 0"}, nil, 0},
		{"valid key other alphabet", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: +/+/abcdefghijklmnopqr==", version}, nil, 0},
		{"not an upgrade", []string{line, host, key, version}, ErrNotUpgrade, 400},
		{"no connection upgrade", []string{line, host, upgrade, "Connection: keep-alive", key, version}, ErrNotUpgrade, 400},
		{"POST", []string{"POST /chat HTTP/1.1", host, upgrade, conn, key, version}, ErrMethodNotAllowed, 405},
		{"lower-case get", []string{"get /chat HTTP/1.1", host, upgrade, conn, key, version}, ErrMethodNotAllowed, 405},
		{"HTTP/1.0", []string{"GET /chat HTTP/1.0", host, upgrade, conn, key, version}, ErrHTTP10, 400},
		{"HTTP/2.0", []string{"GET /chat HTTP/2.0", host, upgrade, conn, key, version}, ErrVersionNotSupported, 505},
		{"HTTP/0.9", []string{"GET /chat HTTP/0.9", host, upgrade, conn, key, version}, ErrVersionNotSupported, 505},
		{"asterisk target", []string{"GET * HTTP/1.1", host, upgrade, conn, key, version}, ErrBadRequestURI, 400},
		{"authority target", []string{"GET server.example.com:80 HTTP/1.1", host, upgrade, conn, key, version}, ErrBadRequestURI, 400},
		{"body length", []string{line, host, upgrade, conn, key, version, "Content-Length: 5"}, ErrUpgradeBody, 400},
		{"body chunked", []string{line, host, upgrade, conn, key, version, "Transfer-Encoding: chunked"}, ErrUpgradeBody, 400},
		{"missing host", []string{line, upgrade, conn, key, version}, ErrMissingHost, 400},
		{"empty host", []string{line, "Host:  ", upgrade, conn, key, version}, ErrMissingHost, 400},
		{"duplicate host", []string{line, host, "host: evil.example", upgrade, conn, key, version}, ErrDuplicateHost, 400},
		{"missing version", []string{line, host, upgrade, conn, key}, ErrUpgradeRequired, 426},
		{"old version", []string{line, host, upgrade, conn, key, "Sec-WebSocket-Version: 8"}, ErrUpgradeRequired, 426},
		{"version list", []string{line, host, upgrade, conn, key, "Sec-WebSocket-Version: 13, 8"}, ErrUpgradeRequired, 426},
		{"duplicate version", []string{line, host, upgrade, conn, key, version, version}, ErrDuplicateVersion, 400},
		{"missing key", []string{line, host, upgrade, conn, version}, ErrMissingKey, 400},
		{"duplicate key", []string{line, host, upgrade, conn, key, "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==", version}, ErrDuplicateKey, 400},
		{"empty key", []string{line, host, upgrade, conn, "Sec-WebSocket-Key:", version}, ErrBadKey, 400},
		{"key of 15 bytes", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA", version}, ErrBadKey, 400},
		{"key of 17 bytes", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=", version}, ErrBadKey, 400},
		{"key unpadded", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ", version}, ErrBadKey, 400},
		{"key URL alphabet", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ-==", version}, ErrBadKey, 400},
		{"key not base64", []string{line, host, upgrade, conn, "Sec-WebSocket-Key: the sample nonce!!!!!==", version}, ErrBadKey, 400},
	}
	var r Request
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Parse(hsHead(tt.lines...)); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err := r.Validate()
			if err != tt.want {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
			if err != nil && err.(*HandshakeError).Status != tt.status {
				t.Fatalf("status %d, want %d", err.(*HandshakeError).Status, tt.status)
			}
		})
	}
}

func TestHeaderAccessors(t *testing.T) {
	var r Request
	err := r.Parse(hsHead("GET /x HTTP/1.1",
		"Host: a.example",
		"x-multi: one",
		"X-Other:   padded value \t",
		"X-MULTI: two",
		"X-Multi:",
		"x-multi: three",
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Header("X-Multi")); got != "one" {
		t.Errorf("Header(X-Multi) = %q", got)
	}
	if got := string(r.Header("x-other")); got != "padded value" {
		t.Errorf("Header(x-other) = %q, want trimmed", got)
	}
	if got := r.Header("X-Missing"); got != nil {
		t.Errorf("Header(X-Missing) = %q, want nil", got)
	}
	if got := hsCollect(r.HeaderValues("X-MULTI")); !slices.Equal(got, []string{"one", "two", "", "three"}) {
		t.Errorf("HeaderValues = %q", got)
	}
	var first []string
	for v := range r.HeaderValues("x-multi") {
		first = append(first, string(v))
		break
	}
	if !slices.Equal(first, []string{"one"}) {
		t.Errorf("HeaderValues with break = %q", first)
	}
	var names []string
	for name, value := range r.Headers() {
		names = append(names, string(name)+"="+string(value))
	}
	want := []string{"Host=a.example", "x-multi=one", "X-Other=padded value", "X-MULTI=two", "X-Multi=", "x-multi=three"}
	if !slices.Equal(names, want) {
		t.Errorf("Headers = %q, want %q", names, want)
	}
	n := 0
	for range r.Headers() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("Headers did not stop after break")
	}
}

func TestProtocolsAndExtensions(t *testing.T) {
	var r Request
	err := r.Parse(hsHead("GET / HTTP/1.1",
		"Sec-WebSocket-Protocol: chat, superchat",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a=\"1,2\"; b",
		"sec-websocket-protocol: ,  v2.bookings.example ,, ",
		"SEC-WEBSOCKET-EXTENSIONS: x-q; v=\"say \\\"hi, there\\\"\" , permessage-deflate; server_no_context_takeover,",
		"Sec-WebSocket-Extensions:",
		"Sec-WebSocket-Protocol: \"quoted,split\"",
	))
	if err != nil {
		t.Fatal(err)
	}
	wantP := []string{"chat", "superchat", "v2.bookings.example", "\"quoted", "split\""}
	if got := hsCollect(r.Protocols()); !slices.Equal(got, wantP) {
		t.Errorf("Protocols = %q, want %q", got, wantP)
	}
	wantE := []string{
		"permessage-deflate; client_max_window_bits",
		"x-foo; a=\"1,2\"; b",
		"x-q; v=\"say \\\"hi, there\\\"\"",
		"permessage-deflate; server_no_context_takeover",
	}
	if got := hsCollect(r.Extensions()); !slices.Equal(got, wantE) {
		t.Errorf("Extensions = %q, want %q", got, wantE)
	}
	for _, stop := range []int{1, 2, 3} {
		n := 0
		for range r.Extensions() {
			n++
			if n == stop {
				break
			}
		}
		if n != stop {
			t.Errorf("Extensions with break after %d yielded %d", stop, n)
		}
		n = 0
		for range r.Protocols() {
			n++
			if n == stop {
				break
			}
		}
		if n != stop {
			t.Errorf("Protocols with break after %d yielded %d", stop, n)
		}
	}
}

func TestSplitListUnterminatedQuote(t *testing.T) {
	var got []string
	hsSplitList([]byte(`a, b="x, y`), true, func(v []byte) bool {
		got = append(got, string(v))
		return true
	})
	if want := []string{"a", `b="x, y`}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	got = got[:0]
	hsSplitList([]byte(`x="a\`), true, func(v []byte) bool { got = append(got, string(v)); return true })
	if want := []string{`x="a\`}; !slices.Equal(got, want) {
		t.Fatalf("trailing backslash: got %q, want %q", got, want)
	}
}

func TestHTTPRequest(t *testing.T) {
	var r Request
	err := r.Parse(hsHead("GET /metrics?format=text&x=1 HTTP/1.1",
		"Host: 127.0.0.1:8080",
		"user-agent: curl/8.5.0",
		"Accept: */*",
		"X-Trace: a",
		"x-trace: b",
	))
	if err != nil {
		t.Fatal(err)
	}
	req, err := r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "GET" || req.URL.Path != "/metrics" || req.URL.Query().Get("format") != "text" ||
		req.RequestURI != "/metrics?format=text&x=1" || req.Host != "127.0.0.1:8080" ||
		req.Proto != "HTTP/1.1" || req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.Close ||
		req.ContentLength != 0 || req.Body == nil {
		t.Fatalf("unexpected request %+v", req)
	}
	if got := req.Header.Get("User-Agent"); got != "curl/8.5.0" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := req.Header.Values("X-Trace"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("X-Trace = %q", got)
	}
	if _, ok := req.Header["Host"]; ok {
		t.Errorf("Host kept in Header map (net/http moves it to Request.Host)")
	}
	if req.Context() == nil {
		t.Errorf("nil context")
	}

	if err := r.Parse(hsHead("POST http://other.example/upload HTTP/1.0", "Host: ignored.example", "Transfer-Encoding: gzip, Chunked")); err != nil {
		t.Fatal(err)
	}
	req, err = r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if req.Host != "other.example" || !req.Close || req.ContentLength != -1 ||
		!slices.Equal(req.TransferEncoding, []string{"gzip", "chunked"}) {
		t.Fatalf("Host %q Close %v ContentLength %d TE %q", req.Host, req.Close, req.ContentLength, req.TransferEncoding)
	}

	if err := r.Parse(hsHead("GET / HTTP/1.0", "Connection: Keep-Alive", "Content-Length: 3")); err != nil {
		t.Fatal(err)
	}
	if req, err = r.HTTPRequest(); err != nil || req.Close || req.ContentLength != 3 {
		t.Fatalf("HTTP/1.0 keep-alive: %v Close %v ContentLength %d", err, req.Close, req.ContentLength)
	}

	if err := r.Parse(hsHead("GET % HTTP/1.1", "Host: a")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.HTTPRequest(); err != ErrBadRequestURI {
		t.Fatalf("bad URI: %v, want ErrBadRequestURI", err)
	}
}

func TestHandshakeErrorStatuses(t *testing.T) {
	tests := []struct {
		err    *HandshakeError
		status int
	}{
		{ErrHeaderTooLarge, 431}, {ErrTooManyHeaders, 431}, {ErrBadRequest, 400}, {ErrBadRequestLine, 400},
		{ErrBadRequestURI, 400}, {ErrBadLineEnding, 400}, {ErrBadHeaderName, 400}, {ErrMissingColon, 400},
		{ErrObsFold, 400}, {ErrBadHeaderValue, 400}, {ErrBadContentLength, 400}, {ErrUpgradeBody, 400},
		{ErrNotUpgrade, 400}, {ErrHTTP10, 400}, {ErrMissingHost, 400}, {ErrDuplicateHost, 400},
		{ErrMissingKey, 400}, {ErrDuplicateKey, 400}, {ErrBadKey, 400}, {ErrDuplicateVersion, 400},
		{ErrMethodNotAllowed, 405}, {ErrUpgradeRequired, 426}, {ErrVersionNotSupported, 505},
	}
	for _, tt := range tests {
		if tt.err.Status != tt.status {
			t.Errorf("%q: status %d, want %d", tt.err.Reason, tt.err.Status, tt.status)
		}
		if !strings.HasSuffix(tt.err.Error(), tt.err.Reason) || tt.err.Reason == "" {
			t.Errorf("Error() = %q does not carry the reason", tt.err.Error())
		}
		wrapped := errors.Join(errors.New("ctx"), tt.err)
		if !errors.Is(wrapped, tt.err) {
			t.Errorf("errors.Is fails for %q", tt.err.Reason)
		}
	}
}

// TestParseNoAllocs checks the engine's fast path: Parse, IsWebSocket,
// Validate, header lookups and offer iteration on a reused Request.
func TestParseNoAllocs(t *testing.T) {
	var r Request
	var sink int
	allocs := testing.AllocsPerRun(100, func() {
		if r.Parse(hsChromeRequest) != nil || !r.IsWebSocket() || r.Validate() != nil {
			t.Fatal("request rejected")
		}
		sink += len(r.Header("User-Agent"))
		for p := range r.Protocols() {
			sink += len(p)
		}
		for e := range r.Extensions() {
			sink += len(e)
		}
		for v := range r.HeaderValues("Cookie") {
			sink += len(v)
		}
		for k, v := range r.Headers() {
			sink += len(k) + len(v)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocs per parse, want 0", allocs)
	}
	if sink == 0 {
		t.Fatal("nothing iterated")
	}
}

// BenchmarkParseRequest parses and validates a typical browser upgrade
// request and walks its offered protocols and extensions.
func BenchmarkParseRequest(b *testing.B) {
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(hsChromeRequest)))
	for b.Loop() {
		if err := r.Parse(hsChromeRequest); err != nil {
			b.Fatal(err)
		}
		if !r.IsWebSocket() || r.Validate() != nil {
			b.Fatal("rejected")
		}
		for range r.Protocols() {
		}
		for range r.Extensions() {
		}
	}
}

// BenchmarkHeaderEnd finds the end of a typical browser request head.
func BenchmarkHeaderEnd(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(hsChromeRequest)))
	for b.Loop() {
		if HeaderEnd(hsChromeRequest) != len(hsChromeRequest) {
			b.Fatal("wrong end")
		}
	}
}
