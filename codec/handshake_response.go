package codec

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strconv"
)

// hsAcceptGUID is the GUID RFC 6455 section 1.3 appends to the client's key.
const hsAcceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AppendAcceptKey appends the Sec-WebSocket-Accept value for key,
// base64(SHA-1(key + GUID)), to dst. It does not allocate when dst has room
// for the 28 result bytes and key is at most 92 bytes (a valid key is 24).
func AppendAcceptKey(dst, key []byte) []byte {
	var buf [128]byte
	in := append(append(buf[:0], key...), hsAcceptGUID...)
	sum := sha1.Sum(in)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// AppendUpgradeResponse appends the complete "HTTP/1.1 101 Switching
// Protocols" response accepting a request with Sec-WebSocket-Key key:
// Upgrade, Connection, Sec-WebSocket-Accept, then Sec-WebSocket-Protocol if
// subprotocol is non-empty, Sec-WebSocket-Extensions if extensions is
// non-empty, then the extra header lines and the final CRLF.
//
// Control characters other than HTAB are dropped from subprotocol and
// extensions. extra is a block of "Name: value\r\n" lines (as built by
// AppendHeaderLine, which strips CR and LF from user values) or nil. It is
// copied line by line so that it can never end the head early or start a
// body: CR and LF each end a line, empty lines, lines starting with
// whitespace and lines whose name is not a token followed by a colon are
// dropped, control characters other than HTAB are removed from values, and
// every line is terminated with CRLF.
func AppendUpgradeResponse(dst, key, subprotocol, extensions, extra []byte) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\n"+
		"Upgrade: websocket\r\n"+
		"Connection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "...)
	dst = AppendAcceptKey(dst, key)
	dst = append(dst, "\r\n"...)
	if len(subprotocol) > 0 {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = hsAppendClean(dst, subprotocol)
		dst = append(dst, "\r\n"...)
	}
	if len(extensions) > 0 {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = hsAppendClean(dst, extensions)
		dst = append(dst, "\r\n"...)
	}
	dst = hsAppendExtra(dst, extra)
	return append(dst, "\r\n"...)
}

// AppendErrorResponse appends a complete HTTP/1.1 response with the given
// status (clamped to 500 if outside 100..999), its standard reason phrase,
// "Content-Type: text/plain; charset=utf-8", Content-Length, "Connection:
// close", the status-specific headers (426: "Sec-WebSocket-Version: 13" and
// "Upgrade: websocket", with "Connection: Upgrade, close" as RFC 9110
// section 7.8 requires; 405: "Allow: GET"), the extra header lines (sanitised
// as in AppendUpgradeResponse) and a body holding reason followed by a
// newline (the reason phrase when reason is empty). Statuses 1xx, 204 and 304
// get neither body nor Content-Length.
func AppendErrorResponse(dst []byte, status int, reason string, extra []byte) []byte {
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	if reason == "" {
		reason = text
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, text...)
	dst = append(dst, "\r\n"...)
	noBody := status < 200 || status == http.StatusNoContent || status == http.StatusNotModified
	if !noBody {
		dst = append(dst, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(reason)+1), 10)
		dst = append(dst, "\r\n"...)
	}
	switch status {
	case http.StatusUpgradeRequired:
		dst = append(dst, "Connection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"...)
	case http.StatusMethodNotAllowed:
		dst = append(dst, "Connection: close\r\nAllow: GET\r\n"...)
	default:
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = hsAppendExtra(dst, extra)
	dst = append(dst, "\r\n"...)
	if !noBody {
		dst = append(dst, reason...)
		dst = append(dst, '\n')
	}
	return dst
}

// AppendHeaderLine appends "Name: value\r\n" to dst. Bytes that are not
// token characters are dropped from name, and control characters other than
// HTAB (CR and LF among them) from value, so that neither can inject a line.
// If nothing is left of name, dst is returned unchanged.
func AppendHeaderLine(dst []byte, name, value string) []byte {
	start := len(dst)
	for i := range len(name) {
		if byteClass[name[i]]&classToken != 0 {
			dst = append(dst, name[i])
		}
	}
	if len(dst) == start {
		return dst
	}
	dst = append(dst, ": "...)
	dst = hsAppendClean(dst, value)
	return append(dst, "\r\n"...)
}

// hsAppendClean appends v without its control characters other than HTAB.
func hsAppendClean[T string | []byte](dst []byte, v T) []byte {
	for i := range len(v) {
		if byteClass[v[i]]&classValue != 0 {
			dst = append(dst, v[i])
		}
	}
	return dst
}

// hsAppendExtra appends the header lines of extra, each terminated by CRLF,
// skipping empty lines, lines that start with whitespace (obsolete folding),
// lines whose name is not a token or that lack a colon, and dropping control
// characters other than HTAB from values.
func hsAppendExtra(dst, extra []byte) []byte {
	for len(extra) > 0 {
		line := extra
		end := len(extra)
		for i, c := range extra {
			if c == '\n' || c == '\r' {
				end = i
				break
			}
		}
		line, extra = extra[:end], extra[end:]
		for len(extra) > 0 && (extra[0] == '\r' || extra[0] == '\n') {
			extra = extra[1:]
		}
		colon := -1
		for i, c := range line {
			if c == ':' {
				colon = i
				break
			}
			if byteClass[c]&classToken == 0 {
				break
			}
		}
		if colon <= 0 {
			continue
		}
		dst = append(dst, line[:colon+1]...)
		dst = hsAppendClean(dst, line[colon+1:])
		dst = append(dst, "\r\n"...)
	}
	return dst
}
