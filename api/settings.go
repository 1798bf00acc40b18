package api

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// setting is one name understood by Server.Config and Config.Set. The
// field-backed ones are read once from the struct tags of Config,
// Compression and TLSConfig (see config.go); the others are declared in
// extraSettings.
type setting struct {
	SettingInfo
	get func(c *Config) string
	set func(c *Config, v string) error // nil = read-only
}

// SettingInfo describes one setting of the declaration, for tools (flags,
// documentation) built on it.
type SettingInfo struct {
	// Name is the Server.Config name (the component's, or wsloop's own).
	Name string
	// Field is the Go field behind it ("MaxOutboundQueue",
	// "Compression.Level", "TLS.ClientCAFile"); "" when the setting maps
	// to several fields or to none.
	Field string
	// Default is the value Server.Config reports for the zero Config.
	Default string
	// Range is "min..max" for bounded numbers, "" otherwise.
	Range string
	// Runtime settings may change after Listen.
	Runtime bool
	// Flag is the `wsloop serve` flag, "" if none.
	Flag string
	// Doc is the one-line meaning.
	Doc string
	// Refused, when not "", is why the setting does not apply to wsloop:
	// writing it returns ErrUnsupported with this reason.
	Refused  string
	duration bool   // time.Duration: flags show it as a Go duration
	view     string // "!" negation, "=text" boolean view of an enum, "" the field itself
	tls      bool   // lives in Config.TLS
	boolean  bool   // reads and writes true or false
	enum     bool   // a named-value type (encoding.TextUnmarshaler)
}

// declaration is every setting, in declaration order; byName indexes it by
// lower-case name.
var declaration, byName = declare()

func declare() ([]*setting, map[string]*setting) {
	var all []*setting
	walkFields(reflect.TypeFor[Config](), nil, "", func(f reflect.StructField, index []int, path string) {
		all = append(all, fieldSettings(f, index, path)...)
	})
	all = append(all, extraSettings()...)
	m := make(map[string]*setting, len(all))
	for _, st := range all {
		key := strings.ToLower(st.Name)
		if m[key] != nil {
			panic("api: setting " + st.Name + " declared twice")
		}
		m[key] = st
	}
	return all, m
}

// walkFields calls fn for every tagged field of t, descending into the
// untagged struct and *struct fields (Compression, TLS).
func walkFields(t reflect.Type, index []int, prefix string, fn func(reflect.StructField, []int, string)) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		idx := append(slices.Clone(index), i)
		path := prefix + f.Name
		if _, tagged := f.Tag.Lookup("ws"); !tagged {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walkFields(ft, idx, path+".", fn)
				continue
			}
		}
		fn(f, idx, path)
	}
}

// fieldSettings turns one tagged field into its settings: one per name in
// its ws tag.
func fieldSettings(f reflect.StructField, index []int, path string) []*setting {
	tag := f.Tag.Get("ws")
	if tag == "" || tag == "-" {
		return nil
	}
	cd := codecFor(f.Type)
	var lo, hi int64
	rng := f.Tag.Get("range")
	if rng != "" {
		a, b, _ := strings.Cut(rng, ",")
		var err1, err2 error
		lo, err1 = strconv.ParseInt(a, 10, 64)
		hi, err2 = strconv.ParseInt(b, 10, 64)
		if err1 != nil || err2 != nil {
			panic("api: bad range tag on " + path)
		}
		rng = a + ".." + b
	}
	def := f.Tag.Get("default")
	var out []*setting
	for i, name := range strings.Split(tag, ",") {
		st := &setting{SettingInfo: SettingInfo{
			Name: name, Field: path, Default: def, Range: rng,
			Runtime: f.Tag.Get("runtime") == "true", Doc: f.Tag.Get("doc"),
			duration: f.Type == durationType,
			tls:      strings.HasPrefix(path, "TLS."),
			boolean:  f.Type.Kind() == reflect.Bool,
			enum:     reflect.PointerTo(f.Type).Implements(textUnmarshaler),
		}}
		if i == 0 {
			st.Flag = f.Tag.Get("flag")
		}
		get := func(c *Config) string {
			v, ok := fieldOf(c, index, false)
			if !ok || v.IsZero() {
				return def
			}
			return cd.format(v)
		}
		set := func(c *Config, s string) error {
			v, _ := fieldOf(c, index, true)
			nv := reflect.New(v.Type()).Elem()
			if err := cd.parse(nv, s); err != nil {
				if errors.Is(err, ErrBadValue) || errors.Is(err, ErrUnsupported) {
					return err
				}
				return fmt.Errorf("%w: %s: %v", ErrBadValue, name, err)
			}
			if rng != "" && (nv.Int() < lo || nv.Int() > hi) {
				return fmt.Errorf("%w: %s: %q is not in [%d, %d]", ErrBadValue, name, s, lo, hi)
			}
			v.Set(nv)
			return nil
		}
		field := set
		switch {
		case strings.HasPrefix(name, "!"): // the negation of a bool field
			st.Name, st.Default, st.view = name[1:], strconv.FormatBool(def != "true"), "!"
			get, set = boolView(st.Name, func(c *Config) bool { return !isSet(c, index) },
				func(c *Config, b bool) error { return field(c, strconv.FormatBool(!b)) })
		case strings.Contains(name, "="): // a boolean view of an enum: true = the value named on
			n, on, _ := strings.Cut(name, "=")
			st.Name, st.Default, st.boolean, st.view = n, "false", true, "="+on
			get, set = boolView(n, func(c *Config) bool { return isSet(c, index) }, func(c *Config, b bool) error {
				if b {
					return field(c, on)
				}
				v, _ := fieldOf(c, index, true)
				v.SetZero()
				return nil
			})
		}
		st.get, st.set = get, set
		out = append(out, st)
	}
	return out
}

