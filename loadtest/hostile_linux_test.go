package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/klauspost/compress/flate"
)

// Limits of the hostile test server.
const (
	hsHeaderTimeout = 300 * time.Millisecond
	hsMaxMessage    = 2 << 20
	hsWriteTimeout  = 500 * time.Millisecond
)

// hostileServer is a gobwas/ws echo server that defends itself the way a
// WebSocket server should (header timeout and size limit, frame checks,
// message and inflated-size limits, UTF-8 checks, a write deadline for slow
// readers) and serves /metrics.json with a "Connections" count. Modes:
//
//	strict  as above
//	lax     no header timeout; echoes, but ignores every protocol error
//	        (the connection stays open, its input discarded)
//	leaky   strict, but /metrics.json counts every connection ever upgraded
type hostileServer struct {
	mode string
	hs   *httptest.Server
	url  string
	open atomic.Int64 // upgraded connections open now
	ever atomic.Int64 // upgraded connections in total
}

func startHostileServer(t testing.TB, mode string) *hostileServer {
	t.Helper()
	s := &hostileServer{mode: mode}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.hs.Config.MaxHeaderBytes = 4 << 10
	if mode != "lax" {
		s.hs.Config.ReadHeaderTimeout = hsHeaderTimeout
	}
	s.hs.Start()
	s.url = "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/ws"
	t.Cleanup(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
	})
	return s
}

func (s *hostileServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics.json" {
		n := s.open.Load()
		if s.mode == "leaky" {
			n = s.ever.Load()
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Connections": n, "Other": "x"})
		return
	}
	ext := wsflate.Extension{Parameters: wsflate.DefaultParameters}
	u := ws.HTTPUpgrader{Negotiate: ext.Negotiate}
	conn, brw, _, err := u.Upgrade(r, w)
	if err != nil {
		return
	}
	s.open.Add(1)
	s.ever.Add(1)
	defer s.open.Add(-1)
	defer conn.Close()
	_, deflate := ext.Accepted()
	session(conn, brw.Reader, deflate, s.mode == "lax")
}

