package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/engine"
)

// settingCases gives, for every name of the settings table, a value to set,
// what Config then reads back, and a value it must refuse (ErrBadValue; ""
// when every string is acceptable).
var settingCases = map[string]struct{ set, want, bad string }{
	"localhost":                   {"127.0.0.1", "127.0.0.1", ""},
	"localport":                   {"8081", "8081", "65536"},
	"useipv6":                     {"true", "true", "maybe"},
	"connectionbacklog":           {"128", "128", "-1"},
	"bindexclusively":             {"1", "true", "yes please"},
	"reuseport":                   {"true", "true", "2"},
	"eventloops":                  {"3", "3", "x"},
	"defaulttimeout":              {"1.5", "1.5", "-2"},
	"defaultconnectiontimeout":    {"250ms", "0.25", "soon"},
	"keepalivetime":               {"30", "30", "-1s"},
	"keepaliveinterval":           {"5", "5", "abc"},
	"tcpnodelay":                  {"false", "false", "nope"},
	"inbuffersize":                {"65536", "65536", "-5"},
	"outbuffersize":               {"32768", "32768", "1e3"},
	"allowedclients":              {"127.0.0.1,10.0.0.0/8", "127.0.0.1,10.0.0.0/8", ""},
	"maxconnections":              {"1000", "1000", "-1"},
	"maxconnectionsperip":         {"64", "64", "-1"},
	"handshakerateperip":          {"100", "100", "-1"},
	"handshakeburstperip":         {"200", "200", "x"},
	"buffermessage":               {"true", "true", "y"},
	"maxmessagesize":              {"1048576", "1048576", "1MiB"},
	"maxframesize":                {"4096", "4096", "-1"},
	"maxheaderbytes":              {"16384", "16384", "2000000"},
	"origins":                     {"https://a.test, https://b.test", "https://a.test,https://b.test", ""},
	"subprotocols":                {"chat,superchat", "chat,superchat", ""},
	"compression":                 {"true", "true", "on"},
	"compressionlevel":            {"6", "6", "10"},
	"compressionthreshold":        {"256", "256", "-2"},
	"servercontexttakeover":       {"true", "true", "t r u e"},
	"clientcontexttakeover":       {"true", "true", "2"},
	"servermaxwindowbits":         {"12", "12", "16"},
	"clientmaxwindowbits":         {"9", "9", "-1"},
	"maxdecompressedsize":         {"2097152", "2097152", "big"},
	"inlineinflatesize":           {"131072", "131072", "1k"},
	"inflateworkers":              {"4", "4", "-3"},
	"maxoutboundqueue":            {"65536", "65536", "-1"},
	"slowconsumerclose":           {"true", "true", "close"},
	"maxpausedbytes":              {"4096", "4096", "-4096"},
	"maxbufferedbytes":            {"268435456", "268435456", "x"},
	"bufferwaittimeout":           {"2s", "2", "x"},
	"pinginterval":                {"20", "20", "-20"},
	"idletimeout":                 {"1m", "60", "forever"},
	"waitforcloseresponse":        {"true", "true", "wait"},
	"closetimeout":                {"2", "2", "x"},
	"disconnectstatuscode":        {"4000", "4000", "5000"},
	"disconnectstatusdescription": {"bye", "bye", ""},
	"loglevel":                    {"2", "2", "4"},
	"slowconsumer":                {"close", "close", "sometimes"},
	"usessl":                      {"true", "true", "x"},
	"sslcertstoretype":            {"PFXFILE", "PFXFILE", ""},
	"sslcertstore":                {"/tmp/server.pem", "/tmp/server.pem", ""},
	"sslcertstorepassword":        {"pw", "pw", ""},
	"sslcertsubject":              {"server.example", "server.example", ""},
	"sslincludecertchain":         {"false", "false", "no way"},
	"sslclientauth":               {"require", "require", "maybe"},
	"sslauthenticateclients":      {"true", "true", "x"},
	"sslcacerts":                  {"-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----", ""},
	"sslclientcafile":             {"/tmp/ca.pem", "/tmp/ca.pem", ""},
	"opensslcafile":               {"/tmp/ca2.pem", "/tmp/ca2.pem", ""},
	"sslclientcadir":              {"/tmp/cas", "/tmp/cas", ""},
	"opensslcadir":                {"/tmp/cas2", "/tmp/cas2", ""},
	"sslcheckcrl":                 {"1", "ifpresent", "3"},
	"sslclientcrlfile":            {"/tmp/ca.crl", "/tmp/ca.crl", ""},
	"sslenabledprotocols":         {"12288", "12288", "-1"},
	"sslenabledciphersuites":      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_BOGUS"},
	"sslcipherstrength":           {"256", "256", "512"},
	"tls12supportedgroups":        {"x25519", "X25519", "brainpool"},
	"tls13supportedgroups":        {"secp256r1", "CurveP256", "ffdhe2048"},
	"sslalpnprotocols":            {"h2,http/1.1", "h2,http/1.1", ""},
	"sslsessionticketsdisabled":   {"true", "true", "x"},
	"reusesslsession":             {"false", "false", "x"},
	"sslmaxconcurrenthandshakes":  {"8", "8", "-1"},
	"logsslpackets":               {"true", "true", "x"},
	"sslenablerenegotiation":      {"false", "false", ""},
	"maxtopiclength":              {"64", "64", "-1"},
	"maxsubscriptions":            {"1000", "1000", "many"},
	"maxpublishsize":              {"65536", "65536", "2000000000"},
}

