package conformance

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// matcher selects cases. The filter syntax is a comma-separated list of
// terms; a case is selected if any positive term matches (or there is
// none) and no negative term ("!term") matches. A term is:
//   - /regexp/ matched against the ID and the family name;
//   - a glob with * ? or [ ] matched against the ID (e.g. "6.4.*");
//   - an ID or ID prefix ("1" selects 1.1.1 and 1.2.3, "6.4" selects 6.4.x);
//   - a family name or the word after its number, case-insensitively
//     ("Framing", "utf-8 handling", "H").
type matcher struct {
	pos, neg []func(Case) bool
}

func compileFilter(filter string) (*matcher, error) {
	m := &matcher{}
	for _, raw := range strings.Split(filter, ",") {
		term := strings.TrimSpace(raw)
		if term == "" {
			continue
		}
		neg := strings.HasPrefix(term, "!")
		term = strings.TrimPrefix(term, "!")
		f, err := compileTerm(term)
		if err != nil {
			return nil, err
		}
		if neg {
			m.neg = append(m.neg, f)
		} else {
			m.pos = append(m.pos, f)
		}
	}
	return m, nil
}

func compileTerm(term string) (func(Case) bool, error) {
	if len(term) >= 2 && strings.HasPrefix(term, "/") && strings.HasSuffix(term, "/") {
		re, err := regexp.Compile(term[1 : len(term)-1])
		if err != nil {
			return nil, fmt.Errorf("bad case filter %q: %w", term, err)
		}
		return func(c Case) bool { return re.MatchString(c.ID) || re.MatchString(c.Family) }, nil
	}
	if strings.ContainsAny(term, "*?[") {
		if _, err := path.Match(term, ""); err != nil {
			return nil, fmt.Errorf("bad case filter %q: %w", term, err)
		}
		return func(c Case) bool { ok, _ := path.Match(term, c.ID); return ok }, nil
	}
	return func(c Case) bool {
		if c.ID == term || strings.HasPrefix(c.ID, term+".") {
			return true
		}
		if strings.EqualFold(c.Family, term) {
			return true
		}
		_, name, _ := strings.Cut(c.Family, " ")
		return strings.EqualFold(name, term)
	}, nil
}

func (m *matcher) match(c Case) bool {
	for _, f := range m.neg {
		if f(c) {
			return false
		}
	}
	if len(m.pos) == 0 {
		return true
	}
	for _, f := range m.pos {
		if f(c) {
			return true
		}
	}
	return false
}

// Select returns the cases of cs matching filter (see Run for the syntax),
// keeping only Quick cases if quick is set.
func Select(cs []Case, filter string, quick bool) ([]Case, error) {
	m, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, c := range cs {
		if quick && !c.Quick {
			continue
		}
		if m.match(c) {
			out = append(out, c)
		}
	}
	return out, nil
}