// session is the strict server's per-connection loop.
func session(conn net.Conn, br io.Reader, deflate, lax bool) {
	closeWith := func(code ws.StatusCode) {
		if lax {
			_ = conn.SetReadDeadline(time.Time{})
			_, _ = io.Copy(io.Discard, br)
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(hsWriteTimeout))
		_ = ws.WriteFrame(conn, ws.NewCloseFrame(ws.NewCloseFrameBody(code, "")))
	}
	state := ws.StateServerSide
	if deflate {
		state |= ws.StateExtended
	}
	var msg []byte
	var msgOp ws.OpCode
	var compressed, fragmented bool
	for {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		h, err := ws.ReadHeader(br)
		if errors.Is(err, ws.ErrHeaderLengthMSB) || errors.Is(err, ws.ErrHeaderLengthUnexpected) {
			closeWith(ws.StatusProtocolError)
			return
		}
		if err != nil {
			return
		}
		st := state
		if fragmented {
			st |= ws.StateFragmented
		}
		if ws.CheckHeader(h, st) != nil {
			closeWith(ws.StatusProtocolError)
			return
		}
		if h.OpCode.IsControl() {
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(br, p); err != nil {
				return
			}
			ws.Cipher(p, h.Mask, 0)
			switch h.OpCode {
			case ws.OpClose:
				if len(p) == 1 {
					closeWith(ws.StatusProtocolError)
				} else {
					_ = ws.WriteFrame(conn, ws.NewCloseFrame(p))
				}
				return
			case ws.OpPing:
				_ = conn.SetWriteDeadline(time.Now().Add(hsWriteTimeout))
				if ws.WriteFrame(conn, ws.NewPongFrame(p)) != nil {
					return
				}
			}
			continue
		}
		if int64(len(msg))+h.Length > hsMaxMessage {
			closeWith(ws.StatusMessageTooBig)
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		ws.Cipher(p, h.Mask, 0)
		if h.OpCode != ws.OpContinuation {
			msgOp, compressed, msg = h.OpCode, h.Rsv1(), msg[:0]
		}
		msg = append(msg, p...)
		if fragmented = !h.Fin; fragmented {
			continue
		}
		data := msg
		if compressed {
			fr := flate.NewReader(io.MultiReader(bytes.NewReader(msg), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
			data, err = io.ReadAll(io.LimitReader(fr, hsMaxMessage+1))
			if len(data) > hsMaxMessage {
				closeWith(ws.StatusMessageTooBig)
				return
			}
			if err != nil {
				closeWith(ws.StatusProtocolError)
				return
			}
		}
		if msgOp == ws.OpText && !utf8.Valid(data) {
			closeWith(ws.StatusInvalidFramePayloadData)
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(hsWriteTimeout))
		if wsutil.WriteServerMessage(conn, msgOp, data) != nil {
			return // a slow reader: drop it
		}
	}
}

// hostileOptions are a short hostile run against url.
func hostileOptions(url string) Options {
	o := quick(url, &Hostile{Load: Echo{Inflight: 2}, Baseline: 300 * time.Millisecond, Attackers: 6, AttackRounds: 1,
		AttackTimeout: 2 * time.Second, ServerMaxMessage: hsMaxMessage, BudgetConns: 4})
	o.Conns, o.Duration = 4, 3*time.Second
	return o
}

// Every attack runs against a server that defends itself, and each outcome
// is the one that server produces.
func TestHostileAttacksAndOutcomes(t *testing.T) {
	s := startHostileServer(t, "strict")
	o := hostileOptions(s.url)
	o.ServerPID, o.SampleInterval = os.Getpid(), 100*time.Millisecond
	res := mustRun(t, o)

	want := map[string][]string{ // acceptable outcomes per attack kind
		AttackSlowloris:  {"tcp_close"},
		AttackDribble:    {"tcp_close", "http_400", "http_408"}, // net/http answers a partial request line with 400
		AttackHeaders:    {"http_431"},
		AttackOversize:   {"close_1009"},
		AttackBomb:       {"close_1009"},
		AttackSlowReader: {"tcp_close", "reset"},
		AttackPingFlood:  {"echo_ok"},
		AttackFragFlood:  {"echo_ok"},
		AttackGarbage:    {"close_1002"},
		AttackVanish:     {"reset_sent"},
	}
	for _, v := range badFrames {
		want[AttackBadFrames] = append(want[AttackBadFrames], v.name+"/close_1002")
	}
	for _, v := range badUTF8 {
		want[AttackBadUTF8] = append(want[AttackBadUTF8], v.name+"/close_1007")
	}
	if len(res.Attacks) != len(AttackKinds) {
		t.Fatalf("attacks recorded: %d kinds, want %d", len(res.Attacks), len(AttackKinds))
	}
	for kind, outs := range want {
		a := res.Attacks[kind]
		attempts := uint64(1)
		if kind == AttackBadFrames || kind == AttackBadUTF8 {
			attempts = uint64(len(outs))
		}
		if a == nil || a.Attempts != attempts || a.NotRun != 0 || a.Failures != 0 {
			t.Errorf("%s: %+v, want %d attempts and no failures", kind, a, attempts)
			continue
		}
		var got uint64
		for _, o := range outs {
			got += a.Outcomes[o]
		}
		if got != attempts {
			t.Errorf("%s outcomes %v, want each of %v", kind, a.Outcomes, outs)
		}
		if a.BytesSent == 0 {
			t.Errorf("%s sent nothing", kind)
		}
	}
	if m := res.Attacks[AttackSlowloris].MaxCloseMS; m < float64(hsHeaderTimeout.Milliseconds())-50 || m > 1500 {
		t.Errorf("slowloris closed after %.0f ms, want about %v", m, hsHeaderTimeout)
	}
	if p := res.Attacks[AttackPingFlood].Pongs; p != floodCount {
		t.Errorf("pongs %d, want %d", p, floodCount)
	}
	h := res.Hostile
	if h == nil || h.Verdict != VerdictPass || len(h.Reasons) != 0 || h.AttackFailures != 0 {
		t.Fatalf("hostile %+v", h)
	}
	if res.ErrorsTotal != 0 || h.BaselineErrors != 0 || h.BaselineLatency.Count == 0 || res.Latency.Count == 0 || h.P99Ratio <= 0 {
		t.Errorf("errors %v baseline %+v attack latency %+v", res.Errors, h, res.Latency)
	}
	if h.ServerConnsAfter != 0 || h.MetricsError != "" {
		t.Errorf("server conns after %d (%s)", h.ServerConnsAfter, h.MetricsError)
	}
	if res.Server == nil || h.RSSBaselineKB <= 0 || h.RSSAttackPeakKB <= 0 || h.RSSAfterKB <= 0 || len(res.Server.Samples) < 5 {
		t.Errorf("rss: hostile %+v server %+v", h, res.Server)
	}
	if res.Scenario != ScenarioHostile || res.Connections.Opened != uint64(o.Conns) {
		t.Errorf("scenario %q opened %d", res.Scenario, res.Connections.Opened)
	}
}

// Against a server without defences the attacks that must be cut off are
// failures, the verdict fails and Main exits 1 with a summary saying why.
func TestHostileReportsFailures(t *testing.T) {
	s := startHostileServer(t, "lax")
	var out, errOut bytes.Buffer
	path := t.TempDir() + "/h.json"
	code := Main(context.Background(), []string{"-scenario", "hostile", "-conns", "2", "-duration", "1500ms", "-baseline", "200ms",
		"-attacks", "slowloris, badframes,headers", "-attack-rounds", "1", "-attackers", "12", "-attack-timeout", "600ms",
		"-progress", "-1s", "-json", path, s.url}, &out, &errOut)
	if code != exitErrors {
		t.Fatalf("exit %d, want %d; stderr %s\n%s", code, exitErrors, errOut.String(), out.String())
	}
	text := out.String()
	for _, w := range []string{"verdict", "FAIL", "slowloris failed 1 of 1", "badframes failed 9 of 9", "still_open", "under attack", "baseline"} {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
	res := readResultFile(t, path)
	if a := res.Attacks[AttackSlowloris]; a == nil || a.Outcomes["still_open"] != 1 || a.Failures != 1 {
		t.Errorf("slowloris %+v", a)
	}
	// A lax net/http still refuses 64 KiB of headers: not a failure.
	if a := res.Attacks[AttackHeaders]; a == nil || a.Outcomes["http_431"] != 1 || a.Failures != 0 {
		t.Errorf("headers %+v", a)
	}
	if res.ErrorsTotal != 0 || res.Hostile.Verdict != VerdictFail {
		t.Errorf("errors %v verdict %s", res.Errors, res.Hostile.Verdict)
	}
}

func TestPlanAttacks(t *testing.T) {
	tests := []struct {
		attacks []string
		rounds  int
		want    int
	}{
		{[]string{AttackSlowloris}, 3, 3},
		{[]string{AttackBadFrames, AttackVanish}, 2, 2 * (len(badFrames) + 1)},
		{AttackKinds, 1, len(AttackKinds) - 2 + len(badFrames) + len(badUTF8)},
	}
	for _, tc := range tests {
		h := Hostile{Attacks: tc.attacks, AttackRounds: tc.rounds}
		if got := planAttacks(&h); len(got) != tc.want {
			t.Errorf("%v x%d: %d tasks, want %d", tc.attacks, tc.rounds, len(got), tc.want)
		}
	}
}

func TestHostileRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		sc   Scenario
	}{
		{"attack", &Hostile{Attacks: []string{"slowloris", "nuke"}}},
		{"attackers", &Hostile{Attackers: maxAttackers + 1}},
		{"metrics path", &Hostile{MetricsPath: "metrics"}},
		{"load", &Hostile{Load: Echo{Inflight: maxInflight + 1}}},
		{"cycles", &Soak{Cycles: -1}},
		{"soak metrics path", &Soak{MetricsPath: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{URLs: []string{"ws://127.0.0.1:1/"}, Scenario: tc.sc}
			if _, err := Run(context.Background(), o, nil); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

// The bomb is small on the wire and inflates to exactly 100 MiB.
func TestBombPayload(t *testing.T) {
	p, err := bombPayload()
	if err != nil {
		t.Fatal(err)
	}
	if len(p) > 200<<10 || len(p) < 50<<10 {
		t.Errorf("bomb is %d bytes, want about 100 KB", len(p))
	}
	fr := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	n, err := io.Copy(io.Discard, fr)
	if n != bombSize || (err != nil && !errors.Is(err, io.ErrUnexpectedEOF)) {
		t.Errorf("inflated %d bytes (err %v), want %d", n, err, bombSize)
	}
}
