package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// setting is one name understood by Server.Config.
type setting struct {
	get     func(c *Config) string
	set     func(c *Config, v string) error
	runtime bool // may be changed after Listen
}

func boolSetting(f func(c *Config) *bool) setting {
	return setting{
		get: func(c *Config) string { return strconv.FormatBool(*f(c)) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: %q is not a boolean", ErrBadValue, v)
			}
			*f(c) = b
			return nil
		},
	}
}

func intSetting(f func(c *Config) *int, min, max int) setting {
	return setting{
		get: func(c *Config) string { return strconv.Itoa(*f(c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min || n > max {
				return fmt.Errorf("%w: %q is not an integer in [%d, %d]", ErrBadValue, v, min, max)
			}
			*f(c) = n
			return nil
		},
	}
}

func int64Setting(f func(c *Config) *int64) setting {
	return setting{
		get: func(c *Config) string { return strconv.FormatInt(*f(c), 10) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q is not an integer", ErrBadValue, v)
			}
			*f(c) = n
			return nil
		},
	}
}

// durationSetting takes seconds (the component's unit) or a Go duration.
func durationSetting(f func(c *Config) *time.Duration) setting {
	return setting{
		get: func(c *Config) string { return strconv.FormatFloat(f(c).Seconds(), 'f', -1, 64) },
		set: func(c *Config, v string) error {
			if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
				*f(c) = time.Duration(secs * float64(time.Second))
				return nil
			}
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%w: %q is not seconds or a duration", ErrBadValue, v)
			}
			*f(c) = d
			return nil
		},
	}
}

func stringSetting(f func(c *Config) *string) setting {
	return setting{
		get: func(c *Config) string { return *f(c) },
		set: func(c *Config, v string) error { *f(c) = v; return nil },
	}
}

func listSetting(f func(c *Config) *[]string) setting {
	return setting{
		get: func(c *Config) string { return strings.Join(*f(c), ",") },
		set: func(c *Config, v string) error {
			var out []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			*f(c) = out
			return nil
		},
	}
}

