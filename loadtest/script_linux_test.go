package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// chatServer speaks a small application protocol: a connection must say
// "hello <id>" first (answered "welcome <id>"); then "ping <x>" is answered
// "pong <x>", "bad <x>" is answered "nope" and "silent" is not answered.
// It counts connections whose first message was not the hello.
type chatServer struct {
	url       string
	loadFirst atomic.Int64 // connections whose first message was not hello
	hellos    atomic.Int64
}

func startChatServer(t *testing.T) *chatServer {
	t.Helper()
	s := &chatServer{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer nc.Close()
		c := &lockedConn{Conn: nc, r: brw.Reader}
		for first := true; ; first = false {
			msg, _, err := wsutil.ReadClientData(c)
			if err != nil {
				return
			}
			word, rest, _ := strings.Cut(string(msg), " ")
			if first && word != "hello" {
				s.loadFirst.Add(1)
			}
			var reply string
			switch word {
			case "hello":
				s.hellos.Add(1)
				reply = "welcome " + rest
			case "ping":
				reply = "pong " + rest
			case "bad":
				reply = "nope"
			case "silent":
				continue
			}
			if wsutil.WriteServerMessage(c, ws.OpText, []byte(reply)) != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() })
	s.url = "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/chat"
	return s
}

func mustScript(t *testing.T, text string) *Script {
	t.Helper()
	s, err := ParseScript(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const chatScript = `# log in, then ping
open hello {{conn}}
expect exact welcome {{conn}}
send ping {{conn}}-{{seq}}
expect exact pong {{conn}}-{{seq}}
within 2s
`

// Every connection's open message reaches the server before any load
// message, and every answer matches, placeholders expanded.
func TestScriptOpenThenSend(t *testing.T) {
	s := startChatServer(t)
	sc := mustScript(t, chatScript)
	sc.Messages, sc.Inflight = 20, 3
	o := quick(s.url, sc)
	o.Conns = 4
	res := mustRun(t, o)
	if res.ErrorsTotal != 0 || s.loadFirst.Load() != 0 || s.hellos.Load() != 4 {
		t.Fatalf("errors %v (%v), load before hello on %d connections, hellos %d", res.Errors, res.ErrorSamples, s.loadFirst.Load(), s.hellos.Load())
	}
	want := uint64(4 * (20 + 1))
	if res.Messages.Received != want || res.Messages.Expected != want || res.Latency.Count != want || res.Scenario != ScenarioScript {
		t.Errorf("received %d expected %d latency count %d, want %d", res.Messages.Received, res.Messages.Expected, res.Latency.Count, want)
	}
}

// An answer that does not match is an error; so is one that never comes.
func TestScriptMismatchAndTimeout(t *testing.T) {
	s := startChatServer(t)
	sc := mustScript(t, "send bad {{seq}}\nexpect prefix pong\n")
	sc.Messages = 5
	o := quick(s.url, sc)
	o.Conns = 3
	res := mustRun(t, o)
	if res.Errors[ErrKindReplyMismatch] != 15 || res.Messages.Received != 0 || res.Messages.Missing != 15 {
		t.Errorf("errors %v received %d missing %d, want 15 mismatches", res.Errors, res.Messages.Received, res.Messages.Missing)
	}
	sc = mustScript(t, "open hello {{conn}}\nexpect any\nsend silent\nexpect any\nwithin 200ms\n")
	sc.Messages = 2
	o = quick(s.url, sc)
	o.Conns = 2
	res = mustRun(t, o)
	if res.Errors[ErrKindReplyTimeout] != 4 || res.Messages.Received != 2 {
		t.Errorf("errors %v received %d, want 4 reply timeouts and the 2 welcomes", res.Errors, res.Messages.Received)
	}
}

// With a rate, send messages need no answer.
func TestScriptAtRate(t *testing.T) {
	s := startChatServer(t)
	sc := mustScript(t, "open hello {{conn}}\nexpect exact welcome {{conn}}\nsend silent\nsend ping x\nexpect exact pong x\n")
	sc.Rate = 400
	o := quick(s.url, sc)
	o.Conns, o.Duration = 4, 700*time.Millisecond
	res := mustRun(t, o)
	if res.ErrorsTotal != 0 || res.Messages.Received <= 4 || res.Messages.Sent <= res.Messages.Received || s.loadFirst.Load() != 0 {
		t.Errorf("errors %v sent %d received %d", res.Errors, res.Messages.Sent, res.Messages.Received)
	}
	if _, err := Run(context.Background(), quick(s.url, mustScript(t, "send silent\n")), nil); err == nil {
		t.Error("a script without a rate whose send expects no answer was accepted")
	}
}

func TestParseScriptErrors(t *testing.T) {
	for _, text := range []string{
		"expect any\n",
		"send x\nexpect maybe y\n",
		"send x\nexpect prefix\n",
		"send x\nwithin 1s\n",
		"send x\nexpect any\nexpect any\n",
		"send\n",
		"shout x\n",
		"send x\nexpect any\nwithin soon\n",
	} {
		if _, err := ParseScript(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: err %v", text, err)
		}
	}
	s := mustScript(t, "# c\n\nopen  a {{conn}} {{x}}  \nexpect exact b\nsend c\n")
	if len(s.Open) != 1 || s.Open[0].Text != "a {{conn}} {{x}}" || s.Open[0].Reply != "b" || len(s.Send) != 1 {
		t.Errorf("parsed %+v", s)
	}
	if got := string(appendTmpl(nil, compileTmpl(s.Open[0].Text), 7, 3)); got != "a 7 {{x}}" {
		t.Errorf("expansion %q", got)
	}
}
