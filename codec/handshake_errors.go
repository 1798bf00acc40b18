package codec

// HandshakeError is a failure of the HTTP upgrade request: Status is the HTTP
// status the server answers with (see AppendErrorResponse) and Reason a short
// human-readable text suitable for the response body. The package-level
// sentinels below are the only values Parse and Validate return, so reporting
// an error never allocates; compare with errors.Is or by pointer.
type HandshakeError struct {
	Status int
	Reason string
}

// Error implements error.
func (e *HandshakeError) Error() string { return "wsloop: handshake: " + e.Reason }

// Errors returned by (*Request).Parse, (*Request).Validate and
// (*Request).HTTPRequest.
var (
	// ErrHeaderTooLarge: the request head exceeds the byte limit (the engine
	// applies DefaultMaxHeaderBytes or its configured limit).
	ErrHeaderTooLarge = &HandshakeError{431, "request header fields too large"}
	// ErrTooManyHeaders: more header lines than the Request can hold.
	ErrTooManyHeaders = &HandshakeError{431, "too many header fields"}

	// ErrBadRequest: the head is not terminated by an empty line, or is otherwise malformed.
	ErrBadRequest = &HandshakeError{400, "malformed request"}
	// ErrBadRequestLine: the request line is not "METHOD SP target SP HTTP/d.d".
	ErrBadRequestLine = &HandshakeError{400, "malformed request line"}
	// ErrBadRequestURI: the request target contains forbidden bytes or is not
	// origin-form or absolute-form.
	ErrBadRequestURI = &HandshakeError{400, "malformed request target"}
	// ErrBadLineEnding: a line ends with a bare LF instead of CRLF.
	ErrBadLineEnding = &HandshakeError{400, "line not terminated by CRLF"}
	// ErrBadHeaderName: a header name is empty, contains non-token bytes, or
	// is followed by whitespace before the colon.
	ErrBadHeaderName = &HandshakeError{400, "malformed header name"}
	// ErrMissingColon: a header line has no colon.
	ErrMissingColon = &HandshakeError{400, "header line without colon"}
	// ErrObsFold: a header line starts with whitespace (obsolete line folding).
	ErrObsFold = &HandshakeError{400, "obsolete header line folding"}
	// ErrBadHeaderValue: a header value contains a control character.
	ErrBadHeaderValue = &HandshakeError{400, "control character in header value"}
	// ErrBadContentLength: Content-Length is not a decimal number, is given
	// twice with different values, or is combined with Transfer-Encoding.
	ErrBadContentLength = &HandshakeError{400, "invalid Content-Length"}
	// ErrUpgradeBody: an upgrade request announces a body.
	ErrUpgradeBody = &HandshakeError{400, "upgrade request must not have a body"}
	// ErrNotUpgrade: Validate was called on a request lacking "Upgrade:
	// websocket" or "Connection: Upgrade".
	ErrNotUpgrade = &HandshakeError{400, "not a WebSocket upgrade request"}
	// ErrHTTP10: the upgrade request uses HTTP/1.0 (RFC 6455 requires 1.1 or later).
	ErrHTTP10 = &HandshakeError{400, "WebSocket upgrade requires HTTP/1.1"}
	// ErrMissingHost: no Host header, or an empty one.
	ErrMissingHost = &HandshakeError{400, "missing Host header"}
	// ErrDuplicateHost: more than one Host header.
	ErrDuplicateHost = &HandshakeError{400, "duplicate Host header"}
	// ErrMissingKey: no Sec-WebSocket-Key header.
	ErrMissingKey = &HandshakeError{400, "missing Sec-WebSocket-Key header"}
	// ErrDuplicateKey: more than one Sec-WebSocket-Key header.
	ErrDuplicateKey = &HandshakeError{400, "duplicate Sec-WebSocket-Key header"}
	// ErrBadKey: Sec-WebSocket-Key is not the base64 encoding of 16 bytes.
	ErrBadKey = &HandshakeError{400, "invalid Sec-WebSocket-Key"}
	// ErrDuplicateVersion: more than one Sec-WebSocket-Version header.
	ErrDuplicateVersion = &HandshakeError{400, "duplicate Sec-WebSocket-Version header"}

	// ErrMethodNotAllowed: the upgrade request's method is not GET. The
	// response carries "Allow: GET".
	ErrMethodNotAllowed = &HandshakeError{405, "method not allowed"}
	// ErrUpgradeRequired: Sec-WebSocket-Version is missing or not 13. The
	// response carries "Sec-WebSocket-Version: 13".
	ErrUpgradeRequired = &HandshakeError{426, "unsupported Sec-WebSocket-Version"}
	// ErrVersionNotSupported: the HTTP major version is not 1.
	ErrVersionNotSupported = &HandshakeError{505, "HTTP version not supported"}
)
