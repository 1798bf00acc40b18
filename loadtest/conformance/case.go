package conformance

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Status is the outcome class of one case.
type Status int

// Statuses, from best to worst. The zero value is OK.
const (
	OK Status = iota
	NonStrict
	Informational
	Unimplemented
	Failed
)

var statusNames = [...]string{"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"}

// Statuses lists every Status in report order.
var Statuses = []Status{OK, NonStrict, Informational, Unimplemented, Failed}

// String returns the upper-case name used in reports ("OK", "NON-STRICT", ...).
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// MarshalText encodes the status by name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a status name written by MarshalText.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("conformance: unknown status %q", b)
}

// Verdict is the result of running one case.
type Verdict struct {
	Status Status `json:"status"`
	// Detail says what was observed, in one line.
	Detail string `json:"detail,omitempty"`
	// Duration is the wall time of the case.
	Duration time.Duration `json:"duration_ns"`
	// CloseCode is the close code the server sent, 0 if none was seen.
	CloseCode uint16 `json:"close_code,omitempty"`
}

// MarshalJSON adds a human-readable duration beside the nanoseconds.
func (v Verdict) MarshalJSON() ([]byte, error) {
	type plain Verdict
	return json.Marshal(struct {
		plain
		Took string `json:"duration"`
	}{plain(v), v.Duration.Round(time.Microsecond).String()})
}

// Case is one conformance check.
type Case struct {
	// ID is a dotted identifier such as "1.1.1" or "H.3".
	ID string
	// Family is the family name, such as "1 Framing".
	Family string
	// Description says what is sent and what is expected.
	Description string
	// Quick marks the case as part of the fast subset (-quick).
	Quick bool
	// Run executes the case against t. It must honour ctx.
	Run func(ctx context.Context, t *Target) Verdict
}

// Target is the server under test.
type Target struct {
	// URL is the ws:// or wss:// URL of an echo endpoint.
	URL string
	// TLS is the client configuration for wss URLs (nil = defaults).
	TLS *tls.Config
	// Timeout bounds one whole case (default 60s).
	Timeout time.Duration
	// ReplyTimeout bounds the silence while a reply is expected
	// (default 3s). It is an idle timeout: it restarts whenever bytes arrive.
	ReplyTimeout time.Duration
	// FailFastWait is how long a fail-fast case waits for the server to
	// fail the connection before the rest of the message is sent
	// (default 500ms).
	FailFastWait time.Duration
	// Header holds extra request headers sent with every handshake
	// (for example Origin or Authorization).
	Header http.Header
}

// Defaults for Target fields left zero.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultReplyTimeout = 3 * time.Second
	DefaultFailFastWait = 500 * time.Millisecond
)

func (t *Target) withDefaults() Target {
	c := *t
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = DefaultReplyTimeout
	}
	if c.FailFastWait <= 0 {
		c.FailFastWait = DefaultFailFastWait
	}
	return c
}

func okf(format string, a ...any) Verdict {
	return Verdict{Status: OK, Detail: fmt.Sprintf(format, a...)}
}

func failf(format string, a ...any) Verdict {
	return Verdict{Status: Failed, Detail: fmt.Sprintf(format, a...)}
}

func nonStrictf(format string, a ...any) Verdict {
	return Verdict{Status: NonStrict, Detail: fmt.Sprintf(format, a...)}
}

func infof(format string, a ...any) Verdict {
	return Verdict{Status: Informational, Detail: fmt.Sprintf(format, a...)}
}

// worse returns the verdict with the worse status; on a tie the first.
func worse(a, b Verdict) Verdict {
	if rank(b.Status) > rank(a.Status) {
		if b.CloseCode == 0 {
			b.CloseCode = a.CloseCode
		}
		return b
	}
	return a
}

// rank orders statuses by badness for combining partial verdicts.
func rank(s Status) int {
	switch s {
	case OK:
		return 0
	case Informational:
		return 1
	case Unimplemented:
		return 2
	case NonStrict:
		return 3
	default:
		return 4
	}
}
