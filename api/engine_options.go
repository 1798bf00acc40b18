package api

import (
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"

	"github.com/wsloop/wsloop/codec"
	"github.com/wsloop/wsloop/engine"
)

// engineField copies one Config field to the engine.Options field its
// engine tag names.
type engineField struct {
	from, to []int
	toType   reflect.Type
	not      bool // the engine field is the negation
}

// engineFields is read once from the engine tags of Config and Compression.
var engineFields = mapEngineFields()

func mapEngineFields() []engineField {
	var out []engineField
	ot := reflect.TypeFor[engine.Options]()
	walkFields(reflect.TypeFor[Config](), nil, "", func(f reflect.StructField, index []int, path string) {
		name, ok := f.Tag.Lookup("engine")
		if !ok {
			return
		}
		ef := engineField{from: index}
		if ef.not = strings.HasPrefix(name, "!"); ef.not {
			name = name[1:]
		}
		t := ot
		for part := range strings.SplitSeq(name, ".") {
			sf, ok := t.FieldByName(part)
			if !ok {
				panic("api: " + path + ": engine.Options has no field " + name)
			}
			ef.to = append(ef.to, sf.Index...)
			t = sf.Type
		}
		if !f.Type.ConvertibleTo(t) || (ef.not && t.Kind() != reflect.Bool) {
			panic("api: " + path + " (" + f.Type.String() + ") cannot become engine.Options." + name + " (" + t.String() + ")")
		}
		ef.toType = t
		out = append(out, ef)
	})
	return out
}

// engineOptions translates Config into engine options: the tagged fields
// by engineFields, then the few that are computed (the address, the
// allowed-clients prefixes, the topic interest hook, the TLS configuration).
func (s *Server) engineOptions() (engine.Options, error) {
	c := &s.cfg
	if err := c.checkEnums(); err != nil {
		return engine.Options{}, err
	}
	var o engine.Options
	src, dst := reflect.ValueOf(c).Elem(), reflect.ValueOf(&o).Elem()
	for _, f := range engineFields {
		v := src.FieldByIndex(f.from)
		if f.not {
			v = reflect.ValueOf(!v.Bool())
		}
		dst.FieldByIndex(f.to).Set(v.Convert(f.toType))
	}
	host := c.LocalHost
	if host == "" {
		host = "0.0.0.0"
		if c.UseIPv6 {
			host = "::"
		}
	}
	o.Addr = net.JoinHostPort(host, strconv.Itoa(c.LocalPort))
	var err error
	if o.AllowedClients, err = engine.ParseAllowedClients(c.AllowedClients); err != nil {
		return engine.Options{}, fmt.Errorf("%w: %v", ErrBadValue, err)
	}
	if code := c.DisconnectStatusCode; code != 0 && (code > 0xffff || !codec.ValidSendCloseCode(uint16(code))) {
		return engine.Options{}, fmt.Errorf("%w: DisconnectStatusCode %d", ErrBadCloseCode, code)
	}
	o.OnInterest = s.interest
	if o.TLS, err = c.TLS.build(s); err != nil {
		return engine.Options{}, err
	}
	return o, nil
}