// Every name in the settings table is covered by settingCases, and each
// round-trips through Server.Config, case-insensitively.
func TestConfigRoundTrip(t *testing.T) {
	t.Parallel()
	for _, st := range declaration {
		if st.set == nil || st.Refused != "" {
			continue // TestRefusedSettings
		}
		name := strings.ToLower(st.Name)
		tc, ok := settingCases[name]
		if !ok {
			t.Errorf("setting %q has no test case", name)
			continue
		}
		s := New(Config{}, Events{})
		// Mixed case, as the component's users write them.
		mixed := strings.ToUpper(name[:1]) + name[1:]
		got, err := s.Config(mixed + "=" + tc.set)
		if err != nil || got != tc.want {
			t.Errorf("%s=%s: got %q, %v; want %q", mixed, tc.set, got, err, tc.want)
		}
		if got, err := s.Config(strings.ToUpper(name)); err != nil || got != tc.want {
			t.Errorf("get %s: got %q, %v; want %q", name, got, err, tc.want)
		}
		if tc.bad != "" {
			if _, err := s.Config(name + "=" + tc.bad); !errors.Is(err, ErrBadValue) {
				t.Errorf("%s=%s: %v, want ErrBadValue", name, tc.bad, err)
			}
			if got, _ := s.Config(name); got != tc.want {
				t.Errorf("%s changed to %q by a refused value", name, got)
			}
		}
	}
	for name := range settingCases {
		if _, ok := byName[name]; !ok {
			t.Errorf("test case for %q, which is not a setting", name)
		}
	}
}

