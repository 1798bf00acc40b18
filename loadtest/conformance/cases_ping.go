package conformance

func pingCases() []Case {
	p125 := binPayload(125)
	var tenPings []frame
	var tenPongs []want
	for i := 0; i < 10; i++ {
		p := []byte("ping " + itoa(i))
		tenPings = append(tenPings, pingFrame(p))
		tenPongs = append(tenPongs, wantPong(p))
	}
	var allPings []frame
	var allPongs []want
	for n := 0; n <= 125; n++ {
		p := textPayload(n)
		allPings = append(allPings, pingFrame(p))
		allPongs = append(allPongs, wantPong(p))
	}
	bin := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	return []Case{
		{ID: "2.1", Description: "Send a ping without payload; expect an empty pong.",
			Run: okCase(sendS(pingFrame(nil)), expectS(wantPong(nil)))},
		{ID: "2.2", Description: "Send a ping with a short text payload; expect a pong with the same payload.",
			Run: okCase(sendS(pingFrame([]byte("Hello, pong"))), expectS(wantPong([]byte("Hello, pong"))))},
		{ID: "2.3", Description: "Send a ping with a binary (non-UTF-8) payload; expect a pong with the same payload.",
			Run: okCase(sendS(pingFrame(bin)), expectS(wantPong(bin)))},
		{ID: "2.4", Description: "Send a ping with a 125-byte payload (the maximum); expect the pong.",
			Run: okCase(sendS(pingFrame(p125)), expectS(wantPong(p125)))},
		{ID: "2.5", Description: "Send a ping with a 126-byte payload (too long for a control frame); expect failure with 1002.",
			Run: failCase(failWith(1002), sendS(pingFrame(binPayload(126))))},
		{ID: "2.6", Description: "Send a 125-byte ping one byte per TCP write; expect the pong.",
			Run: okCase(chopS(1, 0, pingFrame(p125)), expectS(wantPong(p125)))},
		{ID: "2.7", Description: "Send an unsolicited empty pong, then a text message; expect only the echo (the pong is ignored).",
			Run: okCase(sendS(pongFrame(nil), textFrame("after pong")), expectS(wantText("after pong")))},
		{ID: "2.8", Description: "Send an unsolicited pong with payload, then a text message; expect only the echo.",
			Run: okCase(sendS(pongFrame([]byte("unsolicited")), textFrame("after pong")), expectS(wantText("after pong")))},
		{ID: "2.9", Description: "Send an unsolicited pong, then a ping; expect exactly one pong, for the ping.",
			Run: okCase(sendS(pongFrame([]byte("unsolicited")), pingFrame([]byte("solicited"))), expectS(wantPong([]byte("solicited"))))},
		{ID: "2.10", Description: "Send 10 pings in one write; expect 10 pongs in order.",
			Run: okCase(sendS(tenPings...), expectS(tenPongs...))},
		{ID: "2.11", Description: "Send 10 pings one byte per TCP write; expect 10 pongs in order.",
			Run: okCase(chopS(1, 0, tenPings...), expectS(tenPongs...))},
		{ID: "2.12", Description: "Send 126 pings with payload lengths 0 to 125; expect 126 matching pongs in order.",
			Run: okCase(sendS(allPings...), expectS(allPongs...))},
		{ID: "2.13", Description: "Send a text message with a ping before and after it; expect pong, echo, pong in order.",
			Run: okCase(sendS(pingFrame([]byte("a")), textFrame("middle"), pingFrame([]byte("b"))),
				expectS(wantPong([]byte("a")), wantText("middle"), wantPong([]byte("b"))))},
	}
}

func rsvCases() []Case {
	hello := textFrame("Hello")
	rsvText := func(bits byte) frame { return frame{op: opText, fin: true, rsv: bits, payload: []byte("reserved")} }
	fail := failWith(1002)
	return []Case{
		{ID: "3.1", Description: "Send a text frame with RSV1 set and no extension negotiated; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opText, fin: true, rsv: rsv1, payload: []byte("rsv1")}))},
		{ID: "3.2", Description: "Send a valid text message, a text frame with RSV2, and a ping in one write; expect the echo, then failure with 1002 (no pong).",
			Run: failCase(fail, sendS(hello, rsvText(rsv2), pingFrame(nil)), expectS(wantMsg(hello)))},
		{ID: "3.3", Description: "As 3.2 with RSV3, each frame in its own write; expect the echo, then failure with 1002.",
			Run: failCase(fail, eachS(0, hello, rsvText(rsv3), pingFrame(nil)), expectS(wantMsg(hello)))},
		{ID: "3.4", Description: "As 3.2 with RSV1+RSV2, one byte per TCP write; expect the echo, then failure with 1002.",
			Run: failCase(fail, chopS(1, 0, hello, rsvText(rsv1|rsv2), pingFrame(nil)), expectS(wantMsg(hello)))},
		{ID: "3.5", Description: "Send a binary frame with RSV1+RSV3; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opBinary, fin: true, rsv: rsv1 | rsv3, payload: []byte{1, 2, 3}}))},
		{ID: "3.6", Description: "Send a ping with RSV2+RSV3; expect failure with 1002 and no pong.",
			Run: failCase(fail, sendS(frame{op: opPing, fin: true, rsv: rsv2 | rsv3, payload: []byte("ping")}))},
		{ID: "3.7", Description: "Send a close frame (1000) with all RSV bits set; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opClose, fin: true, rsv: 7, payload: closeBody(1000, "")}))},
		{ID: "3.8", Description: "Send a fragmented text message whose continuation frame has RSV1; expect failure with 1002.",
			Run: failCase(fail, sendS(fragment(opText, false, []byte("frag")), frame{op: opCont, fin: true, rsv: rsv1, payload: []byte("ment")}))},
		{ID: "3.9", Description: "Send a pong with RSV1, then a text message; expect failure with 1002 and no echo.",
			Run: failCase(fail, sendS(frame{op: opPong, fin: true, rsv: rsv1}, textFrame("not echoed")))},
	}
}

func opcodeCases() []Case {
	var cs []Case
	fail := failWith(1002)
	for g, ops := range [][]byte{{3, 4, 5, 6, 7}, {0xB, 0xC, 0xD, 0xE, 0xF}} {
		kind := "non-control"
		if g == 1 {
			kind = "control"
		}
		for i, op := range ops {
			var run func(ctxT, *Target) Verdict
			desc := "Send a frame with reserved " + kind + " opcode " + hexByte(op)
			switch i {
			case 0:
				run = failCase(fail, sendS(frame{op: op, fin: true}))
				desc += " and no payload"
			case 1:
				run = failCase(fail, sendS(frame{op: op, fin: true, payload: []byte("reserved payload")}))
				desc += " with a payload"
			default:
				hello := textFrame("Hello " + itoa(i))
				var p []byte
				if i != 2 {
					p = []byte("reserved payload")
				}
				run = failCase(fail, sendS(hello, frame{op: op, fin: true, payload: p}, pingFrame(nil)), expectS(wantMsg(hello)))
				desc = "Send a valid text message, a frame with reserved " + kind + " opcode " + hexByte(op) + ", and a ping; expect the echo"
			}
			cs = append(cs, Case{ID: id(4, g+1, i+1), Description: desc + "; expect failure with 1002.", Run: run})
		}
	}
	return cs
}

func hexByte(b byte) string {
	const h = "0123456789ABCDEF"
	return "0x" + string(h[b>>4]) + string(h[b&15])
}
