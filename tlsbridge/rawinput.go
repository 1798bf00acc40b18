package tlsbridge

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// crypto/tls reads records into a bytes.Buffer (tls.Conn.rawInput) that it
// grows to hold a whole record and never shrinks, and it keeps a
// bytes.Reader (tls.Conn.input) over the decrypted part of it. After one
// large record every idle connection would keep about 17 KiB. The bridge
// lends each tls.Conn a pooled buffer for the duration of a Feed instead,
// and takes it back (leaving both fields empty) as soon as no partial
// record is pending, so an idle connection holds no read buffer at all.
//
// The two fields are unexported, so their offsets are looked up with
// reflection once, and only used when their types are exactly bytes.Buffer
// and bytes.Reader. If a future Go release renames or retypes them, lending
// turns itself off and crypto/tls manages its own buffer as before
// (TestRawInputLendingAvailable fails so that the loss is noticed).
var rawLend = findRawFields()

type rawFields struct {
	ok       bool
	rawInput uintptr // offset of tls.Conn.rawInput (bytes.Buffer)
	input    uintptr // offset of tls.Conn.input (bytes.Reader)
}

func findRawFields() rawFields {
	t := reflect.TypeFor[tls.Conn]()
	raw, ok1 := t.FieldByName("rawInput")
	in, ok2 := t.FieldByName("input")
	if !ok1 || !ok2 || len(raw.Index) != 1 || len(in.Index) != 1 ||
		raw.Type != reflect.TypeFor[bytes.Buffer]() || in.Type != reflect.TypeFor[bytes.Reader]() {
		return rawFields{}
	}
	return rawFields{ok: true, rawInput: raw.Offset, input: in.Offset}
}

// rawBufSize is the size of a lent buffer. crypto/tls asks for room for the
// rest of a record plus bytes.MinRead; with up to one partial record
// (at most 5+16384+2048 bytes) at the front, 48 KiB always lets
// bytes.Buffer slide the data down instead of allocating a larger array.
const rawBufSize = 48 << 10

func rawInputOf(tc *tls.Conn) *bytes.Buffer {
	return (*bytes.Buffer)(unsafe.Add(unsafe.Pointer(tc), rawLend.rawInput))
}

func inputOf(tc *tls.Conn) *bytes.Reader {
	return (*bytes.Reader)(unsafe.Add(unsafe.Pointer(tc), rawLend.input))
}

// lendRaw gives c.tc a pooled read buffer, moving any bytes it holds (the
// start of a record, or records read during the handshake) into it. Loop
// only, before reading.
func (c *Conn) lendRaw() {
	if !rawLend.ok || c.raw != nil {
		return
	}
	rb := rawInputOf(c.tc)
	if rb.Len() > rawBufSize/2 {
		return // unusual: let crypto/tls keep its own buffer this time
	}
	bp := c.b.rawPool.Get().(*[]byte)
	buf := append((*bp)[:0], rb.Bytes()...)
	*rb = *bytes.NewBuffer(buf)
	c.raw = bp
}

// returnRaw takes the lent buffer back when no partial record is pending,
// and drops crypto/tls's own buffer as well, so that an idle connection
// keeps no read buffer. With drop, the connection is closing: everything
// is released whatever is pending. Loop only, after reading.
func (c *Conn) returnRaw(drop bool) {
	if !rawLend.ok || c.tc == nil {
		return
	}
	rb, in := rawInputOf(c.tc), inputOf(c.tc)
	if !drop && (rb.Len() > 0 || in.Len() > 0) {
		// A partial record waits for more ciphertext. Keep the lent buffer
		// while crypto/tls still uses it; if it outgrew it, crypto/tls
		// moved to its own array and the lent one is free.
		if c.raw != nil && rb.Cap() != cap(*c.raw) {
			c.putRaw()
		}
		return
	}
	*rb = bytes.Buffer{}
	in.Reset(nil)
	if c.raw != nil {
		c.putRaw()
	}
}

func (c *Conn) putRaw() {
	*c.raw = (*c.raw)[:0]
	c.b.rawPool.Put(c.raw)
	c.raw = nil
}
