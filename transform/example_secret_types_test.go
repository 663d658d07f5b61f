package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A secret type of your own for utility_secret configs: here "static_map",
// whose settings name a key in a map the program holds (a vault client
// would stand there). The factory decodes the settings and returns what
// resolves the secret; utility_secret does the rest (TTL, refresh,
// ${SECRET:<id>} references, redaction).
func ExampleSecretRegistry() {
	vault := map[string]string{"intel/api-key": "k-123"}
	types := transform.BuiltinSecrets()
	err := types.Register("static_map", func(_ context.Context, _ *transform.Env, cfg weir.Config) (transform.UtilitySecretConfig, error) {
		var s struct {
			ID        string `json:"id"`
			Key       string `json:"key"`
			TTLOffset string `json:"ttl_offset,omitempty"`
		}
		if err := cfg.Decode(&s); err != nil {
			return transform.UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings", Err: err}
		}
		ttl, err := transform.ParseSecretTTL(s.TTLOffset)
		if err != nil {
			return transform.UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings.ttl_offset", Err: err}
		}
		store := transform.SecretStoreFunc(func(_ context.Context, name string) (string, error) {
			if v, ok := vault[name]; ok {
				return v, nil
			}
			return "", fmt.Errorf("%q: %w", name, transform.ErrSecretNotFound)
		})
		return transform.UtilitySecretConfig{SecretID: s.ID, Name: s.Key, TTL: ttl, Store: store}, nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(types.Types())

	env := &transform.Env{SecretTypes: types, Secrets: &transform.Secrets{}}
	_, err = env.New(context.Background(), weir.Config{Type: "utility_secret", Settings: map[string]any{
		"secret": map[string]any{"type": "static_map", "settings": map[string]any{"id": "INTEL", "key": "intel/api-key"}},
	}})
	if err != nil {
		panic(err)
	}
	url, err := env.Secrets.Interpolate("https://intel.example.com/v1?key=${SECRET:INTEL}")
	if err != nil {
		panic(err)
	}
	fmt.Println(url)
	// Output:
	// [environment_variable static_map]
	// https://intel.example.com/v1?key=k-123
}