// settings maps the component's configuration names (and wsloop's own) to
// Config fields. Names are case-insensitive.
var settings = map[string]setting{
	"localhost":                   stringSetting(func(c *Config) *string { return &c.LocalHost }),
	"localport":                   intSetting(func(c *Config) *int { return &c.LocalPort }, 0, 65535),
	"useipv6":                     boolSetting(func(c *Config) *bool { return &c.UseIPv6 }),
	"connectionbacklog":           intSetting(func(c *Config) *int { return &c.ConnectionBacklog }, 0, 1<<20),
	"bindexclusively":             boolSetting(func(c *Config) *bool { return &c.BindExclusively }),
	"reuseport":                   boolSetting(func(c *Config) *bool { return &c.ReusePort }),
	"eventloops":                  intSetting(func(c *Config) *int { return &c.EventLoops }, 0, 1024),
	"defaulttimeout":              durationSetting(func(c *Config) *time.Duration { return &c.DefaultTimeout }),
	"defaultconnectiontimeout":    durationSetting(func(c *Config) *time.Duration { return &c.DefaultConnectionTimeout }),
	"keepalivetime":               durationSetting(func(c *Config) *time.Duration { return &c.KeepAliveTime }),
	"keepaliveinterval":           durationSetting(func(c *Config) *time.Duration { return &c.KeepAliveInterval }),
	"inbuffersize":                intSetting(func(c *Config) *int { return &c.InBufferSize }, 0, 1<<30),
	"outbuffersize":               intSetting(func(c *Config) *int { return &c.OutBufferSize }, 0, 1<<30),
	"allowedclients":              stringSetting(func(c *Config) *string { return &c.AllowedClients }),
	"maxconnections":              intSetting(func(c *Config) *int { return &c.MaxConnections }, 0, 1<<30),
	"maxconnectionsperip":         intSetting(func(c *Config) *int { return &c.MaxConnectionsPerIP }, 0, 1<<30),
	"handshakerateperip":          intSetting(func(c *Config) *int { return &c.HandshakeRatePerIP }, 0, 1<<30),
	"handshakeburstperip":         intSetting(func(c *Config) *int { return &c.HandshakeBurstPerIP }, 0, 1<<30),
	"buffermessage":               boolSetting(func(c *Config) *bool { return &c.BufferMessage }),
	"maxmessagesize":              int64Setting(func(c *Config) *int64 { return &c.MaxMessageSize }),
	"maxframesize":                intSetting(func(c *Config) *int { return &c.MaxFrameSize }, 0, 1<<30),
	"maxheaderbytes":              intSetting(func(c *Config) *int { return &c.MaxHeaderBytes }, 0, 1<<20),
	"origins":                     listSetting(func(c *Config) *[]string { return &c.Origins }),
	"subprotocols":                listSetting(func(c *Config) *[]string { return &c.Subprotocols }),
	"compression":                 boolSetting(func(c *Config) *bool { return &c.Compression.Enabled }),
	"compressionlevel":            intSetting(func(c *Config) *int { return &c.Compression.Level }, 0, 9),
	"compressionthreshold":        intSetting(func(c *Config) *int { return &c.Compression.Threshold }, -1, 1<<30),
	"servercontexttakeover":       boolSetting(func(c *Config) *bool { return &c.Compression.ServerContextTakeover }),
	"clientcontexttakeover":       boolSetting(func(c *Config) *bool { return &c.Compression.ClientContextTakeover }),
	"servermaxwindowbits":         intSetting(func(c *Config) *int { return &c.Compression.ServerMaxWindowBits }, 0, 15),
	"clientmaxwindowbits":         intSetting(func(c *Config) *int { return &c.Compression.ClientMaxWindowBits }, 0, 15),
	"maxdecompressedsize":         int64Setting(func(c *Config) *int64 { return &c.Compression.MaxDecompressedSize }),
	"inlineinflatesize":           int64Setting(func(c *Config) *int64 { return &c.Compression.InlineInflateSize }),
	"inflateworkers":              intSetting(func(c *Config) *int { return &c.Compression.InflateWorkers }, 0, 1024),
	"maxoutboundqueue":            intSetting(func(c *Config) *int { return &c.MaxOutboundQueue }, 0, 1<<30),
	"slowconsumerclose":           boolSetting(func(c *Config) *bool { b := c.SlowConsumer == CloseSlowConsumer; return &b }),
	"maxpausedbytes":              intSetting(func(c *Config) *int { return &c.MaxPausedBytes }, 0, 1<<30),
	"maxbufferedbytes":            int64Setting(func(c *Config) *int64 { return &c.MaxBufferedBytes }),
	"bufferwaittimeout":           durationSetting(func(c *Config) *time.Duration { return &c.BufferWaitTimeout }),
	"pinginterval":                durationSetting(func(c *Config) *time.Duration { return &c.PingInterval }),
	"idletimeout":                 durationSetting(func(c *Config) *time.Duration { return &c.IdleTimeout }),
	"waitforcloseresponse":        boolSetting(func(c *Config) *bool { return &c.WaitForCloseResponse }),
	"closetimeout":                durationSetting(func(c *Config) *time.Duration { return &c.CloseTimeout }),
	"disconnectstatuscode":        intSetting(func(c *Config) *int { return &c.DisconnectStatusCode }, 0, 4999),
	"disconnectstatusdescription": stringSetting(func(c *Config) *string { return &c.DisconnectStatusDescription }),
	"maxtopiclength":              intSetting(func(c *Config) *int { return &c.MaxTopicLength }, 0, 1<<16),
	"maxsubscriptions":            intSetting(func(c *Config) *int { return &c.MaxSubscriptions }, 0, 1<<20),
	"maxpublishsize":              intSetting(func(c *Config) *int { return &c.MaxPublishSize }, 0, 1<<30),
}

