package transform

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/kvstore"
)

// Env carries what factories need to build transforms: the registries that
// nested configs (meta_switch, meta_retry, …) are built from, the pipeline's
// KV stores and secrets, and the clients, clock and logger transforms use.
// Factories receive it explicitly; nothing travels in a context value.
//
// The zero value works: the built-in types, fresh in-memory stores shared
// by the transforms built from it, secrets from environment variables, the
// AWS SDK's default configuration chain, [http.DefaultClient]'s settings,
// the system clock and a logger that discards. Fields are read when a
// transform is built; an Env must not be changed while transforms are being
// built from it.
type Env struct {
	// Transforms resolves transform types, nested ones included. Nil means
	// [Builtins].
	Transforms *Registry
	// Conditions resolves condition types. Nil means condition.Builtins.
	Conditions *condition.Registry
	// KVStores holds the KV stores of the pipeline: transforms whose
	// kv_store configs are identical share one store. Whoever made the set
	// closes it. Nil means that each transform built from the Env makes and
	// closes a store of its own; [NewPipeline] and [Load] give the
	// pipeline a set of its own, which the pipeline closes.
	KVStores *kvstore.Stores
	// KVStoreTypes resolves kv_store types. Nil means kvstore.Builtins,
	// which lacks aws_dynamodb (package kvstore/dynamokv).
	KVStoreTypes *kvstore.Registry
	// Files fetches the files of kv stores and lookup tables: its openers
	// serve URL schemes besides http(s) (package transform/all registers
	// s3://). Its HTTP client and AWS configuration default to the Env's.
	Files enrich.Source
	// Secrets holds the values that utility_secret transforms resolve, for
	// the ${SECRET:<id>} references of later transforms. Nil means that each
	// transform has a set of its own (so references to other transforms'
	// secrets fail); [NewPipeline] and [Load] give the pipeline one set.
	Secrets *Secrets
	// SecretStore resolves the names of utility_secret's
	// environment_variable secrets. Nil means environment variables
	// ([EnvironmentSecrets]).
	SecretStore SecretStore
	// SecretTypes resolves the types of utility_secret's secrets. Nil
	// means [BuiltinSecrets], which lacks aws_secrets_manager (package
	// transform/awssecrets).
	SecretTypes *SecretRegistry
	// Metrics, if set, receives what every metric transform reports,
	// whatever its "metric.destination" says.
	Metrics Metrics
	// AWS configures the clients of transforms, KV stores and file sources
	// that call AWS services. Nil means the SDK's default chain
	// (environment, shared config and credentials files, SSO, web
	// identity, container and instance roles). Set it to an aws.Config
	// (package github.com/aws/aws-sdk-go-v2/aws) to use your own, or to a
	// value of package awsenv. It is typed any so that a program that uses
	// no AWS type does not link the SDK.
	AWS any
	// HTTPClient is the client of HTTP enrichment and of remote files. Nil
	// means a client of each transform's own, with its documented defaults.
	HTTPClient *http.Client
	// Now is the clock of transforms that read it; nil means time.Now.
	Now func() time.Time
	// Logger receives what transforms log; nil discards.
	Logger *slog.Logger

	// Strict makes each coercion an error. By default a transform that
	// meets a value it cannot convert faithfully (a timestamp that is not
	// a number, a string that is not a boolean, an IP address given to
	// network_domain_*) writes what Substation writes (0, false, …) and
	// counts a coercion; when Strict is set it returns a
	// *weir.CoercionError (matching weir.ErrInvalidData) instead. See
	// docs/substation-compatibility.md.
	Strict bool
	// Coercions, if set, counts the coercions of the transforms built from
	// the Env, per transform; it keeps an entry for every transform built,
	// so share one only among pipelines that live as long as it does. Nil
	// means that [NewPipeline] and [Load] give the pipeline a counter of
	// its own ([Pipeline.Coercions]).
	Coercions *Coercions
	// CoercionMetadata, if set, is a metadata key: a transform that
	// coerces a value writes there what it coerced (its type and id, the
	// field, the value truncated, the target type). The data is unchanged.
	CoercionMetadata string
	// Stdout is where send_stdout transforms write; nil means os.Stdout.
	// A program that writes its own output there (the weir command) sets
	// it, so that the two do not interleave. It is written by one
	// goroutine at a time per transform.
	Stdout io.Writer
}

