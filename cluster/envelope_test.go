package cluster

import (
	"bytes"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name          string
		flags, format byte
		origin        string
		epoch, seq    uint64
		payload       []byte
	}{
		{"topic text", 0, 1, "0123456789abcdef", 1, 1, []byte("hello")},
		{"broadcast binary", flagBroadcast, 2, "n", 1<<63 + 5, 1<<64 - 1, []byte{0, 1, 2}},
		{"empty payload", 0, 1, "x", 0, 0, nil},
		{"longest origin", 0, 2, string(bytes.Repeat([]byte{'o'}, maxOrigin)), 7, 9, []byte("p")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := appendEnvelope(nil, tc.flags, tc.format, tc.origin, tc.epoch, tc.seq, tc.payload)
			if len(b) != headerLen(len(tc.origin))+len(tc.payload) {
				t.Fatalf("length %d", len(b))
			}
			e, err := decodeEnvelope(b)
			if err != nil {
				t.Fatal(err)
			}
			if e.flags != tc.flags || e.format != tc.format || string(e.origin) != tc.origin ||
				e.epoch != tc.epoch || e.seq != tc.seq || !bytes.Equal(e.payload, tc.payload) {
				t.Fatalf("decoded %+v", e)
			}
		})
	}
}

func TestEnvelopeRefused(t *testing.T) {
	good := appendEnvelope(nil, 0, 1, "origin", 1, 2, []byte("x"))
	v2 := append([]byte(nil), good...)
	v2[0] = 2
	longOrigin := append([]byte(nil), good[:headerFixed]...)
	longOrigin[3] = 200
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errShort},
		{"short fixed header", good[:headerFixed-1], errShort},
		{"origin past the end", longOrigin, errShort},
		{"header cut", good[:headerLen(6)-1], errShort},
		{"unknown version", v2, errVersion},
	} {
		if _, err := decodeEnvelope(tc.in); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Reserved flag bits are ignored.
	fl := append([]byte(nil), good...)
	fl[1] = 0xfe
	if e, err := decodeEnvelope(fl); err != nil || e.flags&flagBroadcast != 0 {
		t.Errorf("reserved flags: %+v %v", e, err)
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, 1, 2, "abc", 3, 4, []byte("payload")))
	f.Add([]byte{1, 0, 1, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		again := appendEnvelope(nil, e.flags, e.format, string(e.origin), e.epoch, e.seq, e.payload)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, want %x", again, b)
		}
	})
}
