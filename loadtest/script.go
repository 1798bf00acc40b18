package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Script is the scenario of an application's own protocol, read from a
// script file (see ParseScript): each connection sends the script's open
// messages when it opens, then its send messages in turn during the
// traffic phase, and checks each answer the script expects. Latency is
// from sending a message to its answer.
//
// Answers are matched in order: the first message the server sends while
// an answer is outstanding is that answer, and one that does not match is
// a reply_mismatch error. A message that arrives while no answer is
// outstanding is counted as foreign (server push), not as an error. An
// answer not in within its time is a reply_timeout error.
type Script struct {
	Open []ScriptMessage // sent once per connection when it opens, in order
	Send []ScriptMessage // sent in turn during the traffic phase

	Binary   bool    // send binary frames instead of text
	Rate     float64 // total send messages per second; 0 = the next when the answer arrives (every send message must expect one)
	Inflight int     // outstanding answers per connection (default 1; with Rate 128)
	Messages int     // send messages per connection; 0 = until Options.Duration

	cmp []compiledMessage // Open then Send, with their placeholders resolved
}

// ScriptMessage is one message of a Script and the answer it expects.
type ScriptMessage struct {
	Text   string        // the message; {{conn}} is the connection's number, {{seq}} the message's number on it
	Expect string        // "": no answer; "exact", "prefix" or "any"
	Reply  string        // exact: the whole answer; prefix: its start (placeholders as in Text)
	Within time.Duration // how long the answer may take (default Options.Timeout)
}

// Answer kinds of ScriptMessage.Expect.
const (
	ExpectNone   = ""
	ExpectExact  = "exact"
	ExpectPrefix = "prefix"
	ExpectAny    = "any"
)

// ScenarioScript is the Script scenario's name.
const ScenarioScript = "script"

// maxScriptText bounds a script message or reply after expansion.
const maxScriptText = 1 << 20

