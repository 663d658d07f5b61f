package transform

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// SecretFactory turns the config of a secret — the "secret" setting of
// utility_secret, {"type": …, "settings": {…}} — into the config of the
// [UtilitySecret] that resolves it: the factory sets SecretID, Name, TTL and
// Store, and the utility_secret factory sets Secrets, Now and ID and calls
// [NewUtilitySecret], which checks SecretID, Name and TTL. A factory checks
// the settings of its own; its errors are *weir.ConfigErrors whose Field is
// the setting's path from utility_secret's settings, such as
// "secret.settings.aws.arn".
//
// The Store it returns must follow [SecretStore]'s contract: an error
// matching [ErrSecretNotFound] for a secret that does not exist, and no
// secret value in any error.
type SecretFactory func(ctx context.Context, env *Env, cfg weir.Config) (UtilitySecretConfig, error)

// SecretRegistry maps the types of utility_secret's secrets
// ("environment_variable", "aws_secrets_manager") to factories. The zero
// value is empty and ready to use; [BuiltinSecrets] returns one with the
// types of this package. It is safe for concurrent use once registration is
// done.
type SecretRegistry struct {
	m registry.Map[SecretFactory]
}

// BuiltinSecrets returns a new SecretRegistry with the secret types of this
// package: environment_variable. Package transform/awssecrets adds
// aws_secrets_manager; package transform/all has both.
func BuiltinSecrets() *SecretRegistry {
	r := &SecretRegistry{}
	if err := r.Register("environment_variable", environmentSecret); err != nil {
		panic(err) // a bug in this package
	}
	return r
}

// builtinSecretsOnce holds the shared registry of built-in secret types.
var builtinSecretsOnce = sync.OnceValue(BuiltinSecrets)

// Register adds a secret type. Registering a name twice is an error.
func (r *SecretRegistry) Register(name string, f SecretFactory) error {
	return r.m.Register("secret", name, f, f == nil)
}

// Types returns the registered type names, sorted.
func (r *SecretRegistry) Types() []string { return r.m.Names() }

// Lookup returns the factory registered under name.
func (r *SecretRegistry) Lookup(name string) (SecretFactory, bool) { return r.m.Lookup(name) }

// secretTypes returns the secret types of e: its SecretTypes, or the
// built-ins.
func (e *Env) secretTypes() *SecretRegistry {
	if e != nil && e.SecretTypes != nil {
		return e.SecretTypes
	}
	return builtinSecretsOnce()
}

// ParseSecretTTL parses the ttl_offset setting of a secret, a Go duration
// ("15m"); "" is 0, which [NewUtilitySecret] reads as its default. Secret
// factories use it so that every type reads the setting alike.
func ParseSecretTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", d)
	}
	return d, nil
}

// environmentSecret is the factory of "environment_variable" secrets: the
// value of the variable "name", looked up in the Env's SecretStore
// (environment variables unless the Env sets another).
func environmentSecret(_ context.Context, env *Env, cfg weir.Config) (UtilitySecretConfig, error) {
	var es environmentSecretSettings
	if err := cfg.Decode(&es); err != nil {
		return UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings", Err: err}
	}
	ttl, err := ParseSecretTTL(es.TTLOffset)
	if err != nil {
		return UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings.ttl_offset", Err: err}
	}
	return UtilitySecretConfig{SecretID: es.ID, Name: es.Name, TTL: ttl, Store: env.secretStore()}, nil
}

// unknownSecretType is the error of a secret type r lacks.
func unknownSecretType(r *SecretRegistry, typ string) error {
	types := r.Types()
	hint := "known: " + strings.Join(types, ", ")
	switch s := registry.Suggest(typ, types); {
	case typ == "aws_secrets_manager":
		hint = "it is in package github.com/weirhq/weir/transform/awssecrets: register it, or build with transform/all.Env() for every Substation type"
	case s != "":
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Errorf("%w %q (%s)", weir.ErrUnknownType, typ, hint)
}
