package engine

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/wsloop/wsloop/codec"
)

// serveHTTP answers a non-WebSocket request with Options.HTTPHandler on a
// short-lived goroutine (handlers may block; the loop must not), then writes
// the response and closes the connection. Without a handler it answers 426.
func (l *loop) serveHTTP(c *Conn, req *codec.Request) {
	e := l.eng
	c.mu.Lock()
	c.moveLocked(stateClosing) // ignore further input
	c.mu.Unlock()
	if !e.user.hasHTTP {
		e.metrics.HandshakeErrors.Add(1)
		e.metrics.refuse(RefusedNotWebSocket)
		l.out = codec.AppendErrorResponse(l.out[:0], 426, "WebSocket upgrade required", nil)
		l.writeAndClose(c, l.out)
		return
	}
	hr, err := req.HTTPRequest()
	if err != nil {
		l.rejectHandshake(c, err)
		return
	}
	hr.RemoteAddr = c.gc.RemoteAddr().String()
	e.metrics.HTTPRequests.Add(1)
	if 2 <= l.logLevel() {
		l.log(c, 2, "HTTP request", slog.String("method", hr.Method), slog.String("uri", hr.RequestURI))
	}
	go func() {
		w := &responseRecorder{header: http.Header{}}
		p := e.user.serveHTTP(w, hr)
		if p != nil {
			// Counted now (the loop may be gone by the time the task
			// runs); the handler's partial response is dropped for a 500.
			e.countPanic()
			w = &responseRecorder{header: http.Header{}, status: 500}
		}
		resp := w.bytes()
		c.loop.post(func(l *loop) {
			if p != nil {
				l.userError(c, p)
			}
			if c.state != stateClosed {
				l.writeAndClose(c, resp)
			}
		})
	}()
}

// maxResponseBody bounds the body an HTTPHandler may write: the response
// is buffered whole before it is written to the connection.
const maxResponseBody = 16 << 20

var errResponseTooLarge = fmt.Errorf("wsloop: HTTP response body over %d MiB", maxResponseBody>>20)

// responseRecorder is the http.ResponseWriter given to HTTPHandler.
type responseRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseRecorder) Header() http.Header { return w.header }

func (w *responseRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	if w.body.Len()+len(p) > maxResponseBody {
		return 0, errResponseTooLarge
	}
	return w.body.Write(p)
}

func (w *responseRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// bytes renders the whole HTTP/1.1 response with Connection: close.
func (w *responseRecorder) bytes() []byte {
	if w.status == 0 {
		w.status = 200
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
	w.header.Del("Connection")
	w.header.Set("Content-Length", strconv.Itoa(w.body.Len()))
	if w.header.Get("Content-Type") == "" && w.body.Len() > 0 {
		w.header.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	_ = w.header.Write(&b)
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(w.body.Bytes())
	return b.Bytes()
}
