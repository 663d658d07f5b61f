// Package transform changes messages: a [Transformer] takes one message and
// returns zero or more (zero drops it, several split it), and [Chain] runs
// transformers in sequence.
//
// Every Substation v2 transform type is built in and can be created from its
// JSON config with [New]; each also has a typed constructor (NewObjectCopy,
// NewStringReplace, …) taking the same settings as a Go struct. Custom types
// are added to a [Registry].
//
// Built-ins produce Substation's bytes, including where Substation bends a
// value it cannot convert (a timestamp that is not a number becomes 1970):
// such coercions are counted ([Pipeline.Coercions], [Env.Metrics]), and
// [Env.Strict] makes each a *weir.CoercionError instead.
// docs/substation-compatibility.md lists every coercion and every remaining
// difference from Substation.
package transform

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// Transformer changes a message.
//
// Transform returns the messages that replace msg: msg itself (usually
// changed in place), new messages, or none to drop it; a nil error with no
// messages means the message was dropped on purpose. It may be called
// concurrently, so implementations keep per-message state in the message.
//
// A control message (msg.IsControl()) must be returned among the results,
// after any messages the transformer releases because of it: stateful
// transformers (aggregations, batched sends) flush on it.
//
// An error means msg could not be transformed; the returned messages are
// then nil and msg is unchanged or partially changed. Errors about the
// message's content match weir.ErrInvalidData.
//
// A transformer must not keep msg, the messages it returns, or a
// weir.Value read from them after the call: the caller may reuse them
// (weir.Message.Reset). It may keep a copy of their bytes. Package
// transformtest checks these rules for any Transformer.
type Transformer interface {
	Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error)
}

// Func adapts an ordinary function to the Transformer interface.
type Func func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error)

// Transform calls f(ctx, msg).
func (f Func) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return f(ctx, msg)
}

// Chain returns a Transformer that runs ts in order: every message a
// transformer returns is passed to the next one. A control message passes
// through each transformer in turn, so each flushes before the next sees it.
// The chain stops at the first error.
//
// The chain implements io.Closer: Close closes every transformer in ts that
// implements io.Closer (a chain of one is that transformer itself).
func Chain(ts ...Transformer) Transformer {
	if len(ts) == 1 {
		return ts[0]
	}
	return chain(ts)
}

type chain []Transformer

func (c chain) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return apply(ctx, []Transformer(c), msg.AsSlice())
}

// Close closes every transformer of the chain that implements io.Closer,
// in order, and joins their errors.
func (c chain) Close() error { return closeAll([]Transformer(c)) }

// Apply runs msgs through ts in order, like [Chain], and returns what comes
// out of the last one.
func Apply(ctx context.Context, ts []Transformer, msgs ...*weir.Message) ([]*weir.Message, error) {
	return apply(ctx, ts, msgs)
}

// applyOne is Apply for one message, without allocating for the argument.
func applyOne(ctx context.Context, ts []Transformer, msg *weir.Message) ([]*weir.Message, error) {
	return apply(ctx, ts, msg.AsSlice())
}

func apply(ctx context.Context, ts []Transformer, msgs []*weir.Message) ([]*weir.Message, error) {
	for _, t := range ts {
		if len(msgs) == 1 {
			out, err := t.Transform(ctx, msgs[0])
			if err != nil {
				return nil, err
			}
			msgs = out
			continue
		}
		var next []*weir.Message
		for _, m := range msgs {
			out, err := t.Transform(ctx, m)
			if err != nil {
				return nil, err
			}
			next = append(next, out...)
		}
		msgs = next
	}
	return msgs, nil
}

// Factory builds a Transformer from its config, with the dependencies env
// carries (never nil). It should validate every setting and return a
// *weir.ConfigError naming the setting at fault. ctx bounds what
// construction does (reading files, resolving secrets); the transformer
// must not keep it.
//
// [Typed] and [TypedEnv] make a Factory from a typed constructor.
type Factory func(ctx context.Context, env *Env, cfg weir.Config) (Transformer, error)

// Typed returns a Factory that decodes a config's settings into a C, as
// Substation's settings (JSON tags name them; unknown settings and values
// of the wrong JSON type are *weir.ConfigErrors naming the setting), and
// calls fn with it:
//
//	reg.Register("my_type", transform.Typed(NewMyType))
func Typed[C any, T Transformer](fn func(cfg C) (T, error)) Factory {
	return decoded(func(_ context.Context, _ *Env, c C) (T, error) { return fn(c) })
}

// TypedEnv is [Typed] for constructors that need the build's context or
// Env: to build nested transforms with env.New, to share the pipeline's KV
// stores, or to log.
func TypedEnv[C any, T Transformer](fn func(ctx context.Context, env *Env, cfg C) (T, error)) Factory {
	return decoded(fn)
}

// Registry maps transform type names to factories. The zero value is an
// empty registry ready to use; [Builtins] returns one holding every
// built-in. A Registry is safe for concurrent use once registration is done.
type Registry struct {
	m registry.Map[Factory]
}

// Builtins returns a new Registry holding every built-in transform type. Add
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
	return r.m.Register("transform", name, f, f == nil)
}

// Types returns the registered type names, sorted.
func (r *Registry) Types() []string { return r.m.Names() }

// Lookup returns the factory registered under name, e.g. to build a
// registry that replaces one type and keeps the others.
func (r *Registry) Lookup(name string) (Factory, bool) { return r.m.Lookup(name) }

// New builds the Transformer cfg describes with an Env whose registry is r.
// Transformers nested in cfg (as in meta_switch) are built from r too.
func (r *Registry) New(ctx context.Context, cfg weir.Config) (Transformer, error) {
	return (&Env{Transforms: r}).New(ctx, cfg)
}

// New builds the Transformer cfg describes from the built-in types, with a
// zero [Env]. Use [Env.New] to give it dependencies, and [NewPipeline] or
// [Load] for several transforms that share KV stores and secrets.
func New(ctx context.Context, cfg weir.Config) (Transformer, error) {
	return (*Env)(nil).New(ctx, cfg)
}

// decoded returns a Factory that decodes the settings into a C and calls fn.
func decoded[C any, T Transformer](fn func(ctx context.Context, env *Env, cfg C) (T, error)) Factory {
	return func(ctx context.Context, env *Env, cfg weir.Config) (Transformer, error) {
		var c C
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		t, err := fn(ctx, env, c)
		if err != nil {
			return nil, configErr(cfg.Type, err)
		}
		return t, nil
	}
}

// decodedNoCtx is decoded for constructors that need neither context nor
// Env.
func decodedNoCtx[C any, T Transformer](fn func(cfg C) (T, error)) Factory {
	return Typed(fn)
}

// configErr names typ in a constructor's error.
func configErr(typ string, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return err
	}
	return &weir.ConfigError{Type: typ, Err: err}
}

// Error is returned by a built-in transformer that failed on a message. It
// names the transform's type and id (the "id" setting) and wraps the cause.
type Error struct {
	Type string // the transform type, e.g. "object_to_integer"
	ID   string // the "id" setting, if any
	Err  error  // the cause
}

// Error implements error.
func (e *Error) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("transform %s (%s): %v", e.Type, e.ID, e.Err)
	}
	return fmt.Sprintf("transform %s: %v", e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
