package conformance

import "time"

// Family names.
const (
	famFraming   = "1 Framing"
	famPing      = "2 Ping/Pong"
	famRSV       = "3 Reserved bits"
	famOpcode    = "4 Opcodes"
	famFrag      = "5 Fragmentation"
	famUTF8      = "6 UTF-8 handling"
	famClose     = "7 Close handling"
	famLimits    = "9 Limits and performance"
	famAutoFrag  = "10 Auto-fragmentation"
	famDeflate   = "12 permessage-deflate echo"
	famNegotiate = "13 permessage-deflate negotiation"
	famHandshake = "H Opening handshake"
)

func framingCases() []Case {
	var cs []Case
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536}
	for k, kind := range []struct {
		op   byte
		name string
		gen  func(int) []byte
	}{{opText, "text", textPayload}, {opBinary, "binary", binPayload}} {
		for i, n := range lengths {
			p := kind.gen(n)
			f := frame{op: kind.op, fin: true, payload: p}
			cs = append(cs, Case{
				ID: id(1, k+1, i+1), Family: famFraming, Quick: true,
				Description: "Send a " + kind.name + " message of " + itoa(n) + " bytes; expect it echoed.",
				Run:         okCase(sendS(f), expectS(wantMsg(f))),
			})
		}
		p := kind.gen(65536)
		f := frame{op: kind.op, fin: true, payload: p}
		cs = append(cs, Case{
			ID: id(1, k+1, 8), Family: famFraming, Quick: true,
			Description: "Send a " + kind.name + " message of 65536 bytes in TCP writes of 997 bytes; expect it echoed.",
			Run:         okCase(chopS(997, 0, f), expectS(wantMsg(f))),
		})
		small := frame{op: kind.op, fin: true, payload: kind.gen(200)}
		cs = append(cs, Case{
			ID: id(1, k+1, 9), Family: famFraming, Quick: true,
			Description: "Send a " + kind.name + " message of 200 bytes one byte per TCP write (header split everywhere); expect it echoed.",
			Run:         okCase(chopS(1, 0, small), expectS(wantMsg(small))),
		})
	}
	two := []frame{textFrame("first"), binFrame([]byte{0, 1, 2, 3}), textFrame("third")}
	cs = append(cs,
		Case{ID: "1.3.1", Family: famFraming, Quick: true,
			Description: "Send three messages in one TCP write; expect three echoes in order.",
			Run:         okCase(sendS(two...), expectS(wantMsg(two[0]), wantMsg(two[1]), wantMsg(two[2])))},
		Case{ID: "1.3.2", Family: famFraming, Quick: true,
			Description: "Send a text message with a pause of 100 ms between header and payload; expect it echoed.",
			Run: func() func(ctxT, *Target) Verdict {
				f := textFrame("split after the header")
				b := encodeFrames(f)
				return okCase(func(c *conn) error {
					c.write(b[:6], 0, 0)
					time.Sleep(100 * time.Millisecond)
					c.write(b[6:], 0, 0)
					return nil
				}, expectS(wantMsg(f)))
			}()},
		Case{ID: "1.4.1", Family: famFraming, Quick: true,
			Description: "Send an unmasked text frame; expect the connection failed with 1002.",
			Run:         failCase(failWith(1002), sendS(frame{op: opText, fin: true, payload: []byte("unmasked"), unmasked: true}))},
		Case{ID: "1.4.2", Family: famFraming, Quick: true,
			Description: "Send a text frame masked with the all-zero key (valid); expect it echoed.",
			Run: okCase(sendS(frame{op: opText, fin: true, payload: []byte("zero mask"), zeroMask: true}),
				expectS(wantText("zero mask")))},
		Case{ID: "1.4.3", Family: famFraming, Quick: true,
			Description: "Send a valid text message, then an unmasked ping; expect the echo, then failure with 1002.",
			Run: failCase(failWith(1002), sendS(textFrame("masked"), frame{op: opPing, fin: true, unmasked: true}),
				expectS(wantText("masked")))},
		Case{ID: "1.5.1", Family: famFraming, Quick: true,
			Description: "Send a 10-byte text message with a non-minimal 64-bit length; RFC 6455 requires minimal encoding, servers may echo or fail with 1002 (Informational).",
			Run:         nonMinimalLength},
		Case{ID: "1.5.2", Family: famFraming, Quick: true,
			Description: "Send a frame whose 64-bit length has the most significant bit set; expect failure with 1002 (1009 is NON-STRICT).",
			Run: failCase(failSpec{ok: []uint16{1002}, lenient: []uint16{1009}},
				sendS(frame{op: opBinary, fin: true, rawLen: 1 << 63, payload: []byte("x")}))},
	)
	return cs
}

// nonMinimalLength judges 1.5.1: either echo or a 1002 failure is acceptable.
func nonMinimalLength(ctx ctxT, t *Target) Verdict {
	c, v, ok := dial(ctx, t, dialOptions{})
	if !ok {
		return v
	}
	defer c.close()
	c.send(frame{op: opText, fin: true, payload: []byte("0123456789"), len64: true})
	m, err := c.readMessage()
	if err == nil {
		if m.op != opText || string(m.payload) != "0123456789" {
			return failf("got %s, want the echo or a failure", describe(m))
		}
		v := c.closeClean(1000)
		if v.Status == OK {
			v = infof("accepted a non-minimal length and echoed the message")
		}
		return v
	}
	v = c.failureFrom(err, failWith(1002))
	if v.Status == OK {
		v.Status = Informational
		v.Detail = "rejected a non-minimal length: " + v.Detail
	}
	return v
}
