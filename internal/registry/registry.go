// Package registry is the name-to-factory map behind transform.Registry and
// condition.Registry.
package registry

import (
	"fmt"
	"sort"
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