// Settings reach the Config fields they name.
func TestConfigSetsFields(t *testing.T) {
	t.Parallel()
	s := New(Config{}, Events{})
	for _, kv := range []string{"MaxConnections=7", "SlowConsumerClose=true", "TcpNoDelay=false",
		"IdleTimeout=1.5", "Origins=a,b", "Compression=true", "DisconnectStatusCode=4001"} {
		if _, err := s.Config(kv); err != nil {
			t.Fatalf("%s: %v", kv, err)
		}
	}
	c := s.cfg
	if c.MaxConnections != 7 || c.SlowConsumer != CloseSlowConsumer || !c.TCPDelay ||
		c.IdleTimeout != 1500*time.Millisecond || len(c.Origins) != 2 || !c.Compression.Enabled ||
		c.DisconnectStatusCode != 4001 {
		t.Errorf("config %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	s := New(Config{LocalHost: "127.0.0.1"}, Events{})
	for _, name := range []string{"NoSuchThing", "NoSuchThing=1", "SSLNoSuchThing", "Max Connections=3"} {
		if _, err := s.Config(name); !errors.Is(err, ErrUnknownSetting) {
			t.Errorf("%q: %v, want ErrUnknownSetting", name, err)
		}
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	// After Listen everything is read-only but LogLevel.
	for name, tc := range settingCases {
		_, err := s.Config(name + "=" + tc.set)
		if name == "loglevel" {
			if err != nil {
				t.Errorf("LogLevel after Listen: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s after Listen: %v, want ErrReadOnly", name, err)
		}
	}
	if got, _ := s.Config("LogLevel"); got != "2" {
		t.Errorf("LogLevel %q", got)
	}
	if got, _ := s.Config("MaxConnections"); got != "0" {
		t.Errorf("MaxConnections changed after Listen: %q", got)
	}
	for _, name := range []string{"Timeout[1]", "AcceptData[99]", "MessageLength[5]=3"} {
		if _, err := s.Config(name); !errors.Is(err, ErrNotConnected) {
			t.Errorf("%s with no such connection: %v", name, err)
		}
	}
	if _, err := s.Config("Timeout[x]"); !errors.Is(err, ErrBadValue) {
		t.Errorf("Timeout[x]: %v", err)
	}
}

// The indexed settings address one live connection.
func TestConfigIndexed(t *testing.T) {
	t.Parallel()
	connected := make(chan ConnID, 1)
	s := New(Config{LocalHost: "127.0.0.1", DefaultTimeout: 2 * time.Second}, Events{
		OnConnected: func(e *ConnectedEvent) { connected <- e.ConnectionID },
	})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	conn, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr()+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id ConnID
	select {
	case id = <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("no Connected")
	}
	cases := []struct{ kv, want string }{
		{"Timeout[%d]", "2"},
		{"Timeout[%d]=0.5", "0.5"},
		{"Timeout[%d]", "0.5"},
		{"AcceptData[%d]", "true"},
		{"AcceptData[%d]=false", "false"},
		{"acceptdata[%d]", "false"},
		{"AcceptData[%d]=true", "true"},
		{"MessageLength[%d]", "0"},
		{"MessageLength[%d]=10", "10"},
		{"MessageLength[%d]", "10"},
	}
	for _, tc := range cases {
		kv := fmt.Sprintf(tc.kv, id)
		if got, err := s.Config(kv); err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", kv, got, err, tc.want)
		}
	}
	if c, _ := s.conn(id); c.Timeout() != 500*time.Millisecond {
		t.Errorf("Timeout %v", c.Timeout())
	}
	for _, kv := range []string{"Timeout[%d]=-1", "AcceptData[%d]=maybe", "MessageLength[%d]=0", "MessageLength[%d]=x"} {
		if _, err := s.Config(fmt.Sprintf(kv, id)); !errors.Is(err, ErrBadValue) {
			t.Errorf("%s: %v, want ErrBadValue", kv, err)
		}
	}
	if _, err := s.Config(fmt.Sprintf("SSLNegotiatedCipher[%d]=x", id)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("setting SSLNegotiatedCipher: %v", err)
	}
	if _, err := s.Config(fmt.Sprintf("Bogus[%d]", id)); !errors.Is(err, ErrUnknownSetting) {
		t.Errorf("Bogus[id]: %v", err)
	}
	_ = net.Conn(conn)
}

// SlowConsumer is the engine's policy type (nothing converts by number);
// a value without a name is refused at Listen, as for every enum setting.
func TestSlowConsumerPolicyMapping(t *testing.T) {
	if WouldBlock != engine.PolicyWouldBlock || CloseSlowConsumer != engine.PolicyClose {
		t.Fatal("policies differ from the engine's")
	}
	for _, cfg := range []Config{
		{LocalHost: "127.0.0.1", SlowConsumer: 7},
		{LocalHost: "127.0.0.1", TLS: &TLSConfig{ClientAuth: 9}},
		{LocalHost: "127.0.0.1", TLS: &TLSConfig{CheckCRL: 5}},
	} {
		s := New(cfg, Events{})
		if err := s.Listen(); !errors.Is(err, ErrBadValue) {
			t.Errorf("%+v: %v, want ErrBadValue", cfg, err)
			_ = s.Shutdown(context.Background())
		}
	}
}
