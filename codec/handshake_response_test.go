package codec

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAppendAcceptKey(t *testing.T) {
	// RFC 6455 section 1.3 example.
	got := AppendAcceptKey([]byte("prefix:"), []byte("dGhlIHNhbXBsZSBub25jZQ=="))
	if string(got) != "prefix:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("got %q", got)
	}
	// Cross-check against a direct computation, including keys longer than
	// the stack buffer.
	for _, key := range []string{"", "x3JJHMbDL1EzLkh9GBhXDw==", strings.Repeat("k", 92), strings.Repeat("k", 93), strings.Repeat("z", 500)} {
		sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		want := base64.StdEncoding.EncodeToString(sum[:])
		if got := string(AppendAcceptKey(nil, []byte(key))); got != want {
			t.Errorf("key of %d bytes: got %q, want %q", len(key), got, want)
		}
	}
}

func TestAppendUpgradeResponse(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	tests := []struct {
		name                    string
		subprotocol, ext, extra string
		want                    string
	}{
		{"minimal", "", "", "", head + "\r\n"},
		{"protocol", "chat", "", "", head + "Sec-WebSocket-Protocol: chat\r\n\r\n"},
		{"extensions", "", "permessage-deflate; server_no_context_takeover", "",
			head + "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n"},
		{"all", "v2.bookings.example", "permessage-deflate", "X-Server: wsloop\r\nSet-Cookie: id=7; HttpOnly\r\n",
			head + "Sec-WebSocket-Protocol: v2.bookings.example\r\nSec-WebSocket-Extensions: permessage-deflate\r\nX-Server: wsloop\r\nSet-Cookie: id=7; HttpOnly\r\n\r\n"},
		{"extra without final CRLF", "", "", "X-A: 1", head + "X-A: 1\r\n\r\n"},
		{"extra with LF endings", "", "", "X-A: 1\nX-B: 2\n", head + "X-A: 1\r\nX-B: 2\r\n\r\n"},
		{"injection in protocol", "chat\r\n\r\n<html>", "", "", head + "Sec-WebSocket-Protocol: chat<html>\r\n\r\n"},
		{"injection in extensions", "", "permessage-deflate\r\nSet-Cookie: a=b", "",
			head + "Sec-WebSocket-Extensions: permessage-deflateSet-Cookie: a=b\r\n\r\n"},
		{"extra with empty line", "", "", "X-A: 1\r\n\r\nHTTP/1.1 200 OK\r\n", head + "X-A: 1\r\n\r\n"},
		{"extra with obs-fold", "", "", "X-A: 1\r\n folded: x\r\n\tX-B: 2\r\n", head + "X-A: 1\r\n\r\n"},
		{"extra with bad names", "", "", "Bad Name: x\r\n: empty\r\nnocolon\r\nX-C: ok\r\n", head + "X-C: ok\r\n\r\n"},
		{"extra with control chars", "", "", "X-A: a\x00b\x1bc\td\r\n", head + "X-A: abc\td\r\n\r\n"},
		{"extra with bare CRs", "", "", "X-A: 1\rX-B: 2\r\r\r\n", head + "X-A: 1\r\nX-B: 2\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendUpgradeResponse([]byte("keep:"), []byte(key), []byte(tt.subprotocol), []byte(tt.ext), []byte(tt.extra))
			if string(got) != "keep:"+tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, "keep:"+tt.want)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got[len("keep:"):])), nil)
			if err != nil {
				t.Fatalf("net/http cannot read the response: %v", err)
			}
			if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
				t.Fatalf("status %d accept %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Accept"))
			}
		})
	}
}

func TestAppendErrorResponse(t *testing.T) {
	tests := []struct {
		name   string
		status int
		reason string
		extra  string
		want   string
	}{
		{"400", 400, "invalid Sec-WebSocket-Key", "",
			"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 26\r\nConnection: close\r\n\r\ninvalid Sec-WebSocket-Key\n"},
		{"426", 426, "unsupported Sec-WebSocket-Version", "",
			"HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 34\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\nunsupported Sec-WebSocket-Version\n"},
		{"405", 405, "method not allowed", "",
			"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\nConnection: close\r\nAllow: GET\r\n\r\nmethod not allowed\n"},
		{"431", 431, "", "",
			"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\nConnection: close\r\n\r\nRequest Header Fields Too Large\n"},
		{"401 with extra", 401, "login first", "WWW-Authenticate: Bearer realm=\"ws\"\r\n",
			"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\nWWW-Authenticate: Bearer realm=\"ws\"\r\n\r\nlogin first\n"},
		{"505", 505, "", "",
			"HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 27\r\nConnection: close\r\n\r\nHTTP Version Not Supported\n"},
		{"out of range", 42, "", "",
			"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\nConnection: close\r\n\r\nInternal Server Error\n"},
		{"unknown status", 499, "", "",
			"HTTP/1.1 499 Status 499\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\nConnection: close\r\n\r\nStatus 499\n"},
		{"204 no body", 204, "ignored", "",
			"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"},
		{"injection in extra", 403, "no", "X-A: 1\r\n\r\nHTTP/1.1 200 OK\r\nX-B: 2\r\n",
			"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\nX-A: 1\r\nX-B: 2\r\n\r\nno\n"},
		{"reason with CRLF stays in body", 400, "a\r\n\r\nb", "",
			"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nConnection: close\r\n\r\na\r\n\r\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendErrorResponse(nil, tt.status, tt.reason, []byte(tt.extra))
			if string(got) != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
			if err != nil {
				t.Fatalf("net/http cannot read the response: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading body: %v", err)
			}
			if i := strings.Index(tt.want, "\r\n\r\n"); string(body) != tt.want[i+4:] {
				t.Fatalf("body %q", body)
			}
			if !resp.Close {
				t.Fatalf("response does not close the connection")
			}
		})
	}
}

