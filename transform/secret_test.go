package transform_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func TestSecretsInterpolate(t *testing.T) {
	t.Parallel()
	var s transform.Secrets
	s.Set("KEY", "s3cr3t")
	s.Set("HOST", "example.com")
	s.Set("EMPTY", "")
	tests := []struct {
		in, want string
		err      error
	}{
		{in: "no references", want: "no references"},
		{in: "", want: ""},
		{in: "${SECRET:KEY}", want: "s3cr3t"},
		{in: "https://${SECRET:HOST}/api?key=${SECRET:KEY}&x=1", want: "https://example.com/api?key=s3cr3t&x=1"},
		{in: "${SECRET:KEY}${SECRET:KEY}", want: "s3cr3ts3cr3t"},
		{in: "[${SECRET:EMPTY}]", want: "[]"},
		{in: "${SECRET:KEY", want: "${SECRET:KEY"},
		{in: "a ${SECRET:KEY} ${SECRET:unterminated", want: "a s3cr3t ${SECRET:unterminated"},
		{in: "${SECRETS_ENV:KEY} ${ENV:KEY}", want: "${SECRETS_ENV:KEY} ${ENV:KEY}"},
		{in: "${SECRET:MISSING}", err: transform.ErrSecretNotFound},
		{in: "${SECRET:}", err: transform.ErrSecretNotFound},
	}
	for _, tt := range tests {
		got, err := s.Interpolate(tt.in)
		if tt.err != nil {
			require.ErrorIs(t, err, tt.err, tt.in)
			assert.NotContains(t, err.Error(), "s3cr3t")
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}

	var empty transform.Secrets
	_, ok := empty.Get("KEY")
	assert.False(t, ok, "the zero value is empty")
}

// TestSecretsInterpolateAllocs is not parallel: AllocsPerRun forbids it.
func TestSecretsInterpolateAllocs(t *testing.T) {
	var s transform.Secrets
	s.Set("KEY", "s3cr3t")
	allocs := testing.AllocsPerRun(100, func() { _, _ = s.Interpolate("https://example.com/api") })
	assert.Zero(t, allocs, "a string without references costs nothing")
}

// TestEnvironmentSecrets is not parallel: it sets environment variables.
func TestEnvironmentSecrets(t *testing.T) {
	t.Setenv("WEIR_TEST_SECRET", "from-env")
	t.Setenv("WEIR_TEST_EMPTY", "")
	ctx := context.Background()

	v, err := transform.EnvironmentSecrets{}.Get(ctx, "WEIR_TEST_SECRET")
	require.NoError(t, err)
	assert.Equal(t, "from-env", v)
	v, err = transform.EnvironmentSecrets{}.Get(ctx, "WEIR_TEST_EMPTY")
	require.NoError(t, err)
	assert.Empty(t, v)
	_, err = transform.EnvironmentSecrets{}.Get(ctx, "WEIR_TEST_NOT_SET")
	require.ErrorIs(t, err, transform.ErrSecretNotFound)

	// From JSON, with the pipeline's Secrets in the Env.
	secrets := &transform.Secrets{}
	tf, err := (&transform.Env{Secrets: secrets}).New(ctx, parseConfig(t, `{"type":"utility_secret","settings":{"id":"s","secret":{
		"type":"environment_variable","settings":{"id":"ENV_VAR","name":"WEIR_TEST_SECRET","ttl_offset":"1m"}}}}`))
	require.NoError(t, err)
	url, err := secrets.Interpolate("https://${SECRET:ENV_VAR}/x")
	require.NoError(t, err)
	assert.Equal(t, "https://from-env/x", url)
	got, ctrls := feed(t, tf, true, `{"a":1}`)
	assert.Equal(t, []string{`{"a":1}`}, got)
	assert.Equal(t, 1, ctrls)

	// Without Secrets in the Env it still resolves (and checks) the
	// secret.
	_, err = transform.New(ctx, parseConfig(t, `{"type":"utility_secret","settings":{"secret":{
		"type":"environment_variable","settings":{"id":"ENV_VAR","name":"WEIR_TEST_SECRET"}}}}`))
	require.NoError(t, err)

	_, err = transform.New(ctx, parseConfig(t, `{"type":"utility_secret","settings":{"secret":{
		"type":"environment_variable","settings":{"id":"ENV_VAR","name":"WEIR_TEST_NOT_SET"}}}}`))
	require.ErrorIs(t, err, transform.ErrSecretNotFound)
	require.ErrorIs(t, err, weir.ErrInvalidConfig)
	assert.NotContains(t, err.Error(), "from-env")
}

func TestUtilitySecretConfigErrors(t *testing.T) {
	t.Parallel()
	bad := []struct{ cfg, field string }{
		{`{}`, "secret.type"},
		{`{"secret":{"type":"aws_secrets_manager","settings":{"id":"x","name":"y"}}}`, "secret.type"},
		{`{"secret":{"type":"environment_variable","settings":{"name":"PATH"}}}`, "secret.settings.id"},
		{`{"secret":{"type":"environment_variable","settings":{"id":"x"}}}`, "secret.settings.name"},
		{`{"secret":{"type":"environment_variable","settings":{"id":"x","name":"PATH","ttl_offset":"soon"}}}`, "secret.settings.ttl_offset"},
		{`{"secret":{"type":"environment_variable","settings":{"id":"x","name":"PATH","ttl_offset":"-1m"}}}`, "secret.settings.ttl_offset"},
		{`{"secret":{"type":"environment_variable","settings":{"id":"x","name":"PATH","extra":1}}}`, "secret.settings"},
		{`{"no_such_setting":1,"secret":{"type":"environment_variable","settings":{"id":"x","name":"PATH"}}}`, "no_such_setting"},
	}
	for _, b := range bad {
		_, err := transform.New(context.Background(), parseConfig(t, `{"type":"utility_secret","settings":`+b.cfg+`}`))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, b.cfg)
		assert.Equal(t, b.field, ce.Field, b.cfg)
		assert.Equal(t, "utility_secret", ce.Type, b.cfg)
	}
}

