package tlsbridge

const (
	recordTypeHandshake  = 0x16
	handshakeClientHello = 0x01
)

// checkHello inspects the start of a connection's ciphertext. It fails with
// ErrNotTLS as soon as the bytes cannot be a TLS record carrying a
// ClientHello, and reports complete once the whole first record is there.
// A ClientHello may continue in later records; crypto/tls reads those.
func checkHello(p []byte) (complete bool, err error) {
	if len(p) >= 1 && p[0] != recordTypeHandshake {
		return false, ErrNotTLS
	}
	if len(p) >= 2 && p[1] != 3 { // record layer major version
		return false, ErrNotTLS
	}
	if len(p) < recordHeaderLen {
		return false, nil
	}
	n := int(p[3])<<8 | int(p[4])
	if n == 0 || n > maxPlaintext {
		return false, ErrNotTLS
	}
	if len(p) > recordHeaderLen && p[recordHeaderLen] != handshakeClientHello {
		return false, ErrNotTLS
	}
	return len(p) >= recordHeaderLen+n, nil
}
