package condition

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/weirhq/weir"
)

func utilityBuiltins() map[string]Factory {
	return map[string]Factory{
		"utility_random": decodedNoCtx(NewUtilityRandom),
		"exists":         decodedNoCtx(NewExists),
	}
}

// ObjectSettings is the "object" setting of the inspectors that read a field
// instead of the whole message data. Paths are GJSON paths; a path that
// starts with "meta " reads the metadata.
type ObjectSettings struct {
	// SourceKey is the field to inspect. When empty the inspector examines
	// the whole message data.
	SourceKey string `json:"source_key,omitempty"`
	// TargetKey, for the comparisons that take it, is a field whose value
	// replaces the configured value as the thing to compare against. Types
	// that do not compare reject it.
	TargetKey string `json:"target_key,omitempty"`
}

// rejectTargetKey returns a *weir.ConfigError when o sets a target key that
// typ has no use for.
func rejectTargetKey(typ string, o ObjectSettings) error {
	if o.TargetKey != "" {
		return &weir.ConfigError{Type: typ, Field: "object.target_key", Err: errors.New("not used by this type")}
	}
	return nil
}

// invalidData returns the error an inspector gives for a message it cannot
// judge. It matches weir.ErrInvalidData.
func invalidData(typ, what string) error {
	return fmt.Errorf("condition: %s: %s: %w", typ, what, weir.ErrInvalidData)
}

// ignoreSettings returns a Factory that drops the named settings (dotted
// paths, e.g. "object.value") before calling f. It exists only to load
// configs that Substation, which ignores unknown settings, accepts: its own
// test configs set a few settings their types never read. Every other
// unknown setting is still an error.
func ignoreSettings(f Factory, paths ...string) Factory {
	return func(ctx context.Context, env *Env, cfg weir.Config) (Inspector, error) {
		for _, p := range paths {
			cfg.Settings = withoutSetting(cfg.Settings, strings.Split(p, "."))
		}
		return f(ctx, env, cfg)
	}
}

// withoutSetting returns m without the setting at path, copying the maps it
// changes so the caller's config is left alone.
func withoutSetting(m map[string]any, path []string) map[string]any {
	v, ok := m[path[0]]
	if !ok {
		return m
	}
	if len(path) > 1 {
		sub, isMap := v.(map[string]any)
		if !isMap {
			return m
		}
		v = withoutSetting(sub, path[1:])
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	if len(path) == 1 {
		delete(out, path[0])
	} else {
		out[path[0]] = v
	}
	return out
}

// UtilityRandomConfig is the configuration of utility_random. It has no
// settings.
type UtilityRandomConfig struct {
	// Source, when set, supplies the randomness (tests use a seeded one). It
	// need not be safe for concurrent use: the inspector serializes calls
	// to it. Nil means the goroutine-safe global source of math/rand/v2.
	Source rand.Source `json:"-"`
}

// UtilityRandom is the utility_random inspector: it answers true or false at
// random, each with probability one half, e.g. to sample a stream. Control
// messages are false.
type UtilityRandom struct {
	mu  sync.Mutex
	src rand.Source
}

// NewUtilityRandom returns a utility_random inspector.
func NewUtilityRandom(cfg UtilityRandomConfig) (*UtilityRandom, error) {
	return &UtilityRandom{src: cfg.Source}, nil
}

// Inspect implements Inspector.
func (u *UtilityRandom) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	if u.src == nil {
		return rand.Uint64()>>63 == 1, nil
	}
	u.mu.Lock()
	n := u.src.Uint64()
	u.mu.Unlock()
	return n>>63 == 1, nil // the top bit: some generators' low bits are weak
}