func init() {
	// slowconsumerclose needs a real setter (its getter builds a temporary).
	settings["slowconsumerclose"] = setting{
		get: func(c *Config) string { return strconv.FormatBool(c.SlowConsumer == CloseSlowConsumer) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: %q is not a boolean", ErrBadValue, v)
			}
			c.SlowConsumer = WouldBlock
			if b {
				c.SlowConsumer = CloseSlowConsumer
			}
			return nil
		},
	}
	settings["tcpnodelay"] = setting{
		get: func(c *Config) string { return strconv.FormatBool(!c.TCPDelay) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%w: %q is not a boolean", ErrBadValue, v)
			}
			c.TCPDelay = !b
			return nil
		},
	}
	settings["loglevel"] = setting{
		get: func(c *Config) string { return strconv.Itoa(c.LogLevel) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 3 {
				return fmt.Errorf("%w: LogLevel %q is not 0..3", ErrBadValue, v)
			}
			c.LogLevel = n
			return nil
		},
		runtime: true,
	}
}

// Config reads or writes a setting by its WebSocketServer name, the way the
// component's Config method does: "Name=Value" sets and returns the new
// value, "Name" returns the current value. Names are case-insensitive.
// Indexed names address one connection: "MessageLength[id]" (write: the
// length of a message sent by the following Sends; read: bytes left),
// "Timeout[id]", "AcceptData[id]", "SSLNegotiatedCipher[id]",
// "SSLNegotiatedVersion[id]", "SSLNegotiatedServerName[id]". Unknown names
// and bad values return an error. Most settings are fixed once Listen has
// run (ErrReadOnly); LogLevel and the indexed ones can change at any time.
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
		return s.connSetting(strings.ToLower(name[:i]), ConnID(id), value, isSet)
	}
	key := strings.ToLower(name)
	if tlsSettingName(key) {
		return s.tlsSetting(key, value, isSet)
	}
	st, ok := settings[key]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isSet {
		return st.get(&s.cfg), nil
	}
	if s.eng != nil && s.eng.Running() && !st.runtime {
		return "", fmt.Errorf("%w: %s cannot change after Listen", ErrReadOnly, name)
	}
	next := s.cfg
	if err := st.set(&next, value); err != nil {
		return "", err
	}
	s.cfg = next
	if key == "loglevel" {
		s.logLevel.Store(int32(next.LogLevel))
	}
	return st.get(&s.cfg), nil
}

// connSetting handles the indexed, per-connection names.
func (s *Server) connSetting(name string, id ConnID, value string, isSet bool) (string, error) {
	c, err := s.conn(id)
	if err != nil {
		return "", err
	}
	switch name {
	case "messagelength":
		if !isSet {
			return strconv.FormatInt(c.StreamRemaining(), 10), nil
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n <= 0 {
			return "", fmt.Errorf("%w: MessageLength %q", ErrBadValue, value)
		}
		return value, s.SetMessageLength(id, DataBinary, n)
	case "timeout":
		if !isSet {
			return strconv.FormatFloat(c.Timeout().Seconds(), 'f', -1, 64), nil
		}
		var d time.Duration
		if err := durationSetting(func(*Config) *time.Duration { return &d }).set(nil, value); err != nil {
			return "", err
		}
		c.SetTimeout(d)
		return value, nil
	case "acceptdata":
		if !isSet {
			return strconv.FormatBool(c.AcceptData()), nil
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return "", fmt.Errorf("%w: AcceptData %q", ErrBadValue, value)
		}
		return value, s.SetAcceptData(id, b)
	}
	if isSet {
		if strings.HasPrefix(name, "sslnegotiated") {
			return "", fmt.Errorf("%w: %s is read-only", ErrReadOnly, name)
		}
		return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
	}
	return s.negotiated(c, name)
}