// isSet reports whether the field at index is not its zero value.
func isSet(c *Config, index []int) bool {
	v, ok := fieldOf(c, index, false)
	return ok && !v.IsZero()
}

// boolView is a setting read and written as true or false.
func boolView(name string, get func(*Config) bool, set func(*Config, bool) error) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.FormatBool(get(c)) },
		func(c *Config, s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%w: %s: %q is not a boolean", ErrBadValue, name, s)
			}
			return set(c, b)
		}
}

// fieldOf returns the field at index in c. Nil pointers on the way (TLS)
// read as zero (ok false) or, with alloc, are replaced by a fresh value.
func fieldOf(c *Config, index []int, alloc bool) (reflect.Value, bool) {
	v := reflect.ValueOf(c).Elem()
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// textCodec converts between a field's type and its Server.Config text.
type textCodec struct {
	parse  func(v reflect.Value, s string) error
	format func(v reflect.Value) string
}

var durationType = reflect.TypeFor[time.Duration]()

// codecs are the conversions of types with their own text form.
var codecs = map[reflect.Type]textCodec{
	durationType: {
		// Seconds (the component's unit) or a Go duration; read as seconds.
		parse: func(v reflect.Value, s string) error {
			if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
				v.SetInt(int64(secs * float64(time.Second)))
				return nil
			}
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not seconds or a duration", s)
			}
			v.SetInt(int64(d))
			return nil
		},
		format: func(v reflect.Value) string {
			return strconv.FormatFloat(time.Duration(v.Int()).Seconds(), 'f', -1, 64)
		},
	},
	reflect.TypeFor[[]string](): {
		parse: func(v reflect.Value, s string) error {
			v.Set(reflect.ValueOf(splitList(s)))
			return nil
		},
		format: func(v reflect.Value) string { return strings.Join(v.Interface().([]string), ",") },
	},
	reflect.TypeFor[[]byte](): {
		parse:  func(v reflect.Value, s string) error { v.SetBytes([]byte(s)); return nil },
		format: func(v reflect.Value) string { return string(v.Bytes()) },
	},
	reflect.TypeFor[[]uint16]():  suitesCodec,
	reflect.TypeFor[[]curveID](): curvesCodec,
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// codecFor returns the conversion of a field type; types without one are
// a declaration error, found when the package loads.
func codecFor(t reflect.Type) textCodec {
	if cd, ok := codecs[t]; ok {
		return cd
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return textCodec{
			parse: func(v reflect.Value, s string) error {
				return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
			},
			format: func(v reflect.Value) string { return v.Interface().(fmt.Stringer).String() },
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return textCodec{
			parse: func(v reflect.Value, s string) error {
				b, err := strconv.ParseBool(s)
				if err != nil {
					return fmt.Errorf("%q is not a boolean", s)
				}
				v.SetBool(b)
				return nil
			},
			format: func(v reflect.Value) string { return strconv.FormatBool(v.Bool()) },
		}
	case reflect.Int, reflect.Int64:
		return textCodec{
			parse: func(v reflect.Value, s string) error {
				n, err := strconv.ParseInt(s, 10, t.Bits())
				if err != nil {
					return fmt.Errorf("%q is not an integer", s)
				}
				v.SetInt(n)
				return nil
			},
			format: func(v reflect.Value) string { return strconv.FormatInt(v.Int(), 10) },
		}
	case reflect.String:
		return textCodec{
			parse:  func(v reflect.Value, s string) error { v.SetString(s); return nil },
			format: func(v reflect.Value) string { return v.String() },
		}
	}
	panic("api: no Server.Config conversion for " + t.String())
}

func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// lookup finds a setting by name, case-insensitively.
func lookup(name string) (*setting, error) {
	st := byName[strings.ToLower(strings.TrimSpace(name))]
	if st == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSetting, name)
	}
	return st, nil
}

// Settings lists every setting Server.Config and Config.Set know, in
// declaration order, including those refused because they do not apply
// to a Go server.
func Settings() []SettingInfo {
	out := make([]SettingInfo, len(declaration))
	for i, st := range declaration {
		out[i] = st.SettingInfo
	}
	return out
}

// Get returns a setting's value by its Server.Config name
// (case-insensitive); zero fields read as their defaults.
func (c *Config) Get(name string) (string, error) {
	st, err := lookup(name)
	if err != nil {
		return "", err
	}
	return st.get(c), nil
}

// Set sets a setting by its Server.Config name (case-insensitive) from its
// text form. On error c is unchanged. TLS settings replace c.TLS with a
// modified copy, so a TLSConfig shared with other Configs is not changed.
func (c *Config) Set(name, value string) error {
	st, err := lookup(name)
	if err != nil {
		return err
	}
	if st.Refused != "" {
		return fmt.Errorf("%w: %s does not apply: %s", ErrUnsupported, st.Name, st.Refused)
	}
	if st.set == nil {
		return fmt.Errorf("%w: %s is read-only", ErrReadOnly, st.Name)
	}
	next := *c
	if st.tls && next.TLS != nil {
		t := *next.TLS
		next.TLS = &t
	}
	if err := st.set(&next, strings.TrimSpace(value)); err != nil {
		return err
	}
	*c = next
	return nil
}

// checkEnums refuses a field of a named-value type holding a value that
// has no name (such as SlowConsumerPolicy(7)), which Set cannot produce
// but a struct literal can.
func (c *Config) checkEnums() error {
	for _, st := range declaration {
		if !st.enum || st.view != "" {
			continue
		}
		var probe Config
		if v := st.get(c); probe.Set(st.Name, v) != nil {
			return fmt.Errorf("%w: %s %s", ErrBadValue, st.Name, v)
		}
	}
	return nil
}
