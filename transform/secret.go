package transform

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir"
)

// defaultSecretTTL is how long Substation uses a resolved secret before it
// resolves it again.
const defaultSecretTTL = 15 * time.Minute

// ErrSecretNotFound is matched by the error of a [SecretStore] that has no
// secret of the name asked for, and of [Secrets.Interpolate] for a
// reference to an id no utility_secret resolved. Fix the environment or the
// configuration.
var ErrSecretNotFound = errors.New("transform: secret not found")

// SecretStore looks secrets up by name: environment variables, a cloud
// secrets manager, a vault. Get returns an error matching
// [ErrSecretNotFound] when there is no secret of that name. It may be called
// concurrently. Errors must not contain secret values.
type SecretStore interface {
	Get(ctx context.Context, name string) (string, error)
}

// SecretStoreFunc adapts an ordinary function to the SecretStore interface.
type SecretStoreFunc func(ctx context.Context, name string) (string, error)

// Get calls f(ctx, name).
func (f SecretStoreFunc) Get(ctx context.Context, name string) (string, error) { return f(ctx, name) }

// EnvironmentSecrets is the SecretStore of environment variables: Get
// returns the value of the variable named name (an empty value counts as
// set).
type EnvironmentSecrets struct{}

// Get implements [SecretStore].
func (EnvironmentSecrets) Get(_ context.Context, name string) (string, error) {
	if v, ok := os.LookupEnv(name); ok {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %q is not set: %w", name, ErrSecretNotFound)
}

// secretRefPrefix starts a reference to a secret in a setting.
const secretRefPrefix = "${SECRET:"

// Secrets holds the secrets that utility_secret transforms resolved, by id,
// for the references ${SECRET:<id>} in the settings of other transforms.
// The zero value is an empty set ready to use; it is safe for concurrent
// use.
//
// One Secrets serves a pipeline: build its transforms with a context from
// [WithSecrets] (as [NewAll] or a [Registry] do with the context they are
// given). Each utility_secret resolves its secret when it is built and
// stores it here under its id; a transform whose settings may hold
// references (enrich_http_get's url and headers, for example) takes the
// Secrets with [SecretsFrom] when it is built and calls
// [Secrets.Interpolate] on such a setting each time it uses it, so it sees
// refreshed values. The utility_secret must come before the transforms
// that refer to its id.
type Secrets struct {
	mu sync.RWMutex
	m  map[string]string
	// known holds every value ever set, with the id it was set under, so
	// that an error built with a value since rotated is redacted too.
	known map[string]string
	rep   *strings.Replacer // built on demand from known; nil after a Set
}

// Set stores the value of the secret id, replacing any previous value.
func (s *Secrets) Set(id, value string) {
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]string)
		s.known = make(map[string]string)
	}
	s.m[id] = value
	if value != "" && s.known[value] != id {
		s.known[value] = id
		s.rep = nil
	}
	s.mu.Unlock()
}

// Redact returns str with every value a secret has had in s — as is, and
// in the forms URLs and quoted strings give it (path and query escaping,
// Go quoting) — replaced by "[redacted ${SECRET:<id>}]". Transforms that
// fill settings with secrets pass the text of their errors and log lines
// through it as they build them, so that no resolved secret reaches an
// error, a log or an error sink. A nil Secrets, or one without values,
// returns str.
func (s *Secrets) Redact(str string) string {
	if s == nil {
		return str
	}
	s.mu.RLock()
	rep, n := s.rep, len(s.known)
	s.mu.RUnlock()
	if n == 0 {
		return str
	}
	if rep == nil {
		rep = s.replacer()
	}
	return rep.Replace(str)
}

// replacer builds the Replacer of Redact.
func (s *Secrets) replacer() *strings.Replacer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep != nil {
		return s.rep
	}
	type pair struct{ from, to string }
	var pairs []pair
	seen := make(map[string]bool)
	for v, id := range s.known {
		to := "[redacted ${SECRET:" + id + "}]"
		quoted := strconv.Quote(v)
		for _, from := range []string{v, url.PathEscape(v), url.QueryEscape(v), quoted[1 : len(quoted)-1]} {
			if from != "" && !seen[from] {
				seen[from] = true
				pairs = append(pairs, pair{from, to})
			}
		}
	}
	// Longest first, so that a secret inside another is not replaced
	// first; the Replacer takes the first match in argument order at each
	// position.
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(len(b.from), len(a.from)); c != 0 {
			return c
		}
		return strings.Compare(a.from, b.from)
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	s.rep = strings.NewReplacer(args...)
	return s.rep
}

