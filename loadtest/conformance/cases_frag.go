package conformance

import "time"

func fragCases() []Case {
	fail := failWith(1002)
	f1 := fragment(opText, false, []byte("fragment1"))
	f2 := fragment(opCont, true, []byte("fragment2"))
	both := wantText("fragment1fragment2")
	ping := pingFrame([]byte("between"))
	pong := wantPong([]byte("between"))
	pause := 200 * time.Millisecond

	var oneByte []frame
	bin16 := binPayload(16)
	for i, b := range bin16 {
		op := opBinary
		if i > 0 {
			op = opCont
		}
		oneByte = append(oneByte, fragment(op, i == len(bin16)-1, []byte{b}))
	}
	var interleaved []frame
	var interPongs []want
	text20 := "twenty bytes of text"
	for i := 0; i < len(text20); i++ {
		op := opText
		if i > 0 {
			op = opCont
		}
		interleaved = append(interleaved, fragment(op, i == len(text20)-1, []byte{text20[i]}))
		if i < len(text20)-1 {
			p := []byte("p" + itoa(i))
			interleaved = append(interleaved, pingFrame(p))
			interPongs = append(interPongs, wantPong(p))
		}
	}
	five := []frame{
		fragment(opText, false, []byte("one ")), pingFrame([]byte("1")),
		fragment(opCont, false, []byte("two ")), pingFrame([]byte("2")),
		fragment(opCont, false, []byte("three ")), pingFrame([]byte("3")),
		fragment(opCont, false, []byte("four ")), pingFrame([]byte("4")),
		fragment(opCont, true, []byte("five")),
	}
	fivePongs := []want{wantPong([]byte("1")), wantPong([]byte("2")), wantPong([]byte("3")), wantPong([]byte("4")), wantText("one two three four five")}

	return []Case{
		{ID: "5.1", Description: "Send a ping in two fragments; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opPing, payload: []byte("frag")}, fragment(opCont, true, []byte("ment"))))},
		{ID: "5.2", Description: "Send a pong in two fragments; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opPong, payload: []byte("frag")}, fragment(opCont, true, []byte("ment"))))},
		{ID: "5.3", Description: "Send a text message in two fragments; expect the whole message echoed.",
			Run: okCase(sendS(f1, f2), expectS(both))},
		{ID: "5.4", Description: "As 5.3, one byte per TCP write.",
			Run: okCase(chopS(1, 0, f1, f2), expectS(both))},
		{ID: "5.5", Description: "As 5.3 with a 200 ms pause between the fragments.",
			Run: okCase(eachS(pause, f1, f2), expectS(both))},
		{ID: "5.6", Description: "Send a text message in two fragments with a ping between them; expect the pong, then the echo.",
			Run: okCase(sendS(f1, ping, f2), expectS(pong, both))},
		{ID: "5.7", Description: "As 5.6, one byte per TCP write.",
			Run: okCase(chopS(1, 0, f1, ping, f2), expectS(pong, both))},
		{ID: "5.8", Description: "As 5.6 with 200 ms pauses between the frames.",
			Run: okCase(eachS(pause, f1, ping, f2), expectS(pong, both))},
		{ID: "5.9", Description: "Send a final continuation frame with no message started, then a valid message; expect failure with 1002.",
			Run: failCase(fail, sendS(fragment(opCont, true, []byte("orphan")), textFrame("valid")))},
		{ID: "5.10", Description: "As 5.9, one byte per TCP write.",
			Run: failCase(fail, chopS(1, 0, fragment(opCont, true, []byte("orphan")), textFrame("valid")))},
		{ID: "5.11", Description: "As 5.9 with a 200 ms pause between the frames.",
			Run: failCase(fail, eachS(pause, fragment(opCont, true, []byte("orphan")), textFrame("valid")))},
		{ID: "5.12", Description: "Send a non-final continuation frame with no message started; expect failure with 1002.",
			Run: failCase(fail, sendS(fragment(opCont, false, []byte("orphan")), fragment(opCont, true, []byte("s"))))},
		{ID: "5.13", Description: "Start a fragmented text message, then send a new (final) text frame; expect failure with 1002.",
			Run: failCase(fail, sendS(f1, textFrame("new message")))},
		{ID: "5.14", Description: "Send a complete fragmented message, then a non-final continuation, then a text frame; expect the echo, then failure with 1002.",
			Run: failCase(fail, sendS(f1, f2, fragment(opCont, false, []byte("stray")), textFrame("x")), expectS(both))},
		{ID: "5.15", Description: "Send a close frame (1000) with FIN clear; expect failure with 1002.",
			Run: failCase(fail, sendS(frame{op: opClose, payload: closeBody(1000, "")}, fragment(opCont, true, nil)))},
		{ID: "5.16", Description: "Send a 16-byte binary message as 16 one-byte fragments; expect it echoed.",
			Run: okCase(sendS(oneByte...), expectS(wantBin(bin16)))},
		{ID: "5.17", Description: "Send a 20-byte text message as one-byte fragments with a ping after each; expect 19 pongs then the echo.",
			Run: okCase(sendS(interleaved...), expectS(append(interPongs, wantText(text20))...))},
		{ID: "5.18", Description: "Send a text message whose first and last fragments are empty; expect it echoed.",
			Run: okCase(sendS(fragment(opText, false, nil), fragment(opCont, false, []byte("middle")), fragment(opCont, true, nil)), expectS(wantText("middle")))},
		{ID: "5.19", Description: "Start a fragmented binary message, then send a binary frame instead of a continuation; expect failure with 1002.",
			Run: failCase(fail, sendS(fragment(opBinary, false, []byte{1}), fragment(opBinary, true, []byte{2})))},
		{ID: "5.20", Description: "Send a text message in 5 fragments with pings between them and 100 ms pauses; expect 4 pongs then the echo.",
			Run: okCase(eachS(100*time.Millisecond, five...), expectS(fivePongs...))},
		{ID: "5.21", Description: "Send a fragmented message whose second fragment is a binary-opcode frame and final; expect failure with 1002.",
			Run: failCase(fail, sendS(f1, fragment(opBinary, true, []byte("wrong"))))},
	}
}