// TestErrorResponseForSentinels renders every status Parse and Validate can
// produce and checks the status-specific headers with net/http.
func TestErrorResponseForSentinels(t *testing.T) {
	for _, e := range []*HandshakeError{ErrBadKey, ErrMethodNotAllowed, ErrUpgradeRequired, ErrTooManyHeaders, ErrVersionNotSupported} {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(AppendErrorResponse(nil, e.Status, e.Reason, nil))), nil)
		if err != nil {
			t.Fatalf("%d: %v", e.Status, err)
		}
		if resp.StatusCode != e.Status {
			t.Errorf("status %d, want %d", resp.StatusCode, e.Status)
		}
		if got, want := resp.Header.Get("Sec-WebSocket-Version"), map[bool]string{true: "13"}[e.Status == 426]; got != want {
			t.Errorf("%d: Sec-WebSocket-Version %q, want %q", e.Status, got, want)
		}
		if got, want := resp.Header.Get("Allow"), map[bool]string{true: "GET"}[e.Status == 405]; got != want {
			t.Errorf("%d: Allow %q, want %q", e.Status, got, want)
		}
	}
}

func TestAppendHeaderLine(t *testing.T) {
	tests := []struct {
		name, hname, value, want string
	}{
		{"plain", "X-Test", "v 1", "X-Test: v 1\r\n"},
		{"tab kept", "X-Test", "a\tb", "X-Test: a\tb\r\n"},
		{"UTF-8 kept", "X-Test", "caf\xc3\xa9", "X-Test: caf\xc3\xa9\r\n"},
		{"empty value", "X-Test", "", "X-Test: \r\n"},
		{"CRLF in value", "X-Test", "v\r\nSet-Cookie: admin=1", "X-Test: vSet-Cookie: admin=1\r\n"},
		{"CRLF CRLF in value", "X-Test", "v\r\n\r\n<script>", "X-Test: v<script>\r\n"},
		{"bare LF and NUL in value", "X-Test", "a\nb\x00c\x7f", "X-Test: abc\r\n"},
		{"CRLF in name", "X-Test\r\nSet-Cookie", "v", "X-TestSet-Cookie: v\r\n"},
		{"colon and space in name", "Bad Name: x", "v", "BadNamex: v\r\n"},
		{"empty name", "", "v", ""},
		{"name of separators only", "\r\n: ", "v", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendHeaderLine([]byte("pre"), tt.hname, tt.value)
			if string(got) != "pre"+tt.want {
				t.Fatalf("got %q, want %q", got, "pre"+tt.want)
			}
		})
	}
}

// TestResponseBuildersNoAllocs checks that building responses into a buffer
// with room does not allocate.
func TestResponseBuildersNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	proto, ext := []byte("chat"), []byte("permessage-deflate; server_no_context_takeover")
	extra := AppendHeaderLine(nil, "X-Server", "wsloop")
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendUpgradeResponse(buf[:0], key, proto, ext, extra)
		buf = AppendErrorResponse(buf[:0], 426, ErrUpgradeRequired.Reason, extra)
		buf = AppendHeaderLine(buf[:0], "X-A", "b")
		buf = AppendAcceptKey(buf[:0], key)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocs per run, want 0", allocs)
	}
}

// BenchmarkUpgradeResponse builds a 101 response with a subprotocol and
// permessage-deflate into a reused buffer.
func BenchmarkUpgradeResponse(b *testing.B) {
	buf := make([]byte, 0, 512)
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	proto, ext := []byte("chat"), []byte("permessage-deflate; server_no_context_takeover")
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendUpgradeResponse(buf[:0], key, proto, ext, nil)
	}
}

// BenchmarkErrorResponse builds a 426 response into a reused buffer.
func BenchmarkErrorResponse(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendErrorResponse(buf[:0], ErrUpgradeRequired.Status, ErrUpgradeRequired.Reason, nil)
	}
}