// Get returns the value of the secret id and whether it is set.
func (s *Secrets) Get(id string) (string, bool) {
	s.mu.RLock()
	v, ok := s.m[id]
	s.mu.RUnlock()
	return v, ok
}

// Interpolate returns str with every reference ${SECRET:<id>} replaced by
// the value of the secret id. An id runs to the next "}". A reference to an
// id that is not set is an error matching [ErrSecretNotFound]; a string
// without references is returned as is, without allocating.
func (s *Secrets) Interpolate(str string) (string, error) {
	i := strings.Index(str, secretRefPrefix)
	if i < 0 {
		return str, nil
	}
	var b strings.Builder
	for i >= 0 {
		rest := str[i+len(secretRefPrefix):]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			break // not a reference: keep the rest as it is
		}
		id := rest[:end]
		v, ok := s.Get(id)
		if !ok {
			return "", fmt.Errorf("secret %q: %w", id, ErrSecretNotFound)
		}
		b.WriteString(str[:i])
		b.WriteString(v)
		str = rest[end+1:]
		i = strings.Index(str, secretRefPrefix)
	}
	b.WriteString(str)
	return b.String(), nil
}

// ---------------------------------------------------------------------------
// utility_secret

// UtilitySecretConfig configures [UtilitySecret], the utility_secret
// transform.
//
// In JSON it has Substation's shape. The secret's type is one of the Env's
// SecretTypes ([SecretRegistry]): this package has "environment_variable"
// (ttl_offset is optional), and package transform/awssecrets
// "aws_secrets_manager" (in transform/all):
//
//	{"type": "utility_secret", "settings": {"secret": {
//	    "type": "environment_variable",
//	    "settings": {"id": "API_KEY", "name": "MY_SERVICE_API_KEY", "ttl_offset": "15m"}}}}
//	{"type": "utility_secret", "settings": {"secret": {
//	    "type": "aws_secrets_manager",
//	    "settings": {"id": "API_KEY", "aws": {"arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"}}}}}
type UtilitySecretConfig struct {
	// SecretID is the id other transforms refer to the secret by, as
	// ${SECRET:<SecretID>}. Required.
	SecretID string
	// Name is the secret's name in Store: for environment variables, the
	// variable's name. Required.
	Name string
	// TTL is how long a resolved value is used before the next data message
	// resolves it again; 0 means 15 minutes, as in Substation.
	TTL time.Duration
	// Store resolves Name; nil means EnvironmentSecrets.
	Store SecretStore
	// OwnStore makes the UtilitySecret the owner of Store: its Close
	// closes Store if Store is an io.Closer. Secret factories that build a
	// store of their own (a client) set it.
	OwnStore bool
	// Secrets receives the value under SecretID. Nil means a set of the
	// transform's own, which no other transform can refer to; the JSON
	// factory uses the one carried by the context ([WithSecrets]).
	Secrets *Secrets
	// ID names this transform in errors.
	ID string
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// UtilitySecret resolves a secret and keeps it in a [Secrets] under an id,
// so that the settings of other transforms can refer to it as
// ${SECRET:<id>} instead of holding its value. It is the utility_secret
// transform.
//
// The secret is resolved once, when the transform is built (a secret that
// cannot be resolved fails construction), and again by the first data
// message after each TTL, so rotated secrets are picked up; a failure then
// is that message's error, and the old value stays in use. Messages pass
// unchanged. A UtilitySecret is safe for concurrent use: one caller
// refreshes while the others go on.
type UtilitySecret struct {
	id       string
	secretID string
	name     string
	ttl      time.Duration
	store    SecretStore
	secrets  *Secrets
	now      func() time.Time
	closer   io.Closer // Store, if owned and an io.Closer
	closed   sync.Once

	refreshing sync.Mutex
	expires    atomic.Int64 // Unix nanoseconds
}

// NewUtilitySecret returns a UtilitySecret that has resolved its secret
// with ctx.
func NewUtilitySecret(ctx context.Context, cfg UtilitySecretConfig) (*UtilitySecret, error) {
	const typ = "utility_secret"
	var bad *weir.ConfigError
	switch {
	case cfg.SecretID == "":
		bad = &weir.ConfigError{Type: typ, Field: "secret.settings.id", Err: weir.ErrMissingSetting}
	case cfg.Name == "":
		bad = &weir.ConfigError{Type: typ, Field: "secret.settings.name", Err: weir.ErrMissingSetting}
	case cfg.TTL < 0:
		bad = &weir.ConfigError{Type: typ, Field: "secret.settings.ttl_offset", Err: fmt.Errorf("%s is negative", cfg.TTL)}
	}
	if bad != nil {
		if c, ok := cfg.Store.(io.Closer); ok && cfg.OwnStore {
			_ = c.Close()
		}
		return nil, bad
	}
	u := &UtilitySecret{
		id:       cfg.ID,
		secretID: cfg.SecretID,
		name:     cfg.Name,
		ttl:      cfg.TTL,
		store:    cfg.Store,
		secrets:  cfg.Secrets,
		now:      cfg.Now,
	}
	if u.ttl == 0 {
		u.ttl = defaultSecretTTL
	}
	if u.store == nil {
		u.store = EnvironmentSecrets{}
	}
	if u.secrets == nil {
		u.secrets = &Secrets{}
	}
	if u.now == nil {
		u.now = time.Now
	}
	if c, ok := cfg.Store.(io.Closer); ok && cfg.OwnStore {
		u.closer = c
	}
	if err := u.resolve(ctx); err != nil {
		_ = u.Close()
		return nil, &weir.ConfigError{Type: typ, Field: "secret", Err: err}
	}
	return u, nil
}

// Close closes the secret's store if the UtilitySecret owns it
// (UtilitySecretConfig.OwnStore), once; the secret keeps its last value in
// Secrets.
func (u *UtilitySecret) Close() error {
	var err error
	u.closed.Do(func() {
		if u.closer != nil {
			err = u.closer.Close()
		}
	})
	return err
}

// utilitySecretSettings is the JSON shape of utility_secret's settings.
type utilitySecretSettings struct {
	Secret weir.Config `json:"secret"`
	ID     string      `json:"id,omitempty"`
}

// environmentSecretSettings is the JSON shape of the settings of an
// "environment_variable" secret.
type environmentSecretSettings struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TTLOffset string `json:"ttl_offset,omitempty"`
}

