package codec

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"testing"
	"unsafe"
)

// hsWithin reports whether s is empty or lies entirely inside buf.
func hsWithin(buf, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(buf))
}

// FuzzParseRequest feeds arbitrary heads to Parse. It must never panic;
// when Parse succeeds every slice it returns must lie inside the input,
// header names must be tokens and values free of CR, LF and NUL; Validate
// and the builders must behave on whatever Parse accepted. The seed corpus
// lives in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range [][]byte{hsChromeRequest, hsFirefoxRequest, hsPythonRequest, hsNodeRequest} {
		f.Add(seed)
	}
	var r Request
	f.Fuzz(func(t *testing.T, data []byte) {
		err := r.Parse(data)
		if err != nil {
			var he *HandshakeError
			if !errors.As(err, &he) || (he.Status != 400 && he.Status != 431) {
				t.Fatalf("Parse error %v is not a 400/431 *HandshakeError", err)
			}
			return
		}
		if HeaderEnd(data) != len(data) {
			t.Fatalf("Parse accepted input whose head ends at %d of %d", HeaderEnd(data), len(data))
		}
		check := func(what string, s []byte) {
			if !hsWithin(data, s) {
				t.Fatalf("%s %q lies outside the input", what, s)
			}
			if bytes.ContainsAny(s, "\r\n\x00") {
				t.Fatalf("%s %q contains CR, LF or NUL", what, s)
			}
		}
		for _, fld := range []struct {
			name string
			v    []byte
		}{{"Method", r.Method}, {"URI", r.URI}, {"Proto", r.Proto}, {"Host", r.Host},
			{"Origin", r.Origin}, {"Key", r.Key}, {"Version", r.Version}} {
			check(fld.name, fld.v)
		}
		n := 0
		for name, value := range r.Headers() {
			n++
			check("header name", name)
			check("header value", value)
			for _, c := range name {
				if byteClass[c]&classToken == 0 {
					t.Fatalf("header name %q is not a token", name)
				}
			}
			if len(value) > 0 && (value[0] == ' ' || value[len(value)-1] == ' ') {
				t.Fatalf("header value %q not trimmed", value)
			}
			if got := r.Header(string(name)); got == nil && value != nil {
				t.Fatalf("Header(%q) = nil", name)
			}
		}
		if n > MaxRequestHeaders {
			t.Fatalf("%d headers", n)
		}
		for p := range r.Protocols() {
			check("protocol", p)
		}
		var firstExt []byte
		for e := range r.Extensions() {
			check("extension", e)
			if firstExt == nil {
				firstExt = e
			}
		}
		for v := range r.HeaderValues("connection") {
			check("Connection value", v)
		}
		if _, err := r.HTTPRequest(); err != nil && err != ErrBadRequestURI {
			t.Fatalf("HTTPRequest: %v", err)
		}

		switch err := r.Validate(); {
		case err == nil:
			if !r.IsWebSocket() || string(r.Method) != "GET" || len(r.Key) != 24 {
				t.Fatalf("Validate accepted Method %q Key %q IsWebSocket %v", r.Method, r.Key, r.IsWebSocket())
			}
			var proto []byte
			for p := range r.Protocols() {
				proto = p
				break
			}
			resp := AppendUpgradeResponse(nil, r.Key, proto, firstExt, nil)
			res, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
			if rerr != nil || res.StatusCode != 101 {
				t.Fatalf("101 response unreadable (%v): %q", rerr, resp)
			}
		default:
			he, ok := err.(*HandshakeError)
			if !ok {
				t.Fatalf("Validate error %T", err)
			}
			switch he.Status {
			case 400, 405, 426, 505:
			default:
				t.Fatalf("Validate status %d", he.Status)
			}
		}
	})
}
