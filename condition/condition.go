// Package condition inspects messages: an [Inspector] answers a yes/no question
// about one message (does this field contain "admin"? is this IP private?),
// and [All], [Any] and [None] combine them. Transforms such as meta_switch use
// inspectors to decide what to do with a message.
//
// Every Substation v2 condition type is built in and can be created from its
// JSON config with [New]; each also has a typed constructor for Go callers.
package condition

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// Inspector answers a question about a message.
//
// Inspect must not modify msg and must be safe for concurrent use; it returns
// an error only when the question cannot be answered (a setting that cannot
// apply to this message), never because the answer is no. Control messages
// are inspected like any other; most inspectors answer false for them.
type Inspector interface {
	Inspect(ctx context.Context, msg *weir.Message) (bool, error)
}

// Func adapts an ordinary function to the Inspector interface.
type Func func(ctx context.Context, msg *weir.Message) (bool, error)

// Inspect calls f(ctx, msg).
func (f Func) Inspect(ctx context.Context, msg *weir.Message) (bool, error) { return f(ctx, msg) }

// All returns an Inspector that is true when every inspector is true (and for
// none at all). It stops at the first false or error.
func All(is ...Inspector) Inspector {
	return Func(func(ctx context.Context, msg *weir.Message) (bool, error) {
		for _, i := range is {
			ok, err := i.Inspect(ctx, msg)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	})
}

// Any returns an Inspector that is true when at least one inspector is true.
// It stops at the first true or error.
func Any(is ...Inspector) Inspector {
	return Func(func(ctx context.Context, msg *weir.Message) (bool, error) {
		for _, i := range is {
			ok, err := i.Inspect(ctx, msg)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	})
}

// None returns an Inspector that is true when no inspector is true. It stops
// at the first true or error.
func None(is ...Inspector) Inspector {
	return Func(func(ctx context.Context, msg *weir.Message) (bool, error) {
		for _, i := range is {
			ok, err := i.Inspect(ctx, msg)
			if err != nil {
				return false, err
			}
			if ok {
				return false, nil
			}
		}
		return true, nil
	})
}

// Factory builds an Inspector from its config. It should validate every
// setting and return a *weir.ConfigError naming the setting at fault.
type Factory func(ctx context.Context, cfg weir.Config) (Inspector, error)

// Registry maps condition type names to factories. The zero value is an
// empty registry ready to use; [Builtins] returns one holding every built-in.
// A Registry is safe for concurrent use once registration is done.
type Registry struct {
	m registry.Map[Factory]
}

// Builtins returns a new Registry holding every built-in condition type. Add
// custom types to it with Register.
func Builtins() *Registry {
	r := &Registry{}
	for _, family := range builtinFamilies() {
		for name, f := range family() {
			if err := r.Register(name, f); err != nil {
				panic(err) // two built-ins share a name: a bug in this package
			}
		}
	}
	return r
}

// Register adds a type. Registering a name twice is an error.
func (r *Registry) Register(name string, f Factory) error {
	return r.m.Register("condition", name, f, f == nil)
}

// Types returns the registered type names, sorted.
func (r *Registry) Types() []string { return r.m.Names() }

// Lookup returns the factory registered under name, e.g. to build a
// registry that replaces one type and keeps the others.
func (r *Registry) Lookup(name string) (Factory, bool) { return r.m.Lookup(name) }

// New builds the Inspector cfg describes. Inspectors nested in cfg (as in
// meta_all) are built from r too.
func (r *Registry) New(ctx context.Context, cfg weir.Config) (Inspector, error) {
	f, ok := r.m.Lookup(cfg.Type)
	if !ok {
		return nil, &weir.ConfigError{Type: cfg.Type, Err: fmt.Errorf("%w %q", weir.ErrUnknownType, cfg.Type)}
	}
	in, err := f(WithRegistry(ctx, r), cfg)
	if err != nil {
		return nil, wrapConfigErr(cfg.Type, err)
	}
	return in, nil
}

type registryKey struct{}

// WithRegistry returns a context that makes [New] use r. Factories of types
// that nest other conditions build them with New, so a custom type stays
// usable inside a built-in one.
func WithRegistry(ctx context.Context, r *Registry) context.Context {
	return context.WithValue(ctx, registryKey{}, r)
}

// New builds the Inspector cfg describes, from the registry carried by ctx
// (see [WithRegistry]) or else from the built-ins.
func New(ctx context.Context, cfg weir.Config) (Inspector, error) {
	if r, ok := ctx.Value(registryKey{}).(*Registry); ok {
		f, ok := r.m.Lookup(cfg.Type)
		if !ok {
			return nil, &weir.ConfigError{Type: cfg.Type, Err: fmt.Errorf("%w %q", weir.ErrUnknownType, cfg.Type)}
		}
		in, err := f(ctx, cfg)
		if err != nil {
			return nil, wrapConfigErr(cfg.Type, err)
		}
		return in, nil
	}
	return Builtins().New(ctx, cfg)
}

// NewAll builds each config with [New].
func NewAll(ctx context.Context, cfgs []weir.Config) ([]Inspector, error) {
	out := make([]Inspector, len(cfgs))
	for i, c := range cfgs {
		in, err := New(ctx, c)
		if err != nil {
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}

// decoded returns a Factory that decodes the settings into a C and calls fn.
func decoded[C any, I Inspector](fn func(ctx context.Context, cfg C) (I, error)) Factory {
	return func(ctx context.Context, cfg weir.Config) (Inspector, error) {
		var c C
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		in, err := fn(ctx, c)
		if err != nil {
			return nil, wrapConfigErr(cfg.Type, err)
		}
		return in, nil
	}
}

// wrapConfigErr names typ in a constructor's error.
func wrapConfigErr(typ string, err error) error {
	if ce, ok := err.(*weir.ConfigError); ok {
		if ce.Type == "" {
			ce.Type = typ
		}
		return ce
	}
	return &weir.ConfigError{Type: typ, Err: err}
}

// decodedNoCtx is decoded for constructors that need no context.
func decodedNoCtx[C any, I Inspector](fn func(cfg C) (I, error)) Factory {
	return decoded(func(_ context.Context, c C) (I, error) { return fn(c) })
}
