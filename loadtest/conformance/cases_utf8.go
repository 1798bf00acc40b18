package conformance

import "time"

func utf8Cases() []Case {
	fail1007 := failWith(1007)
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }

	add(Case{ID: "6.1.1", Quick: true, Description: "Send an empty text message; expect an empty echo.",
		Run: okCase(sendS(textFrame("")), expectS(wantText("")))})
	add(Case{ID: "6.1.2", Quick: true, Description: "Send a text message of three empty fragments; expect an empty echo.",
		Run: okCase(sendS(fragment(opText, false, nil), fragment(opCont, false, nil), fragment(opCont, true, nil)), expectS(wantText("")))})
	add(Case{ID: "6.1.3", Quick: true, Description: "Send an empty text fragment, a non-empty one and an empty final one; expect the echo.",
		Run: okCase(sendS(fragment(opText, false, nil), fragment(opCont, false, []byte("middle")), fragment(opCont, true, nil)), expectS(wantText("middle")))})

	for i, v := range validUTF8 {
		f := textFrame(v.data)
		add(Case{ID: id(6, 2, i+1), Quick: v.quick, Description: "Send valid UTF-8 (" + v.name + ") in one frame; expect it echoed.",
			Run: okCase(sendS(f), expectS(wantMsg(f)))})
	}

	long := "κόσμε Hello, 世界 \U0001F600 \xf4\x8f\xbf\xbf \xed\x9f\xbf end"
	var perByte []frame
	for i := 0; i < len(long); i++ {
		op := opText
		if i > 0 {
			op = opCont
		}
		perByte = append(perByte, fragment(op, i == len(long)-1, []byte{long[i]}))
	}
	var perRune []frame
	for i, r := range []rune(long) {
		op := opText
		if i > 0 {
			op = opCont
		}
		perRune = append(perRune, fragment(op, i == len([]rune(long))-1, []byte(string(r))))
	}
	add(Case{ID: "6.3.1", Quick: true, Description: "Send valid multi-byte text as one-byte fragments (splitting code points); expect it echoed.",
		Run: okCase(sendS(perByte...), expectS(wantText(long)))})
	add(Case{ID: "6.3.2", Quick: true, Description: "Send valid multi-byte text in one frame, one byte per TCP write; expect it echoed.",
		Run: okCase(chopS(1, 0, textFrame(long)), expectS(wantText(long)))})
	add(Case{ID: "6.3.3", Quick: true, Description: "Send valid multi-byte text with one fragment per code point; expect it echoed.",
		Run: okCase(sendS(perRune...), expectS(wantText(long)))})

	for i, v := range invalidUTF8 {
		add(Case{ID: id(6, 4, i+1), Quick: v.quick,
			Description: "Send invalid UTF-8 (" + v.name + ") in one text frame; expect failure with 1007.",
			Run:         failCase(fail1007, sendS(textFrame(v.data)))})
	}
	for i, v := range invalidUTF8 {
		msg := []byte(v.data + "!tail")
		fp := utf8FailPoint(msg)
		var fs []frame
		for j, b := range msg {
			op := opText
			if j > 0 {
				op = opCont
			}
			fs = append(fs, fragment(op, j == len(msg)-1, []byte{b}))
		}
		add(Case{ID: id(6, 5, i+1), Quick: v.quick,
			Description: "Send invalid UTF-8 (" + v.name + ") followed by \"!tail\" as one-byte fragments; fail-fast: expect failure with 1007 right after the fragment that makes it invalid (only at the end is NON-STRICT).",
			Run:         failFast(encodeFrames(fs[:fp]...), encodeFrames(fs[fp:]...), 0, true, fail1007)})
	}
	for i, v := range invalidUTF8 {
		msg := []byte(v.data + "!tail")
		fp := utf8FailPoint(msg)
		wire := encodeFrames(textFrame(string(msg)))
		hdr := len(wire) - len(msg)
		add(Case{ID: id(6, 6, i+1), Quick: v.quick,
			Description: "Send invalid UTF-8 (" + v.name + ") followed by \"!tail\" in one text frame, one byte per TCP write; fail-fast: expect failure with 1007 as soon as the offending byte arrives (only at the end is NON-STRICT).",
			Run:         failFast(wire[:hdr+fp], wire[hdr+fp:], 1, true, fail1007)})
	}
	prefix := fragment(opText, false, []byte("κόσμε "))
	for i, v := range []utf8Vector{invalidUTF8[0], invalidUTF8[12], invalidUTF8[19], invalidUTF8[23], invalidUTF8[10]} {
		mid := fragment(opCont, false, []byte(v.data))
		last := fragment(opCont, true, []byte(" edited"))
		add(Case{ID: id(6, 7, i+1), Quick: true,
			Description: "Send a valid text fragment, a fragment with invalid UTF-8 (" + v.name + "), pause, then the final fragment; fail-fast: expect failure with 1007 before the final fragment.",
			Run:         failFast(encodeFrames(prefix, mid), encodeFrames(last), 0, true, fail1007)})
	}
	add(Case{ID: "6.8.1", Quick: true, Description: "Send a text message whose code point is split across two fragments sent 200 ms apart; expect it echoed.",
		Run: okCase(eachS(200*time.Millisecond, fragment(opText, false, []byte("\xf0\x9f")), fragment(opCont, true, []byte("\x98\x80"))), expectS(wantText("\U0001F600")))})
	add(Case{ID: "6.8.2", Quick: true, Description: "Send a binary message that is not UTF-8; expect it echoed (binary data is not validated).",
		Run: okCase(sendS(binFrame([]byte("\xff\xfe\xed\xa0\x80\xc0\xaf"))), expectS(wantBin([]byte("\xff\xfe\xed\xa0\x80\xc0\xaf"))))})
	return cs
}
