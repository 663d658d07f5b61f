package transformtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/transformtest"
)

// RedactConfig configures Redact, the "redact" transform of a plugin.
type RedactConfig struct {
	// Key is the path of the value to hide.
	Key string `json:"key"`
}

// Redact replaces the value at a key with "REDACTED". It is safe for
// concurrent use.
type Redact struct {
	key weir.Path
}

// NewRedact returns a Redact for cfg.
func NewRedact(cfg RedactConfig) (*Redact, error) {
	if cfg.Key == "" {
		return nil, &weir.ConfigError{Field: "key", Err: errors.New("required")}
	}
	return &Redact{key: weir.ParsePath(cfg.Key)}, nil
}

// Transform hides the value at the key, if there is one. Control messages
// pass through.
func (r *Redact) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() || !r.key.Get(msg).Exists() {
		return msg.AsSlice(), nil
	}
	if err := r.key.SetString(msg, "REDACTED"); err != nil {
		return nil, &transform.Error{Type: "redact", Err: err}
	}
	return msg.AsSlice(), nil
}

// A plugin's transform registered beside the built-ins, loaded from a
// Substation config and run; then checked against the Transformer contract
// with transformtest.Test. A plugin's _test.go does the same with
// transformtest.Run, as TestRedactConformance below does.
func Example_plugin() {
	ctx := context.Background()
	reg := transform.Builtins()
	if err := reg.Register("redact", transform.Typed(NewRedact)); err != nil {
		panic(err)
	}
	p, err := transform.Parse(ctx, &transform.Env{Transforms: reg}, []byte(`{"transforms":[
		{"type":"redact","settings":{"key":"password"}},
		{"type":"object_copy","settings":{"object":{"source_key":"user","target_key":"actor"}}}
	]}`))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	out, err := p.Transform(ctx, weir.NewMessage([]byte(`{"user":"alice","password":"hunter2"}`)))
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Println(m)
	}

	err = transformtest.Test(ctx, func() (transform.Transformer, error) {
		return NewRedact(RedactConfig{Key: "password"})
	}, transformtest.Options{
		Inputs: [][]byte{[]byte(`{"user":"alice","password":"hunter2"}`)},
		Key:    "password",
	})
	fmt.Println("contract kept:", err == nil)

	// A Transform that returns an error of no documented kind breaks it.
	err = transformtest.Test(ctx, func() (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if !msg.IsControl() && len(msg.Data()) == 0 {
				return nil, errors.New("empty")
			}
			return msg.AsSlice(), nil
		}), nil
	}, transformtest.Options{SkipLarge: true})
	fmt.Println(err)
	// Output:
	// {"user":"alice","password":"REDACTED","actor":"alice"}
	// contract kept: true
	// malformed: input "": error "empty" (*errors.errorString) neither matches weir.ErrInvalidData nor is a *transform.Error
}

// TestRedactConformance is what a plugin's _test.go holds: the typed
// constructor, and the type as a config loads it, run through every check.
func TestRedactConformance(t *testing.T) {
	inputs := [][]byte{
		[]byte(`{"user":"alice","password":"hunter2"}`),
		[]byte(`{"user":"bob"}`),
	}
	t.Run("typed", func(t *testing.T) {
		transformtest.Run(t, func() (transform.Transformer, error) {
			return NewRedact(RedactConfig{Key: "password"})
		}, transformtest.Options{Inputs: inputs, Key: "password"})
	})

	reg := &transform.Registry{}
	if err := reg.Register("redact", transform.Typed(NewRedact)); err != nil {
		t.Fatal(err)
	}
	env := &transform.Env{Transforms: reg}
	t.Run("config", func(t *testing.T) {
		transformtest.Run(t, func() (transform.Transformer, error) {
			return transform.Parse(t.Context(), env, []byte(`{"transforms":[{"type":"redact","settings":{"key":"password"}}]}`))
		}, transformtest.Options{Inputs: inputs, Key: "password"})
	})
	t.Run("unknown_setting", func(t *testing.T) {
		cfg := weir.Config{Type: "redact", Settings: map[string]any{"key": "password"}}
		if err := transformtest.CheckUnknownSetting(t.Context(), env, cfg); err != nil {
			t.Error(err)
		}
	})
}
