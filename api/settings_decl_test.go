package api

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/wsloop/wsloop/engine"
	"github.com/wsloop/wsloop/tlsbridge"
)

var updateDoc = flag.Bool("update", false, "rewrite the settings table in doc.go")

// componentSettings are the configuration settings of the WebSocketServer
// component (IPWorks WebSockets 2020) that concern a server: each must be
// declared, working or refused with its reason.
var componentSettings = []string{
	"AllowedClients", "BindExclusively", "BufferMessage", "ConnectionBacklog",
	"DefaultConnectionTimeout", "DisconnectStatusCode", "DisconnectStatusDescription",
	"InBufferSize", "KeepAliveInterval", "KeepAliveTime", "LocalHost", "LocalPort",
	"LogLevel", "MaxConnections", "MaxFrameSize", "OutBufferSize", "TcpNoDelay",
	"UseIPv6", "WaitForCloseResponse", "DefaultTimeout",
	"LogSSLPackets", "OpenSSLCADir", "OpenSSLCAFile", "OpenSSLCipherList", "OpenSSLPrngSeedData",
	"ReuseSSLSession", "SSLCACerts", "SSLCheckCRL", "SSLCipherStrength", "SSLEnabledCipherSuites",
	"SSLEnabledProtocols", "SSLEnableRenegotiation", "SSLIncludeCertChain", "SSLProvider",
	"SSLSecurityFlags", "SSLServerCACerts", "TLS12SignatureAlgorithms", "TLS12SupportedGroups",
	"TLS13KeyShareGroups", "TLS13SignatureAlgorithms", "TLS13SupportedGroups",
	"UseSSL", "SSLAuthenticateClients", "SSLCertStore", "SSLCertStorePassword", "SSLCertStoreType",
	"SSLCertSubject",
}

// Every component name is known: it works or is refused with a reason,
// never ErrUnknownSetting.
func TestComponentSettingsDeclared(t *testing.T) {
	t.Parallel()
	var c Config
	for _, name := range componentSettings {
		st, err := lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := c.Get(name); err != nil {
			t.Errorf("get %s: %v", name, err)
		}
		if err := c.Set(name, st.Default); errors.Is(err, ErrUnknownSetting) {
			t.Errorf("set %s: %v", name, err)
		}
	}
}

// The refused settings say why, with ErrUnsupported.
func TestRefusedSettings(t *testing.T) {
	t.Parallel()
	refused := 0
	for _, st := range declaration {
		if st.Refused == "" {
			continue
		}
		refused++
		var c Config
		err := c.Set(st.Name, "1")
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), st.Name+" does not apply: "+st.Refused) {
			t.Errorf("%s: %v", st.Name, err)
		}
	}
	var c Config
	err := c.Set("OpenSSLPrngSeedData", "abc")
	if err == nil || !strings.Contains(err.Error(), "OpenSSLPrngSeedData does not apply: Go's crypto/rand seeds itself") {
		t.Errorf("OpenSSLPrngSeedData: %v", err)
	}
	if refused < 7 {
		t.Errorf("%d refused settings", refused)
	}
}

// Every exported field of Config, Compression and TLSConfig declares a
// component name (or "-" for values with no text form), a default and a
// doc line; every default is a value its setting accepts.
func TestEveryFieldDeclared(t *testing.T) {
	t.Parallel()
	fields := 0
	walkFields(reflect.TypeFor[Config](), nil, "", func(f reflect.StructField, _ []int, path string) {
		fields++
		tag, ok := f.Tag.Lookup("ws")
		if !ok || tag == "" {
			t.Errorf("%s has no ws tag (component name, or \"-\")", path)
		}
		if f.Tag.Get("doc") == "" {
			t.Errorf("%s has no doc tag (its row in the mapping table)", path)
		}
		if _, ok := f.Tag.Lookup("default"); !ok && tag != "-" {
			t.Errorf("%s has no default tag", path)
		}
	})
	if fields < 50 {
		t.Errorf("only %d fields walked", fields)
	}
	for _, st := range declaration {
		if st.set == nil || st.Refused != "" {
			continue
		}
		var c Config
		if err := c.Set(st.Name, st.Default); err != nil {
			t.Errorf("%s: default %q refused: %v", st.Name, st.Default, err)
		}
		if got, _ := c.Get(st.Name); got != st.Default {
			t.Errorf("%s: default %q reads back as %q", st.Name, st.Default, got)
		}
		if got, _ := (&Config{}).Get(st.Name); got != st.Default {
			t.Errorf("%s: the zero Config reads %q, declared default %q", st.Name, got, st.Default)
		}
	}
}