// countingStore serves one secret, counting lookups; fail makes it fail.
type countingStore struct {
	lookups atomic.Int64
	value   atomic.Value // string
	fail    atomic.Bool
}

func (c *countingStore) Get(_ context.Context, name string) (string, error) {
	c.lookups.Add(1)
	if c.fail.Load() {
		return "", errors.New("store unavailable")
	}
	if name != "api/key" {
		return "", fmt.Errorf("%q: %w", name, transform.ErrSecretNotFound)
	}
	return c.value.Load().(string), nil
}

func TestUtilitySecret(t *testing.T) {
	t.Parallel()
	store := &countingStore{}
	store.value.Store("v1")
	var mu sync.Mutex
	now := metricTime
	clk := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	secrets := &transform.Secrets{}

	u, err := transform.NewUtilitySecret(context.Background(), transform.UtilitySecretConfig{
		SecretID: "KEY", Name: "api/key", TTL: time.Minute, Store: store, Secrets: secrets, ID: "sec", Now: clk,
	})
	require.NoError(t, err)
	assert.Equal(t, int64(1), store.lookups.Load(), "resolved at construction")
	v, _ := secrets.Get("KEY")
	assert.Equal(t, "v1", v)

	// Within the TTL nothing is looked up.
	got, ctrls := feed(t, u, true, `{"a":1}`, `{"a":2}`)
	assert.Equal(t, []string{`{"a":1}`, `{"a":2}`}, got)
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, int64(1), store.lookups.Load())

	// After it, the next data message refreshes; control messages do not.
	store.value.Store("v2")
	advance(time.Minute)
	_, _ = feed(t, u, true)
	assert.Equal(t, int64(1), store.lookups.Load())
	_, _ = feed(t, u, false, `{}`, `{}`)
	assert.Equal(t, int64(2), store.lookups.Load())
	v, _ = secrets.Get("KEY")
	assert.Equal(t, "v2", v)

	// A failed refresh is the message's error; the old value stays.
	store.fail.Store(true)
	advance(time.Minute)
	out, err := u.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	assert.Nil(t, out)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "utility_secret", te.Type)
	assert.Equal(t, "sec", te.ID)
	assert.ErrorContains(t, err, "store unavailable")
	v, _ = secrets.Get("KEY")
	assert.Equal(t, "v2", v)
	store.fail.Store(false)
	_, err = u.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	require.NoError(t, err)

	// Concurrent callers after expiry: one refreshes.
	advance(time.Minute)
	before := store.lookups.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				_, err := u.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, before+1, store.lookups.Load())
}

