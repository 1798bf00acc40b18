package api

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wsloop/wsloop/engine"
	"github.com/wsloop/wsloop/tlsbridge"
)

type negotiation = tlsbridge.Negotiated

// Config reads or writes a setting by its WebSocketServer name, the way the
// component's Config method does: "Name=Value" sets and returns the new
// value, "Name" returns the current value. Names are case-insensitive;
// Settings lists them. Indexed names address one connection (see
// connSettings): "MessageLength[id]" (write: the length of a message sent
// by the following Sends; read: bytes left), "Timeout[id]",
// "AcceptData[id]", and the read-only SSLNegotiated*[id]. Unknown names
// and bad values return an error; names of the component that do not apply
// to a Go server return ErrUnsupported with the reason. Settings are fixed
// once Listen has run (ErrReadOnly) unless declared runtime (LogLevel); the
// indexed ones can change at any time.
func (s *Server) Config(nameValue string) (string, error) {
	name, value, isSet := strings.Cut(nameValue, "=")
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		idStr := name[i+1 : len(name)-1]
		id, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil {
			return "", fmt.Errorf("%w: connection index %q", ErrBadValue, idStr)
		}
		return s.connSetting(name[:i], ConnID(id), value, isSet)
	}
	st, err := lookup(name)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isSet {
		return st.get(&s.cfg), nil
	}
	if st.Refused == "" && st.set != nil && s.eng != nil && s.eng.Running() && !st.Runtime {
		return "", fmt.Errorf("%w: %s cannot change after Listen", ErrReadOnly, st.Name)
	}
	if err := s.cfg.Set(st.Name, value); err != nil {
		return "", err
	}
	s.logLevel.Store(int32(s.cfg.LogLevel))
	return st.get(&s.cfg), nil
}

// connSetting is one indexed, per-connection setting.
type connSetting struct {
	name string
	doc  string
	get  func(c *engine.Conn) string
	set  func(s *Server, id ConnID, v string) error // nil = read-only
}

// connSettings are the indexed names of Server.Config.
var connSettings = []connSetting{
	{"MessageLength", "bytes left of the streamed message; write: announce one of that many bytes (Server.SetMessageLength)",
		func(c *engine.Conn) string { return strconv.FormatInt(c.StreamRemaining(), 10) },
		func(s *Server, id ConnID, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("%w: MessageLength %q", ErrBadValue, v)
			}
			return s.SetMessageLength(id, DataBinary, n)
		}},
	{"Timeout", "the connection's Send timeout in seconds (Server.SetTimeout)",
		func(c *engine.Conn) string { return strconv.FormatFloat(c.Timeout().Seconds(), 'f', -1, 64) },
		func(s *Server, id ConnID, v string) error {
			var d time.Duration
			if err := codecs[durationType].parse(reflect.ValueOf(&d).Elem(), v); err != nil {
				return fmt.Errorf("%w: Timeout: %v", ErrBadValue, err)
			}
			return s.SetTimeout(id, d)
		}},
	{"AcceptData", "reading on (true) or paused (false) (Server.SetAcceptData)",
		func(c *engine.Conn) string { return strconv.FormatBool(c.AcceptData()) },
		func(s *Server, id ConnID, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: AcceptData %q", ErrBadValue, v)
			}
			return s.SetAcceptData(id, b)
		}},
	negotiated("SSLNegotiatedVersion", "protocol version (\"TLS 1.3\")", func(n *negotiation) string { return n.VersionName() }),
	negotiated("SSLNegotiatedCipher", "IANA cipher suite name", func(n *negotiation) string { return n.CipherSuiteName() }),
	negotiated("SSLNegotiatedCipherSuite", "same as SSLNegotiatedCipher", func(n *negotiation) string { return n.CipherSuiteName() }),
	negotiated("SSLNegotiatedCipherStrength", "key bits of the bulk cipher",
		func(n *negotiation) string { return strconv.Itoa(cipherStrength(n.CipherSuiteName())) }),
	negotiated("SSLNegotiatedServerName", "the client's SNI", func(n *negotiation) string { return n.ServerName }),
	negotiated("SSLNegotiatedALPN", "the ALPN protocol chosen", func(n *negotiation) string { return n.ALPN }),
	negotiated("SSLNegotiatedResumed", "whether the session was resumed", func(n *negotiation) string { return strconv.FormatBool(n.DidResume) }),
	negotiated("SSLNegotiatedPeerSubject", "the client certificate's subject", func(n *negotiation) string {
		if len(n.PeerCertificates) == 0 {
			return ""
		}
		return n.PeerCertificates[0].Subject.String()
	}),
}

// negotiated declares a read-only SSLNegotiated*[id] setting, answered from
// the snapshot taken on the connection's loop when its handshake completed.
func negotiated(name, doc string, f func(n *negotiation) string) connSetting {
	return connSetting{name: name, doc: doc + ", after the TLS handshake", get: func(c *engine.Conn) string {
		if n := c.TLSNegotiated(); n != nil {
			return f(n)
		}
		return ""
	}}
}

// connSetting reads or writes an indexed setting.
func (s *Server) connSetting(name string, id ConnID, value string, isSet bool) (string, error) {
	c, err := s.conn(id)
	if err != nil {
		return "", err
	}
	for _, cs := range connSettings {
		if !strings.EqualFold(cs.name, name) {
			continue
		}
		if !isSet {
			if strings.HasPrefix(cs.name, "SSLNegotiated") {
				if !c.IsTLS() {
					return "", fmt.Errorf("%w: %s: %v", ErrNotConnected, cs.name, errNoTLS)
				}
				if c.TLSNegotiated() == nil {
					return "", fmt.Errorf("%w: %s: TLS handshake not completed", ErrNotConnected, cs.name)
				}
			}
			return cs.get(c), nil
		}
		if cs.set == nil {
			return "", fmt.Errorf("%w: %s is read-only", ErrReadOnly, cs.name)
		}
		if err := cs.set(s, id, value); err != nil {
			return "", err
		}
		return value, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
}

// cipherStrength is the symmetric key size of a suite, from its name.
func cipherStrength(name string) int {
	switch {
	case strings.Contains(name, "AES_256"), strings.Contains(name, "CHACHA20"):
		return 256
	case strings.Contains(name, "AES_128"), strings.Contains(name, "RC4_128"):
		return 128
	case strings.Contains(name, "3DES"):
		return 112
	}
	return 0
}