func buildUtilitySecret(ctx context.Context, env *Env, s utilitySecretSettings) (*UtilitySecret, error) {
	if s.Secret.Type == "" {
		return nil, &weir.ConfigError{Field: "secret.type", Err: weir.ErrMissingSetting}
	}
	types := env.secretTypes()
	f, ok := types.Lookup(s.Secret.Type)
	if !ok {
		return nil, &weir.ConfigError{Field: "secret.type", Err: unknownSecretType(types, s.Secret.Type)}
	}
	cfg, err := f(ctx, env, s.Secret)
	if err != nil {
		return nil, err
	}
	cfg.Secrets, cfg.Now, cfg.ID = env.secrets(), env.Now, s.ID
	return NewUtilitySecret(ctx, cfg)
}

// resolve gets the secret from the store and publishes it.
func (u *UtilitySecret) resolve(ctx context.Context) error {
	v, err := u.store.Get(ctx, u.name)
	if err != nil {
		return fmt.Errorf("resolve secret %q: %w", u.secretID, err)
	}
	u.secrets.Set(u.secretID, v)
	u.expires.Store(u.now().Add(u.ttl).UnixNano())
	return nil
}

// Transform implements [Transformer].
func (u *UtilitySecret) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() || u.now().UnixNano() < u.expires.Load() {
		return msg.AsSlice(), nil
	}
	if !u.refreshing.TryLock() {
		return msg.AsSlice(), nil // another caller is refreshing
	}
	defer u.refreshing.Unlock()
	if u.now().UnixNano() < u.expires.Load() {
		return msg.AsSlice(), nil // refreshed meanwhile
	}
	if err := u.resolve(ctx); err != nil {
		return nil, &Error{Type: "utility_secret", ID: u.id, Err: err}
	}
	return msg.AsSlice(), nil
}
