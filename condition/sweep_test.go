package condition_test

// A conformance sweep over every registered built-in inspector, in the
// spirit of testing/slogtest: each config of the Substation v2 conformance
// vectors (plus an inline config for each type without a vector) is checked
// against the contract every Inspector keeps:
//
//   - control: a control message never panics, and an error for it has the
//     documented shape;
//   - malformed: malformed data never panics, and an error matches
//     weir.ErrInvalidData or is a *weir.PathError, with the answer false;
//   - concurrent: one inspector serves 8 goroutines at once (run with
//     -race) and, unless its answer is random, answers as it does
//     sequentially;
//   - unknown_setting: a setting the type does not have is a config error
//     naming it, while the settings a type documents to ignore load.
//
// Each check returns the violations it finds, so TestSweepConditionSelfTest
// can show that it catches them. The vectors only say which configs to try;
// the conformance test checks their answers.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// sweepVectorDir holds the repository's copy of the condition vectors.
const sweepVectorDir = "../testdata/conformance/substation-v2/condition"

// sweepKnownIssues lists contract violations the sweep found that are not
// fixed yet, keyed by "<type>/<check>" (check is control, malformed,
// concurrent or unknown_setting). Those sub-tests are skipped with the
// reason; remove an entry once its bug is fixed.
var sweepKnownIssues = map[string]string{}

// sweepNoCompare lists types whose answer legitimately differs from call to
// call: the concurrent check runs them under -race but does not compare
// answers. A config that nests one of them is not compared either.
var sweepNoCompare = map[string]string{
	"utility_random": "answers at random",
}

// sweepIgnoredSettings lists, per type, the settings (dotted paths) it
// documents to accept and ignore, as the factories in number.go and
// string.go do with ignoreSettings. They must load; any other unknown
// setting is still an error.
var sweepIgnoredSettings = map[string][]string{
	"string_contains":    {"pattern"},
	"number_bitwise_not": {"object.value"},
}