func TestUtilitySecretConstruction(t *testing.T) {
	t.Parallel()
	store := &countingStore{}
	store.value.Store("v")
	ctx := context.Background()
	tests := []struct {
		name  string
		cfg   transform.UtilitySecretConfig
		field string
		err   error
	}{
		{"no id", transform.UtilitySecretConfig{Name: "api/key", Store: store}, "secret.settings.id", nil},
		{"no name", transform.UtilitySecretConfig{SecretID: "K", Store: store}, "secret.settings.name", nil},
		{"negative ttl", transform.UtilitySecretConfig{SecretID: "K", Name: "api/key", Store: store, TTL: -time.Second}, "secret.settings.ttl_offset", nil},
		{"not found", transform.UtilitySecretConfig{SecretID: "K", Name: "other", Store: store}, "secret", transform.ErrSecretNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := transform.NewUtilitySecret(ctx, tt.cfg)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}

	// The defaults: environment variables, a private Secrets, 15 minutes.
	u, err := transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{SecretID: "K", Name: "PATH"})
	require.NoError(t, err)
	got, _ := feed(t, u, true, `{}`)
	assert.Equal(t, []string{`{}`}, got)
}

func BenchmarkUtilitySecret(b *testing.B) {
	u, err := transform.NewUtilitySecret(context.Background(), transform.UtilitySecretConfig{
		SecretID: "K", Name: "k", Store: transform.SecretStoreFunc(func(context.Context, string) (string, error) { return "v", nil }),
	})
	require.NoError(b, err)
	benchTransform(b, u, []byte(`{"a":1}`))
}

func BenchmarkSecretsInterpolate(b *testing.B) {
	var s transform.Secrets
	s.Set("KEY", "s3cr3t")
	s.Set("HOST", "example.com")
	for _, in := range []string{"https://example.com/api", "https://${SECRET:HOST}/api?key=${SECRET:KEY}"} {
		b.Run(fmt.Sprintf("refs=%t", in != "https://example.com/api"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Interpolate(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// closingStore counts Close calls.
type closingStore struct {
	transform.SecretStoreFunc
	closes atomic.Int64
}

func (c *closingStore) Close() error { c.closes.Add(1); return nil }

// TestUtilitySecretOwnsStore: a UtilitySecret closes its Store on Close
// only when it owns it (OwnStore), once; it closes an owned store when
// construction fails too.
func TestUtilitySecretOwnsStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	newStore := func() *closingStore {
		return &closingStore{SecretStoreFunc: func(context.Context, string) (string, error) { return "v", nil }}
	}
	owned := newStore()
	u, err := transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{SecretID: "K", Name: "k", Store: owned, OwnStore: true})
	require.NoError(t, err)
	require.NoError(t, u.Close())
	require.NoError(t, u.Close())
	assert.Equal(t, int64(1), owned.closes.Load())

	shared := newStore()
	u, err = transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{SecretID: "K", Name: "k", Store: shared})
	require.NoError(t, err)
	require.NoError(t, u.Close())
	assert.Zero(t, shared.closes.Load(), "a store the caller owns stays open")

	bad := newStore()
	_, err = transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{Name: "k", Store: bad, OwnStore: true})
	require.ErrorIs(t, err, weir.ErrMissingSetting)
	assert.Equal(t, int64(1), bad.closes.Load())

	failing := &closingStore{SecretStoreFunc: func(context.Context, string) (string, error) { return "", transform.ErrSecretNotFound }}
	_, err = transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{SecretID: "K", Name: "k", Store: failing, OwnStore: true})
	require.ErrorIs(t, err, transform.ErrSecretNotFound)
	assert.Equal(t, int64(1), failing.closes.Load())
}

// TestSecretTypes: the Env's SecretTypes decide which secret types
// utility_secret accepts; an unknown one is ErrUnknownType with the near
// miss.
func TestSecretTypes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"environment_variable"}, transform.BuiltinSecrets().Types())
	r := &transform.SecretRegistry{}
	require.NoError(t, r.Register("x", func(context.Context, *transform.Env, weir.Config) (transform.UtilitySecretConfig, error) {
		return transform.UtilitySecretConfig{}, nil
	}))
	assert.Error(t, r.Register("x", nil))
	_, err := transform.New(context.Background(), parseConfig(t, `{"type":"utility_secret","settings":{"secret":{"type":"environment_variabel","settings":{}}}}`))
	require.ErrorIs(t, err, weir.ErrUnknownType)
	assert.ErrorContains(t, err, `did you mean "environment_variable"?`)
	// An Env without environment_variable refuses it.
	env := &transform.Env{SecretTypes: r}
	_, err = env.New(context.Background(), parseConfig(t, `{"type":"utility_secret","settings":{"secret":{"type":"environment_variable","settings":{"id":"a","name":"PATH"}}}}`))
	require.ErrorIs(t, err, weir.ErrUnknownType)
}
