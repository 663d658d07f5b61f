// Package registry is the name-to-factory map behind transform.Registry and
// condition.Registry.
package registry

import (
	"fmt"
	"sort"

	"github.com/weirhq/weir"
)

// Map maps type names to factories of type F. The zero value is empty and
// ready to use; it is safe for concurrent reads once registration is done.
type Map[F any] struct {
	factories map[string]F
}

// Register adds f under name; what names the kind of factory in errors
// ("transform", "condition"). Registering a name twice is an error.
func (m *Map[F]) Register(what, name string, f F, isNil bool) error {
	if name == "" || isNil {
		return fmt.Errorf("%s: register %q: empty name or nil factory", what, name)
	}
	if _, ok := m.factories[name]; ok {
		return fmt.Errorf("%s: type %q is already registered", what, name)
	}
	if m.factories == nil {
		m.factories = make(map[string]F)
	}
	m.factories[name] = f
	return nil
}

// Lookup returns the factory registered under name.
func (m *Map[F]) Lookup(name string) (F, bool) {
	f, ok := m.factories[name]
	return f, ok
}

// Names returns the registered names, sorted.
func (m *Map[F]) Names() []string {
	names := make([]string, 0, len(m.factories))
	for n := range m.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Suggest returns the name in names closest to name, if it is within edit
// distance 2 of it (and name is not itself in names), or "".
func Suggest(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if n == name {
			return ""
		}
		if d := distance(name, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance returns the Levenshtein distance between a and b, or limit when
// it is at least limit.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// UnknownTypeError returns the *weir.ConfigError for a config of a type
// not in names, suggesting the nearest name.
func UnknownTypeError(names []string, typ string) error {
	err := fmt.Errorf("%w %q", weir.ErrUnknownType, typ)
	if s := Suggest(typ, names); s != "" {
		err = fmt.Errorf("%w; did you mean %q?", err, s)
	}
	return &weir.ConfigError{Type: typ, Err: err}
}