// sweepInline are configs for the types no vector covers, each with an input
// for the concurrent check.
var sweepInline = []struct{ cfg, input string }{
	{`{"type":"exists","settings":{"object":{"source_key":"a"}}}`, `{"a":1}`},
	{`{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","fc00::/7"]}}`, `10.1.2.3`},
	{`{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8"],"object":{"source_key":"ip"}}}`, `{"ip":"10.1.2.3"}`},
	{`{"type":"utility_random"}`, `{"a":1}`},
	{`{"type":"all","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, `abc`},
	{`{"type":"any","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, `abc`},
	{`{"type":"none","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, `xyz`},
	{`{"type":"all","settings":{"object":{"source_key":"a"},"conditions":[{"type":"exists","settings":{"object":{"source_key":"b"}}}]}}`, `{"a":[{"b":1}]}`},
}

// sweepMalformed are the malformed inputs every type must survive.
var sweepMalformed = []string{
	"", "not json", "{", `{"a":`, "[1,2", "null", "\xff\xfe", `{"a":{"b":[{"c":1}]}}`,
}

// sweepRawValues are JSON values the sweep also sends as the data and
// writes at a config's source key.
var sweepRawValues = []string{
	"null", "true", "-1", "1e400", "18446744073709551616", `[]`, `[1,"a",null]`, `{}`, `{"b":[{"c":1}]}`,
}

// sweepCase is one config to check.
type sweepCase struct {
	name   string
	cfg    weir.Config
	inputs [][]byte
}

// sweepDecodeConfig decodes a JSON config as production code does (numbers
// as json.Number).
func sweepDecodeConfig(b []byte) (weir.Config, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c weir.Config
	err := dec.Decode(&c)
	return c, err
}

// sweepLoad reads the vectors and the inline configs.
func sweepLoad(t *testing.T) []sweepCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sweepVectorDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no vectors in %s", sweepVectorDir)

	var cases []sweepCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var vectors []struct {
			Name   string          `json:"name"`
			Config json.RawMessage `json:"config"`
			Input  []struct {
				Data    *string `json:"data"`
				DataB64 string  `json:"data_b64"`
			} `json:"input"`
		}
		require.NoError(t, json.Unmarshal(b, &vectors), f)
		for _, v := range vectors {
			cfg, err := sweepDecodeConfig(v.Config)
			require.NoError(t, err, "%s: %s", f, v.Name)
			c := sweepCase{name: strings.TrimSuffix(filepath.Base(f), ".json") + ":" + v.Name, cfg: cfg}
			for _, in := range v.Input {
				if in.Data != nil {
					c.inputs = append(c.inputs, []byte(*in.Data))
					continue
				}
				d, err := base64.StdEncoding.DecodeString(in.DataB64)
				require.NoError(t, err, "%s: %s", f, v.Name)
				c.inputs = append(c.inputs, d)
			}
			cases = append(cases, c)
		}
	}
	for _, in := range sweepInline {
		cfg, err := sweepDecodeConfig([]byte(in.cfg))
		require.NoError(t, err, in.cfg)
		cases = append(cases, sweepCase{name: "inline:" + in.cfg, cfg: cfg, inputs: [][]byte{[]byte(in.input)}})
	}
	return cases
}

// sweepTypes calls visit with the type of cfg and of every condition nested
// in it: the members of "condition" and "conditions" settings that have a
// type. Other maps with a type (format_mime's media type) are not visited.
func sweepTypes(cfg weir.Config, visit func(typ string)) {
	visit(cfg.Type)
	sweepWalk(cfg.Settings, false, visit)
}

func sweepWalk(v any, isCond bool, visit func(typ string)) {
	switch v := v.(type) {
	case map[string]any:
		if typ, ok := v["type"].(string); ok && isCond {
			visit(typ)
		}
		for k, x := range v {
			sweepWalk(x, k == "condition" || k == "conditions", visit)
		}
	case []any:
		for _, x := range v {
			sweepWalk(x, isCond, visit)
		}
	}
}

// sweepCall runs in on msg and turns a panic into an error that says so.
func sweepCall(ctx context.Context, in condition.Inspector, msg *weir.Message) (ok bool, err, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	ok, err = in.Inspect(ctx, msg)
	return ok, err, nil
}

// sweepResult checks one call's result against the contract: no panic, an
// error of the documented shape, false with an error.
func sweepResult(ok bool, err, panicked error) error {
	var pe *weir.PathError
	switch {
	case panicked != nil:
		return panicked
	case err != nil && !errors.Is(err, weir.ErrInvalidData) && !errors.As(err, &pe):
		return fmt.Errorf("contract bug: error %q (%T) neither matches weir.ErrInvalidData nor is a *weir.PathError", err, err)
	case err != nil && ok:
		return fmt.Errorf("answered true with the error %v", err)
	}
	return nil
}

// sweepShow abbreviates an input for failure messages.
func sweepShow(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// sweepSourceKey returns the config's object.source_key, if any.
func sweepSourceKey(cfg weir.Config) string {
	obj, _ := cfg.Settings["object"].(map[string]any)
	key, _ := obj["source_key"].(string)
	return key
}

// sweepMalformedInputs returns the malformed messages for a config with the
// given source key: each malformed input and raw value as the data and,
// with a key, each malformed input as the string value of that key and each
// raw value there. bigData adds a 1 MiB string value in the data,
// bigKey one at the key: they are slow under -race (regexps especially), so
// the sweep sends each once per type.
func sweepMalformedInputs(key string, bigData, bigKey bool) []*weir.Message {
	inputs, values := slices.Concat(sweepMalformed, sweepRawValues), sweepMalformed
	if bigData {
		inputs = append(slices.Clip(inputs), `{"a":"`+strings.Repeat("x", 1<<20)+`"}`)
	}
	if bigKey {
		values = append(slices.Clip(values), strings.Repeat("x", 1<<20))
	}
	var msgs []*weir.Message
	for _, s := range inputs {
		msgs = append(msgs, weir.NewMessage([]byte(s)))
	}
	if key != "" {
		for _, s := range values {
			m := weir.NewMessage([]byte(`{}`))
			if err := m.Set(key, s); err == nil { // else a path Set cannot write into {}
				msgs = append(msgs, m)
			}
		}
		for _, raw := range sweepRawValues {
			m := weir.NewMessage([]byte(`{}`))
			if err := m.SetRaw(key, []byte(raw)); err == nil {
				msgs = append(msgs, m)
			}
		}
	}
	return msgs
}

// sweepWithSetting returns settings with v at the dotted path, copying the
// maps on the way so the original is left alone.
func sweepWithSetting(settings map[string]any, path string, v any) map[string]any {
	out := maps.Clone(settings)
	if out == nil {
		out = map[string]any{}
	}
	first, rest, nested := strings.Cut(path, ".")
	if !nested {
		out[first] = v
		return out
	}
	sub, _ := out[first].(map[string]any)
	out[first] = sweepWithSetting(sub, rest, v)
	return out
}

// sweepHasSetting reports whether settings has something at the dotted path.
func sweepHasSetting(settings map[string]any, path string) bool {
	first, rest, nested := strings.Cut(path, ".")
	v, ok := settings[first]
	if !ok || !nested {
		return ok
	}
	sub, _ := v.(map[string]any)
	return sweepHasSetting(sub, rest)
}

// sweepCheckControl inspects a control message.
func sweepCheckControl(ctx context.Context, in condition.Inspector) error {
	if err := sweepResult(sweepCall(ctx, in, weir.NewControl())); err != nil {
		return fmt.Errorf("control message: %w", err)
	}
	return nil
}

// sweepCheckMalformed inspects each message.
func sweepCheckMalformed(ctx context.Context, in condition.Inspector, msgs []*weir.Message) error {
	var errs []error
	for _, msg := range msgs {
		if err := sweepResult(sweepCall(ctx, in, msg)); err != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", sweepShow(msg.Data()), err))
		}
	}
	return errors.Join(errs...)
}

// sweepCheckConcurrent inspects data once, then from 8 goroutines × 50
// times, and with compare requires the same answer every time.
func sweepCheckConcurrent(ctx context.Context, in condition.Inspector, data []byte, compare bool) error {
	ok, err, p := sweepCall(ctx, in, weir.NewMessage(bytes.Clone(data)))
	if err := sweepResult(ok, err, p); err != nil {
		return fmt.Errorf("input %s: sequential call: %w", sweepShow(data), err)
	}
	want := fmt.Sprintf("%t %v", ok, err)

	const goroutines, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for range rounds {
				ok, err, p := sweepCall(ctx, in, weir.NewMessage(bytes.Clone(data)))
				if err := sweepResult(ok, err, p); err != nil {
					errs[g] = err
					return
				}
				if got := fmt.Sprintf("%t %v", ok, err); compare && got != want {
					errs[g] = fmt.Errorf("concurrent answer %q differs from the sequential %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("input %s: %w", sweepShow(data), err)
	}
	return nil
}

// sweepCheckUnknownSetting builds cfg with an unknown setting, which must
// fail, and with each setting the type documents to ignore, which must not.
func sweepCheckUnknownSetting(ctx context.Context, env *condition.Env, cfg weir.Config) error {
	_, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: sweepWithSetting(cfg.Settings, "no_such_setting", json.Number("1"))})
	var ce *weir.ConfigError
	switch {
	case err == nil:
		return errors.New(`the unknown setting "no_such_setting" was accepted`)
	case !errors.Is(err, weir.ErrInvalidConfig) || !errors.As(err, &ce):
		return fmt.Errorf("unknown setting: error %q (%T) is not a *weir.ConfigError", err, err)
	case !strings.Contains(ce.Field, "no_such_setting"):
		return fmt.Errorf("unknown setting: error %q does not name it (Field %q)", err, ce.Field)
	}
	for _, path := range sweepIgnoredSettings[cfg.Type] {
		if sweepHasSetting(cfg.Settings, path) {
			continue
		}
		if _, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: sweepWithSetting(cfg.Settings, path, "x")}); err != nil {
			return fmt.Errorf("documented to ignore the setting %q: %w", path, err)
		}
	}
	return nil
}

// sweepCheck runs one check as a parallel sub-test, unless it is a known
// issue.
func sweepCheck(t *testing.T, typ, check string, run func() error) {
	t.Run(check, func(t *testing.T) {
		t.Parallel()
		if reason, ok := sweepKnownIssues[typ+"/"+check]; ok {
			t.Skip("known issue: " + reason)
		}
		if err := run(); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	})
}

func TestSweepConditionBuiltins(t *testing.T) {
	t.Parallel()
	reg := condition.Builtins()
	ctx := context.Background()
	env := &condition.Env{Conditions: reg}
	registered := reg.Types()

	byType := map[string][]sweepCase{}
	skipped := map[string]int{} // unregistered type → configs skipped
	checked, unchecked := 0, 0
	for _, c := range sweepLoad(t) {
		var missing []string
		sweepTypes(c.cfg, func(typ string) {
			if !slices.Contains(registered, typ) {
				missing = append(missing, typ)
			}
		})
		for _, m := range missing {
			skipped[m]++
		}
		if len(missing) > 0 {
			unchecked++
			continue
		}
		byType[c.cfg.Type] = append(byType[c.cfg.Type], c)
		checked++
	}
	t.Logf("checking %d configs of %d types; %d configs skipped", checked, len(byType), unchecked)
	for _, m := range slices.Sorted(maps.Keys(skipped)) {
		t.Logf("skipped %d configs that use the unregistered type %s", skipped[m], m)
	}
	for _, typ := range registered {
		assert.NotEmpty(t, byType[typ], "registered type %q has no vector and no inline config in the sweep", typ)
	}

	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			cases := byType[typ]
			sweepCheck(t, typ, "unknown_setting", func() error { return sweepCheckUnknownSetting(ctx, env, cases[0].cfg) })
			bigData, bigKey := true, true
			for _, c := range cases {
				key := sweepSourceKey(c.cfg)
				// The first config gets a 1 MiB data value, the first
				// with a source key a 1 MiB value there.
				withBigData, withBigKey := bigData, bigKey && key != ""
				bigData, bigKey = false, bigKey && !withBigKey
				compare := true
				sweepTypes(c.cfg, func(typ string) {
					if _, ok := sweepNoCompare[typ]; ok {
						compare = false
					}
				})
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					in, err := env.New(ctx, c.cfg)
					require.NoError(t, err, "the config should load")
					// Inspectors are safe for concurrent use: the checks share one.
					sweepCheck(t, typ, "control", func() error { return sweepCheckControl(ctx, in) })
					sweepCheck(t, typ, "malformed", func() error {
						return sweepCheckMalformed(ctx, in, sweepMalformedInputs(key, withBigData, withBigKey))
					})
					if len(c.inputs) > 0 {
						sweepCheck(t, typ, "concurrent", func() error {
							return sweepCheckConcurrent(ctx, in, c.inputs[0], compare)
						})
					}
				})
			}
		})
	}
}

// TestSweepConditionSelfTest shows that each check catches what it is for.
func TestSweepConditionSelfTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	yes := condition.Func(func(context.Context, *weir.Message) (bool, error) { return true, nil })
	require.NoError(t, sweepCheckControl(ctx, yes))
	require.NoError(t, sweepCheckMalformed(ctx, yes, sweepMalformedInputs("a", false, false)))
	require.NoError(t, sweepCheckConcurrent(ctx, yes, []byte(`{"a":1}`), true))

	panics := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		if !json.Valid(m.Data()) {
			panic("not json")
		}
		return true, nil
	})
	assert.ErrorContains(t, sweepCheckControl(ctx, panics), "panic: not json")
	assert.ErrorContains(t, sweepCheckMalformed(ctx, panics, sweepMalformedInputs("", false, false)), "panic: not json")

	badErr := condition.Func(func(context.Context, *weir.Message) (bool, error) { return false, errors.New("boom") })
	assert.ErrorContains(t, sweepCheckMalformed(ctx, badErr, sweepMalformedInputs("", false, false)), "contract bug")
	trueErr := condition.Func(func(context.Context, *weir.Message) (bool, error) { return true, weir.ErrInvalidData })
	assert.ErrorContains(t, sweepCheckMalformed(ctx, trueErr, sweepMalformedInputs("", false, false)), "answered true")

	var n atomic.Int64
	flips := condition.Func(func(context.Context, *weir.Message) (bool, error) { return n.Add(1)%2 == 0, nil })
	assert.ErrorContains(t, sweepCheckConcurrent(ctx, flips, []byte(`{}`), true), "differs")
	assert.NoError(t, sweepCheckConcurrent(ctx, flips, []byte(`{}`), false))

	cfg, err := sweepDecodeConfig([]byte(`{"type":"meta_any","settings":{"conditions":[
		{"type":"format_mime","settings":{"type":"application/zip"}},{"type":"none"}]}}`))
	require.NoError(t, err)
	var seen []string
	sweepTypes(cfg, func(typ string) { seen = append(seen, typ) })
	assert.ElementsMatch(t, []string{"meta_any", "format_mime", "none"}, seen)

	reg := &condition.Registry{}
	require.NoError(t, reg.Register("lax", func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) { return yes, nil }))
	assert.ErrorContains(t, sweepCheckUnknownSetting(ctx, &condition.Env{Conditions: reg}, weir.Config{Type: "lax"}), "was accepted")
	assert.NoError(t, sweepCheckUnknownSetting(ctx, nil, weir.Config{Type: "number_bitwise_not"}))

	assert.Equal(t, map[string]any{"a": 1, "object": map[string]any{"source_key": "k", "value": "x"}},
		sweepWithSetting(map[string]any{"a": 1, "object": map[string]any{"source_key": "k"}}, "object.value", "x"))
}
