package condition_test

// A conformance sweep over every type of a condition registry (the
// built-ins here), in the spirit of testing/slogtest: each config of the
// Substation v2 conformance vectors (plus an inline config for each type
// without a vector) is run through conditiontest.Run, which checks the
// contract every Inspector keeps (control messages, malformed input,
// concurrent use, no retention, Close; see its package documentation),
// with the vector's inputs, its object.source_key as the key for
// malformed values and, for types that answer at random, no comparison of
// answers. Per type the sweep also checks that the factory refuses an
// unknown setting (conditiontest.CheckUnknownSetting).
//
// The checks and their self-tests live in conditiontest; this file only
// says which configs to try. The vectors' expected answers are checked by
// the conformance test.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/condition/conditiontest"
)

// sweepVectorDir holds the repository's copy of the condition vectors.
const sweepVectorDir = "../testdata/conformance/substation-v2/condition"

// sweepKnownIssues lists contract violations the sweep found that are not
// fixed yet, keyed by "<type>/<check>" (check is unknown_setting or one of
// conditiontest's: control, malformed, concurrent, retain, close). Those
// sub-tests are skipped with the reason; remove an entry once its bug is
// fixed.
var sweepKnownIssues = map[string]string{}

// sweepNoCompare lists types whose answer legitimately differs from call to
// call: they are checked with conditiontest.Options.Random, so that the
// concurrent and retain checks do not compare answers. A config that nests
// one of them is not compared either.
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
// for the checks.
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

// sweepSourceKey returns the config's object.source_key, if any.
func sweepSourceKey(cfg weir.Config) string {
	obj, _ := cfg.Settings["object"].(map[string]any)
	key, _ := obj["source_key"].(string)
	return key
}

// sweepSkips returns the known issues of typ as conditiontest.Options.Skip.
func sweepSkips(issues map[string]string, typ string) map[string]string {
	skip := map[string]string{}
	for k, reason := range issues {
		if t, check, _ := strings.Cut(k, "/"); t == typ && check != "unknown_setting" {
			skip[check] = "known issue: " + reason
		}
	}
	return skip
}

func TestSweepConditionBuiltins(t *testing.T) {
	t.Parallel()
	sweepConditions(t, condition.Builtins())
}

// sweepConditions checks every type of reg that a vector or an inline
// config covers, and that every type of reg is covered. Nested conditions
// are built from reg too; configs that use a type reg does not have are
// skipped (and logged).
func sweepConditions(t *testing.T, reg *condition.Registry) {
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
			t.Run("unknown_setting", func(t *testing.T) {
				if reason, ok := sweepKnownIssues[typ+"/unknown_setting"]; ok {
					t.Skip("known issue: " + reason)
				}
				if err := conditiontest.CheckUnknownSetting(ctx, env, cases[0].cfg, sweepIgnoredSettings[typ]...); err != nil {
					t.Errorf("unknown_setting: %v", err)
				}
			})
			large, largeKey := true, true
			for _, c := range cases {
				key := sweepSourceKey(c.cfg)
				// The 1 MiB inputs go to the first config, and to the
				// first with a source key.
				withLarge := large || (largeKey && key != "")
				large, largeKey = false, largeKey && key == ""
				random := false
				sweepTypes(c.cfg, func(typ string) {
					if _, ok := sweepNoCompare[typ]; ok {
						random = true
					}
				})
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					_, err := env.New(ctx, c.cfg)
					require.NoError(t, err, "the config should load")
					conditiontest.Run(t, func() (condition.Inspector, error) { return env.New(ctx, c.cfg) }, conditiontest.Options{
						Inputs:    c.inputs,
						Key:       key,
						Random:    random,
						SkipLarge: !withLarge,
						Skip:      sweepSkips(sweepKnownIssues, typ),
					})
				})
			}
		})
	}
}

// TestSweepConditionSelfTest checks the sweep's own helpers; conditiontest
// tests its checks.
func TestSweepConditionSelfTest(t *testing.T) {
	t.Parallel()
	cfg, err := sweepDecodeConfig([]byte(`{"type":"meta_any","settings":{"conditions":[
		{"type":"format_mime","settings":{"type":"application/zip"}},{"type":"none"}]}}`))
	require.NoError(t, err)
	var seen []string
	sweepTypes(cfg, func(typ string) { seen = append(seen, typ) })
	assert.ElementsMatch(t, []string{"meta_any", "format_mime", "none"}, seen)

	issues := map[string]string{"a/concurrent": "x", "a/unknown_setting": "y", "b/control": "z"}
	assert.Equal(t, map[string]string{"concurrent": "known issue: x"}, sweepSkips(issues, "a"))
}
