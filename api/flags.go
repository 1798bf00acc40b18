package api

import (
	"flag"
	"time"
)

// RegisterFlags defines on fs a flag for every setting that declares one
// (the flag tag in config.go), writing into c when the flag is given. A
// flag's default is its setting's value in c (the declared default for a
// zero field) and its usage the setting's doc. Durations also take Go
// duration syntax ("10s").
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, st := range declaration {
		if st.Flag != "" {
			fs.Var(&settingFlag{c: c, st: st}, st.Flag, st.Doc)
		}
	}
}

// settingFlag is a flag.Value writing one setting of a Config.
type settingFlag struct {
	c  *Config
	st *setting
}

func (f *settingFlag) String() string {
	if f.c == nil || f.st == nil {
		return "" // the zero value flag.PrintDefaults compares with
	}
	v := f.st.get(f.c)
	if f.st.duration {
		if d, err := time.ParseDuration(v + "s"); err == nil {
			return d.String()
		}
	}
	return v
}

func (f *settingFlag) Set(v string) error { return f.c.Set(f.st.Name, v) }

// IsBoolFlag lets boolean settings be given as a bare -flag.
func (f *settingFlag) IsBoolFlag() bool { return f.st != nil && f.st.boolean }
