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
	"errors"
	"fmt"
	"sync"

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

// Env carries what condition factories need: the registry that nested
// conditions (meta_all, meta_any, meta_none) are built from. The zero value
// (and a nil *Env) uses the built-in types. Factories receive it
// explicitly; nothing travels in a context value.
type Env struct {
	// Conditions resolves condition types, nested ones included. Nil means
	// [Builtins].
	Conditions *Registry
}

// registry returns the registry to use.
func (e *Env) registry() *Registry {
	if e != nil && e.Conditions != nil {
		return e.Conditions
	}
	return builtins()
}

// New builds the Inspector cfg describes from e's registry; conditions
// nested in cfg are built with e too.
//
// A construction error is a *weir.ConfigError naming cfg's type and the
// setting at fault; an error in a nested condition is the chain
// [weir.ConfigError] describes, which reads as one location relative to
// cfg ("settings.conditions[1] (string_match): setting "pattern": …").
func (e *Env) New(ctx context.Context, cfg weir.Config) (Inspector, error) {
	if e == nil {
		e = &Env{}
	}
	r := e.registry()
	f, ok := r.m.Lookup(cfg.Type)
	if !ok {
		return nil, registry.UnknownTypeError(r.Types(), cfg.Type)
	}
	in, err := f(ctx, e, cfg)
	if err != nil {
		return nil, wrapConfigErr(cfg.Type, err)
	}
	return in, nil
}

// Factory builds an Inspector from its config, with the dependencies env
// carries (never nil). It should validate every setting and return a
// *weir.ConfigError naming the setting at fault. [Typed] and [TypedEnv]
// make a Factory from a typed constructor.
type Factory func(ctx context.Context, env *Env, cfg weir.Config) (Inspector, error)

// Typed returns a Factory that decodes a config's settings into a C (JSON
// tags name the settings; unknown settings and values of the wrong JSON
// type are *weir.ConfigErrors naming the setting) and calls fn with it:
//
//	reg.Register("my_condition", condition.Typed(NewMyCondition))
func Typed[C any, I Inspector](fn func(cfg C) (I, error)) Factory {
	return decoded(func(_ context.Context, _ *Env, c C) (I, error) { return fn(c) })
}

// TypedEnv is [Typed] for constructors that build nested conditions with
// env.New.
func TypedEnv[C any, I Inspector](fn func(ctx context.Context, env *Env, cfg C) (I, error)) Factory {
	return decoded(fn)
}

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

// builtinsOnce holds the shared registry of built-ins that an Env without
// a registry uses. It is never modified.
var builtinsOnce struct {
	once sync.Once
	r    *Registry
}

// builtins returns the shared registry of built-ins.
func builtins() *Registry {
	builtinsOnce.once.Do(func() { builtinsOnce.r = Builtins() })
	return builtinsOnce.r
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

// New builds the Inspector cfg describes with an Env whose registry is r.
// Inspectors nested in cfg (as in meta_all) are built from r too.
func (r *Registry) New(ctx context.Context, cfg weir.Config) (Inspector, error) {
	return (&Env{Conditions: r}).New(ctx, cfg)
}

// New builds the Inspector cfg describes from the built-in types.
func New(ctx context.Context, cfg weir.Config) (Inspector, error) {
	return (*Env)(nil).New(ctx, cfg)
}

// NewAll builds each config with env.New (a nil env uses the built-ins).
// The error of cfgs[i] is a *weir.ConfigError whose Location is "[i]".
func NewAll(ctx context.Context, env *Env, cfgs []weir.Config) ([]Inspector, error) {
	out := make([]Inspector, len(cfgs))
	for i, c := range cfgs {
		in, err := env.New(ctx, c)
		if err != nil {
			var ce *weir.ConfigError
			if errors.As(err, &ce) && ce.Location == "" {
				ce.Location = fmt.Sprintf("[%d]", i)
			}
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}

// decoded returns a Factory that decodes the settings into a C and calls fn.
func decoded[C any, I Inspector](fn func(ctx context.Context, env *Env, cfg C) (I, error)) Factory {
	return func(ctx context.Context, env *Env, cfg weir.Config) (Inspector, error) {
		var c C
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		in, err := fn(ctx, env, c)
		if err != nil {
			return nil, wrapConfigErr(cfg.Type, err)
		}
		return in, nil
	}
}

// wrapConfigErr names typ in a constructor's error.
func wrapConfigErr(typ string, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return err
	}
	return &weir.ConfigError{Type: typ, Err: err}
}

// decodedNoCtx is decoded for constructors that need no context.
func decodedNoCtx[C any, I Inspector](fn func(cfg C) (I, error)) Factory {
	return Typed(fn)
}