// KVStoreEnv returns what kv stores are built with: the Env's kv store
// types, file source, AWS configuration, HTTP client and clock.
func (e *Env) KVStoreEnv() kvstore.Env {
	if e == nil {
		return kvstore.Env{}
	}
	return kvstore.Env{Types: e.KVStoreTypes, Files: e.Files, AWS: e.AWS, HTTPClient: e.HTTPClient, Now: e.Now}
}

// discard is the logger of an Env without one.
var discard = slog.New(slog.DiscardHandler)

// transforms returns the transform registry to use.
func (e *Env) transforms() *Registry {
	if e != nil && e.Transforms != nil {
		return e.Transforms
	}
	return builtins()
}

// ConditionEnv returns the Env conditions are built with: the condition
// registry of e.
func (e *Env) ConditionEnv() *condition.Env {
	if e == nil {
		return &condition.Env{}
	}
	return &condition.Env{Conditions: e.Conditions}
}

// kvStores returns the pipeline's KV stores, or nil.
func (e *Env) kvStores() *kvstore.Stores {
	if e == nil {
		return nil
	}
	return e.KVStores
}

// secrets returns the pipeline's secrets, or a set of the caller's own.
func (e *Env) secrets() *Secrets {
	if e == nil || e.Secrets == nil {
		return &Secrets{}
	}
	return e.Secrets
}

// secretStore returns the store utility_secret resolves names in.
func (e *Env) secretStore() SecretStore {
	if e != nil && e.SecretStore != nil {
		return e.SecretStore
	}
	return EnvironmentSecrets{}
}

// metrics returns the Metrics override, or nil.
func (e *Env) metrics() Metrics {
	if e == nil {
		return nil
	}
	return e.Metrics
}

// now returns the clock.
func (e *Env) now() func() time.Time {
	if e != nil && e.Now != nil {
		return e.Now
	}
	return time.Now
}

// Log returns the logger transforms log to: e.Logger, or one that discards.
func (e *Env) Log() *slog.Logger {
	if e != nil && e.Logger != nil {
		return e.Logger
	}
	return discard
}

// New builds the Transformer cfg describes, from e's registry. Transforms
// nested in cfg are built with e too.
//
// A construction error is a *weir.ConfigError naming cfg's type and id and
// the setting at fault; an error in a nested config is the chain
// [weir.ConfigError] describes, which reads as one location relative to
// cfg ("settings.cases[1].transforms[2] (object_copy): …").
func (e *Env) New(ctx context.Context, cfg weir.Config) (Transformer, error) {
	if e == nil {
		e = &Env{}
	}
	f, ok := e.transforms().Lookup(cfg.Type)
	if !ok {
		return nil, withID(cfg, unknownType(e.transforms().Types(), cfg.Type))
	}
	t, err := f(ctx, e, cfg)
	if err != nil {
		return nil, withID(cfg, configErr(cfg.Type, err))
	}
	return t, nil
}

// newAll builds each config with [Env.New], in order; on error it closes
// what it built.
func (e *Env) newAll(ctx context.Context, cfgs []weir.Config) ([]Transformer, error) {
	out := make([]Transformer, 0, len(cfgs))
	for i, c := range cfgs {
		t, err := e.New(ctx, c)
		if err != nil {
			_ = closeAll(out)
			return nil, atIndex(i, c, err)
		}
		out = append(out, t)
	}
	return out, nil
}