// A declared default is what the engine uses for the zero field: a
// non-zero one must equal the engine's normalized value, and a zero one
// whose engine value differs must say in its doc what 0 means.
func TestEngineDefaultsAgree(t *testing.T) {
	t.Parallel()
	s := New(Config{}, Events{})
	o, err := s.engineOptions()
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	norm := reflect.ValueOf(e.Options())
	checked := 0
	for _, f := range engineFields {
		sf := reflect.TypeFor[Config]().FieldByIndex(f.from)
		st := byName[strings.ToLower(strings.Split(sf.Tag.Get("ws"), ",")[0])]
		if st == nil || st.view != "" || f.not {
			continue
		}
		var c Config
		if err := c.Set(st.Name, st.Default); err != nil {
			t.Fatal(err)
		}
		want := reflect.ValueOf(&c).Elem().FieldByIndex(f.from)
		got := norm.FieldByIndex(f.to)
		switch {
		case want.IsZero() && !got.IsZero():
			if !strings.Contains(st.Doc, "0 = ") {
				t.Errorf("%s: declared default %q, the engine uses %v; the doc does not say what 0 means", st.Name, st.Default, got)
			}
		case !want.IsZero() && !reflect.DeepEqual(want.Convert(got.Type()).Interface(), got.Interface()):
			t.Errorf("%s: declared default %q, the engine uses %v", st.Name, st.Default, got)
		}
		checked++
	}
	if checked < 25 {
		t.Errorf("only %d engine fields checked", checked)
	}
	if st := byName["sslmaxconcurrenthandshakes"]; st.Default != fmt.Sprint(tlsbridge.DefaultMaxConcurrentHandshakes) {
		t.Errorf("SSLMaxConcurrentHandshakes default %s, tlsbridge's %d", st.Default, tlsbridge.DefaultMaxConcurrentHandshakes)
	}
}

// The mapping table in doc.go is the one generated from the declaration
// (go generate rewrites it).
func TestSettingsDoc(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "// Configuration settings", "// Beyond the component"
	text := string(src)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("doc.go lacks the %q ... %q section", begin, end)
	}
	want := settingsDoc()
	if text[i:j] == want {
		return
	}
	if *updateDoc {
		if err := os.WriteFile("doc.go", []byte(text[:i]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("doc.go's settings table is stale: run go generate ./api")
}

// settingsDoc renders the mapping table of every setting.
func settingsDoc() string {
	var b strings.Builder
	b.WriteString("// Configuration settings. Each is declared once, by the tags of its field\n")
	b.WriteString("// in Config, Compression or TLSConfig; this table is generated from them\n")
	b.WriteString("// (go generate). Columns: the Server.Config name (case-insensitive), the\n")
	b.WriteString("// Go field (\"!\" = its negation), then the default, the range, whether it\n")
	b.WriteString("// may change after Listen, and the `wsloop serve` flag:\n//\n")
	row := func(name, rest string) { fmt.Fprintf(&b, "//\t%-28s %s\n", name, rest) }
	for _, st := range declaration {
		var attrs []string
		if st.Default != "" {
			unit := ""
			if st.duration {
				unit = "s"
			}
			attrs = append(attrs, "default "+st.Default+unit)
		}
		if st.Range != "" {
			attrs = append(attrs, st.Range)
		}
		if st.Runtime {
			attrs = append(attrs, "runtime")
		}
		if st.Flag != "" {
			attrs = append(attrs, "-"+st.Flag)
		}
		field, doc := st.Field, st.Doc
		switch {
		case st.Refused != "":
			row(st.Name, "refused: "+st.Refused)
			continue
		case field == "":
			field = "TLSConfig"
		case strings.HasPrefix(st.view, "="):
			field += " (true = " + st.view[1:] + ")"
		case st.view == "!":
			doc = "the negation of: " + doc
			field = "!" + field
		}
		line := field
		if len(attrs) > 0 {
			line += " (" + strings.Join(attrs, "; ") + ")"
		}
		if st.set == nil {
			line += " read-only"
		}
		row(st.Name, line+": "+doc)
	}
	b.WriteString("//\n// Per connection (Server.Config(\"Name[id]\")):\n//\n")
	for _, cs := range connSettings {
		rw := "read/write"
		if cs.set == nil {
			rw = "read-only"
		}
		row(cs.name+"[id]", rw+": "+cs.doc)
	}
	b.WriteString("//\n// Go-only fields (no text form):\n//\n")
	walkFields(reflect.TypeFor[Config](), nil, "", func(f reflect.StructField, _ []int, path string) {
		if f.Tag.Get("ws") == "-" {
			row(path, f.Tag.Get("doc"))
		}
	})
	b.WriteString("//\n")
	return b.String()
}
