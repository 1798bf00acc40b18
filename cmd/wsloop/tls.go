package main

import (
	"errors"

	"github.com/wsloop/wsloop/api"
)

// tlsConfig builds the TLS settings from -tls-cert/-tls-key or
// -tls-self-signed; nil means plain ws://.
func (f *serveFlags) tlsConfig() (*api.TLSConfig, error) {
	switch {
	case f.tlsCert != "":
		if f.tlsKey == "" {
			return nil, errors.New("-tls-cert needs -tls-key")
		}
		return &api.TLSConfig{Enabled: true, CertFile: f.tlsCert, KeyFile: f.tlsKey}, nil
	case f.selfSigned:
		cert, err := selfSigned(f.addr)
		if err != nil {
			return nil, err
		}
		return &api.TLSConfig{Enabled: true, Certificate: cert}, nil
	}
	return nil, nil
}