// ParseScript reads the script format: one directive per line, blank
// lines and lines starting with # ignored.
//
//	open <message>        a message sent when the connection opens
//	send <message>        a message sent during the traffic phase
//	expect exact <text>   the answer to the message above is exactly <text>
//	expect prefix <text>  the answer starts with <text>
//	expect any            any message is the answer
//	within <duration>     the answer to the message above may take this long
//
// Messages and replies run to the end of the line (leading and trailing
// spaces trimmed) and may hold the placeholders {{conn}} and {{seq}}.
func ParseScript(r io.Reader) (*Script, error) {
	s := &Script{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxScriptText)
	var last *ScriptMessage
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		bad := func(format string, a ...any) error {
			return fmt.Errorf("script line %d: %s", n, fmt.Sprintf(format, a...))
		}
		switch word {
		case "open", "send":
			if rest == "" {
				return nil, bad("%s needs a message", word)
			}
			list := &s.Send
			if word == "open" {
				list = &s.Open
			}
			*list = append(*list, ScriptMessage{Text: rest})
			last = &(*list)[len(*list)-1]
		case "expect":
			if last == nil || last.Expect != "" {
				return nil, bad("expect must follow an open or send line, once")
			}
			kind, text, _ := strings.Cut(rest, " ")
			text = strings.TrimSpace(text)
			switch {
			case kind == ExpectAny && text == "":
			case (kind == ExpectExact || kind == ExpectPrefix) && (text != "" || kind == ExpectExact):
			default:
				return nil, bad("want expect exact <text>, expect prefix <text> or expect any")
			}
			last.Expect, last.Reply = kind, text
		case "within":
			d, err := time.ParseDuration(rest)
			if last == nil || last.Expect == "" || err != nil || d <= 0 {
				return nil, bad("within <duration> must follow an expect line")
			}
			last.Within = d
		default:
			return nil, bad("unknown directive %q (want open, send, expect or within)", word)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Name implements Scenario.
func (*Script) Name() string { return ScenarioScript }

func (s *Script) withDefaults(o *Options) Scenario {
	c := *s
	if c.Inflight <= 0 {
		c.Inflight = 1
		if c.Rate > 0 {
			c.Inflight = 128
		}
	}
	c.cmp = nil
	for _, m := range append(append([]ScriptMessage{}, c.Open...), c.Send...) {
		if m.Expect != ExpectNone && m.Within <= 0 {
			m.Within = o.Timeout
			if m.Within <= 0 {
				m.Within = 5 * time.Second
			}
		}
		c.cmp = append(c.cmp, compileMessage(m))
	}
	return &c
}

func (s *Script) check(o *Options) error {
	switch {
	case len(s.Send) == 0 && len(s.Open) == 0:
		return fmt.Errorf("the script has no open or send message")
	case s.Inflight > maxInflight:
		return fmt.Errorf("Script.Inflight %d is over the limit %d", s.Inflight, maxInflight)
	case s.Rate < 0 || s.Messages < 0:
		return fmt.Errorf("Script.Rate and Script.Messages must not be negative")
	}
	if s.Rate == 0 && len(s.Send) > 0 && s.expects(s.Send) < len(s.Send) {
		return fmt.Errorf("without Script.Rate every send message must expect an answer (the next is sent when it arrives)")
	}
	for _, m := range append(append([]ScriptMessage{}, s.Open...), s.Send...) {
		switch m.Expect {
		case ExpectNone, ExpectExact, ExpectPrefix, ExpectAny:
		default:
			return fmt.Errorf("script message %q: unknown Expect %q", m.Text, m.Expect)
		}
		if len(m.Text) > maxScriptText || len(m.Reply) > maxScriptText {
			return fmt.Errorf("script message %q: longer than %d bytes", m.Text[:min(len(m.Text), 40)], maxScriptText)
		}
	}
	return nil
}

func (s *Script) expects(ms []ScriptMessage) int {
	n := 0
	for _, m := range ms {
		if m.Expect != ExpectNone {
			n++
		}
	}
	return n
}

// compiledMessage is a ScriptMessage with its placeholders found.
type compiledMessage struct {
	text, reply []tmplPart
	expect      string
	within      int64 // ns
	replyMax    int   // longest expansion of reply
}

// tmplPart is a literal or a placeholder (lit == "" and ph set).
type tmplPart struct {
	lit string
	ph  byte // 'c': {{conn}}, 's': {{seq}}, 0: literal
}

func compileMessage(m ScriptMessage) compiledMessage {
	c := compiledMessage{text: compileTmpl(m.Text), reply: compileTmpl(m.Reply), expect: m.Expect, within: int64(m.Within)}
	for _, p := range c.reply {
		c.replyMax += len(p.lit)
		if p.ph != 0 {
			c.replyMax += 20
		}
	}
	return c
}

func compileTmpl(s string) []tmplPart {
	var out []tmplPart
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			out = append(out, tmplPart{lit: s})
			break
		}
		if i > 0 {
			out = append(out, tmplPart{lit: s[:i]})
		}
		switch {
		case strings.HasPrefix(s[i:], "{{conn}}"):
			out = append(out, tmplPart{ph: 'c'})
			s = s[i+len("{{conn}}"):]
		case strings.HasPrefix(s[i:], "{{seq}}"):
			out = append(out, tmplPart{ph: 's'})
			s = s[i+len("{{seq}}"):]
		default:
			out = append(out, tmplPart{lit: "{{"})
			s = s[i+2:]
		}
	}
	return out
}

// appendTmpl appends the expansion of parts for connection conn and
// message seq.
func appendTmpl(dst []byte, parts []tmplPart, conn, seq uint64) []byte {
	for _, p := range parts {
		switch p.ph {
		case 'c':
			dst = strconv.AppendUint(dst, conn, 10)
		case 's':
			dst = strconv.AppendUint(dst, seq, 10)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst
}
