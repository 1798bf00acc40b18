package api

import (
	"strconv"
	"strings"

	"crypto/tls"
	"fmt"
	"github.com/wsloop/wsloop/engine"

	"github.com/wsloop/wsloop/tlsbridge"
)

// Certificate is a certificate chain with its private key.
type Certificate = tls.Certificate

// TLSConfig configures wss:// (the component's UseSSL and SSL* settings).
type TLSConfig struct {
	// Enabled is the component's UseSSL.
	Enabled bool
	// CertFile and KeyFile are PEM files.
	CertFile, KeyFile string
	// Certificate is used when set, instead of the files.
	Certificate *Certificate
}

// build turns the settings into the bridge's configuration.
func (t *TLSConfig) build(_ *Server) (*tlsbridge.Config, error) {
	if t == nil || !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case t.Certificate != nil:
		cfg.Certificates = []tls.Certificate{*t.Certificate}
	case t.CertFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("wsloop: loading TLS certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	default:
		return nil, fmt.Errorf("%w: TLS enabled without a certificate", ErrBadValue)
	}
	return &tlsbridge.Config{TLS: cfg}, nil
}

// tlsSettingName reports whether a Config name belongs to the TLS family
// (SSL*, TLS12*, TLS13*, OpenSSL*).
func tlsSettingName(key string) bool {
	for _, p := range []string{"ssl", "tls12", "tls13", "openssl", "usessl"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// tlsSetting reads or writes a TLS setting.
func (s *Server) tlsSetting(key, value string, isSet bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch key {
	case "usessl":
		if !isSet {
			return strconv.FormatBool(s.cfg.TLS != nil && s.cfg.TLS.Enabled), nil
		}
		if s.eng != nil && s.eng.Running() {
			return "", fmt.Errorf("%w: UseSSL cannot change after Listen", ErrReadOnly)
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return "", fmt.Errorf("%w: UseSSL %q", ErrBadValue, value)
		}
		if s.cfg.TLS == nil {
			s.cfg.TLS = &TLSConfig{}
		}
		s.cfg.TLS.Enabled = b
		return value, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownSetting, key)
}

// negotiated answers the read-only SSLNegotiated*[id] settings.
func (s *Server) negotiated(c *engine.Conn, name string) (string, error) {
	if !strings.HasPrefix(name, "sslnegotiated") {
		return "", fmt.Errorf("%w: %q", ErrUnknownSetting, name)
	}
	return "", fmt.Errorf("%w: %s: connection is not using TLS", ErrNotConnected, name)
}
