package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/kvstore"
)

// Pipeline is a pipeline built from a Substation config: the transforms of
// its "transforms" list, run in order like a [Chain]. It is what a user of
// a config holds.
//
// A Pipeline owns what its transforms opened (clients, connections, files)
// and the KV stores and secrets it made for them: Close releases all of it,
// once. It is safe for concurrent use if its transforms are (every
// built-in is).
type Pipeline struct {
	transforms  []Transformer
	chain       Transformer
	concurrency int
	tests       []json.RawMessage
	stores      *kvstore.Stores // made by the pipeline, closed by Close; or nil
	coercions   *Coercions

	closeOnce sync.Once
	closeErr  error
}

// NewPipeline builds the transforms of cfgs with env (nil: a zero [Env]),
// as one pipeline: unless env says otherwise, the transforms share one set
// of KV stores and one set of secrets, made for this pipeline, so that a
// store written by one transform is read by the next and a secret resolved
// by utility_secret is seen by the transforms after it.
//
// A construction error is a *weir.ConfigError naming the transform's
// position ("transforms[3]"), its type and id, and the setting at fault;
// what was already built is closed. The error of a transform or condition
// nested in another reads with its full location, as in
// "transforms[0].settings.cases[1].transforms[2] (object_copy, id "x"):
// setting "object.target_key": …" (see [weir.ConfigError]).
func NewPipeline(ctx context.Context, env *Env, cfgs []weir.Config) (*Pipeline, error) {
	var e Env
	if env != nil {
		e = *env
	}
	p := &Pipeline{}
	if e.KVStores == nil {
		p.stores = &kvstore.Stores{Env: e.KVStoreEnv()}
		e.KVStores = p.stores
	}
	if e.Secrets == nil {
		e.Secrets = &Secrets{}
	}
	if e.Coercions == nil {
		e.Coercions = &Coercions{}
	}
	p.coercions = e.Coercions
	ts, err := e.newAll(ctx, cfgs)
	if err != nil {
		if p.stores != nil {
			_ = p.stores.Close()
		}
		return nil, err
	}
	p.transforms = ts
	p.chain = Chain(ts...)
	if len(ts) == 0 {
		p.chain = Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			return msg.AsSlice(), nil
		})
	}
	return p, nil
}

// Load reads a Substation config from r and builds its pipeline with env
// (nil: a zero [Env]), as [NewPipeline] does. See [Parse] for the format.
// For configs written in Jsonnet, use package transform/jsonnetconfig,
// which evaluates them and hands their JSON to Parse.
func Load(ctx context.Context, env *Env, r io.Reader) (*Pipeline, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(ctx, env, b)
}

// Parse builds the pipeline of the Substation config b with env (nil: a
// zero [Env]), as [NewPipeline] does.
//
// b is a JSON object whose "transforms" member lists the transform configs,
// {"type": …, "settings": {…}}. The members "concurrency" (a number) and
// "tests" (a list), which Substation's programs read, are accepted: see
// [Pipeline.Concurrency] and [Pipeline.Tests]. Any other member, a member
// given twice anywhere in the document, and a config with members other
// than "type" and "settings" are errors: a typo must not run an empty
// pipeline. Numbers in settings keep the digits they were written with.
func Parse(ctx context.Context, env *Env, b []byte) (*Pipeline, error) {
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, err
	}
	return cfg.Build(ctx, env)
}

// Build builds the pipeline c describes with env (nil: a zero [Env]), as
// [NewPipeline] does, keeping c's Concurrency and Tests. A program that
// looks at a config before building it (ParseConfig, then Build) parses it
// once.
func (c PipelineConfig) Build(ctx context.Context, env *Env) (*Pipeline, error) {
	p, err := NewPipeline(ctx, env, c.Transforms)
	if err != nil {
		return nil, err
	}
	p.concurrency = c.Concurrency
	p.tests = c.Tests
	return p, nil
}

