package loadtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/wsloop/wsloop/loadtest"
)

// echoServer is a small WebSocket echo server for the examples.
func echoServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			msg, op, err := wsutil.ReadClientData(conn)
			if err != nil || wsutil.WriteServerMessage(conn, op, msg) != nil {
				return
			}
		}
	}))
}

// Ten connections send twenty verified echoes each.
func ExampleRun() {
	srv := echoServer()
	defer srv.Close()
	res, err := loadtest.Run(context.Background(), loadtest.Options{
		URLs:     []string{"ws://" + strings.TrimPrefix(srv.URL, "http://") + "/"},
		Scenario: &loadtest.Echo{Size: 64, Messages: 20},
		Conns:    10,
		Duration: 10 * time.Second,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("received", res.Messages.Received, "errors", res.ErrorsTotal)
	// Output: received 200 errors 0
}

// A script logs each connection in, then sends pings whose answers are
// checked; a threshold judges the result.
func ExampleScript() {
	srv := echoServer()
	defer srv.Close()
	script, err := loadtest.ParseScript(strings.NewReader(`
open login user-{{conn}}
expect exact login user-{{conn}}
send ping {{seq}}
expect prefix ping
within 1s
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	script.Messages = 5
	res, err := loadtest.Run(context.Background(), loadtest.Options{
		URLs:     []string{"ws://" + strings.TrimPrefix(srv.URL, "http://") + "/"},
		Scenario: script,
		Conns:    4,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	th, _ := loadtest.ParseThreshold("errors==0")
	fmt.Println("answers", res.Messages.Received, "pass", res.JudgeThresholds([]loadtest.Threshold{th}))
	// Output: answers 24 pass true
}