// PipelineConfig is the top-level object of a Substation config.
type PipelineConfig struct {
	// Transforms are the pipeline's transforms, in order.
	Transforms []weir.Config
	// Concurrency is the "concurrency" member, or 0.
	Concurrency int
	// Tests are the members of the "tests" list, as written.
	Tests []json.RawMessage
}

// ParseConfig parses a Substation config strictly, without building it (see
// [Parse] for the rules). Errors are *weir.ConfigErrors that give the line
// and column, or the JSON path, of the fault.
func ParseConfig(b []byte) (PipelineConfig, error) {
	var cfg PipelineConfig
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return cfg, &weir.ConfigError{Err: describeJSONError(b, err)}
	}
	if err := checkDuplicates(b); err != nil {
		return cfg, err
	}
	if top == nil {
		return cfg, &weir.ConfigError{Err: errors.New(`a pipeline config is a JSON object with "transforms"`)}
	}
	for _, k := range slices.Sorted(maps.Keys(top)) { // the same error every run
		switch k {
		case "transforms", "concurrency", "tests":
		default:
			err := fmt.Errorf("unknown top-level key %q", k)
			if s := suggest(k, []string{"transforms", "concurrency", "tests"}); s != "" {
				err = fmt.Errorf("%w; did you mean %q?", err, s)
			}
			return cfg, &weir.ConfigError{Location: k, Err: err}
		}
	}
	raw, ok := top["transforms"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return cfg, &weir.ConfigError{Location: "transforms", Err: missingSetting(`a pipeline config needs "transforms", a list of transform configs`)}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return cfg, &weir.ConfigError{Location: "transforms", Err: errors.New("must be a list of transform configs")}
	}
	cfg.Transforms = make([]weir.Config, len(list))
	for i, item := range list {
		c, err := weir.ParseConfig(item)
		if err != nil {
			var ce *weir.ConfigError
			if errors.As(err, &ce) && ce.Location == "" {
				ce.Location = fmt.Sprintf("transforms[%d]", i)
			}
			return cfg, err
		}
		cfg.Transforms[i] = c
	}
	if raw, ok := top["concurrency"]; ok {
		if err := json.Unmarshal(raw, &cfg.Concurrency); err != nil || cfg.Concurrency < 0 {
			return cfg, &weir.ConfigError{Location: "concurrency", Err: errors.New("must be a whole number, 0 or more")}
		}
	}
	if raw, ok := top["tests"]; ok {
		if err := json.Unmarshal(raw, &cfg.Tests); err != nil {
			return cfg, &weir.ConfigError{Location: "tests", Err: errors.New("must be a list of tests")}
		}
	}
	return cfg, nil
}

// Transform runs msg through the pipeline's transforms in order.
func (p *Pipeline) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return p.chain.Transform(ctx, msg)
}

// Transforms returns the pipeline's transforms, in order. They belong to
// the pipeline: do not close them.
func (p *Pipeline) Transforms() []Transformer { return p.transforms }

// Coercions returns the coercion counts of the pipeline's transforms: the
// Env's [Env.Coercions], or the pipeline's own.
func (p *Pipeline) Coercions() *Coercions { return p.coercions }

// Concurrency returns the config's "concurrency" member (0 when absent):
// how many workers Substation's programs would run the pipeline on.
func (p *Pipeline) Concurrency() int { return p.concurrency }

// Tests returns the members of the config's "tests" list as written, in
// Substation's shape ({"name": …, "transforms": […], "condition": {…}}).
func (p *Pipeline) Tests() []json.RawMessage { return p.tests }

// Close closes every transform that implements io.Closer, then the KV
// stores the pipeline made. Only the first call does anything; later ones
// return its result.
func (p *Pipeline) Close() error {
	p.closeOnce.Do(func() {
		errs := []error{closeAll(p.transforms)}
		if p.stores != nil {
			errs = append(errs, p.stores.Close())
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}
