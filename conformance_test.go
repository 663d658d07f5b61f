package weir_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

// The conformance suite replays the test vectors taken from Substation v2
// (testdata/conformance/substation-v2, see its README) through Weir's
// factories. Every vector of an implemented type must pass; vectors of types
// Weir does not implement yet are counted and listed, not failed.

const conformanceDir = "testdata/conformance/substation-v2"

type vectorMsg struct {
	Data     *string         `json:"data"`
	DataB64  *string         `json:"data_b64"`
	Metadata json.RawMessage `json:"metadata"`
}

func (m vectorMsg) bytes(t *testing.T) []byte {
	t.Helper()
	switch {
	case m.Data != nil:
		return []byte(*m.Data)
	case m.DataB64 != nil:
		b, err := base64.StdEncoding.DecodeString(*m.DataB64)
		require.NoError(t, err)
		return b
	}
	return nil
}

type transformVector struct {
	Name      string            `json:"name"`
	Source    string            `json:"source"`
	Config    json.RawMessage   `json:"config"`
	Input     []vectorMsg       `json:"input"`
	Expected  []vectorMsg       `json:"expected"`
	Flush     bool              `json:"flush"`
	Unordered bool              `json:"unordered"`
	Env       map[string]string `json:"env"`
	Error     bool              `json:"error"`
}

type conditionVector struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
	Input  []vectorMsg     `json:"input"`
	Result bool            `json:"result"`
	Error  bool            `json:"error"`
}

// tally counts vectors per family ("object", "string", …).
type tally struct {
	pass, fail, pending map[string]int
	pendingTypes        map[string]bool
}

func newTally() *tally {
	return &tally{pass: map[string]int{}, fail: map[string]int{}, pending: map[string]int{}, pendingTypes: map[string]bool{}}
}

func family(typ string) string {
	if i := strings.IndexByte(typ, '_'); i > 0 {
		return typ[:i]
	}
	return typ
}

func (ty *tally) log(t *testing.T, what string) {
	fams := map[string]bool{}
	for _, m := range []map[string]int{ty.pass, ty.fail, ty.pending} {
		for f := range m {
			fams[f] = true
		}
	}
	names := make([]string, 0, len(fams))
	for f := range fams {
		names = append(names, f)
	}
	sort.Strings(names)
	var total [3]int
	var b strings.Builder
	for _, f := range names {
		fmt.Fprintf(&b, "  %-10s %3d passed, %3d failed, %3d not implemented\n", f, ty.pass[f], ty.fail[f], ty.pending[f])
		total[0] += ty.pass[f]
		total[1] += ty.fail[f]
		total[2] += ty.pending[f]
	}
	pend := make([]string, 0, len(ty.pendingTypes))
	for p := range ty.pendingTypes {
		pend = append(pend, p)
	}
	sort.Strings(pend)
	t.Logf("%s conformance: %d passed, %d failed, %d not implemented\n%s  not implemented: %s",
		what, total[0], total[1], total[2], b.String(), strings.Join(pend, " "))
	// Every Substation type is built in: a vector left unrun is a type that
	// went missing from the registry.
	assert.Zero(t, total[2], "vectors not run: their types are not registered: %s", strings.Join(pend, " "))
}

func readVectors[V any](t *testing.T, dir string) map[string][]V {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(conformanceDir, dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]V{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var vs []V
		require.NoError(t, json.Unmarshal(b, &vs), f)
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = vs
	}
	return out
}

func TestConformanceConditions(t *testing.T) {
	ctx := context.Background()
	reg := condition.Builtins()
	ty := newTally()
	files := readVectors[conditionVector](t, "condition")
	for _, typ := range sortedKeys(files) {
		for i, v := range files[typ] {
			fam := family(typ)
			var cfg weir.Config
			require.NoError(t, json.Unmarshal(v.Config, &cfg))
			if !typeKnown(reg.Types(), cfg.Type) {
				ty.pending[fam]++
				ty.pendingTypes[cfg.Type] = true
				continue
			}
			ok := t.Run(fmt.Sprintf("%s/%d_%s", typ, i, v.Name), func(t *testing.T) {
				insp, err := reg.New(ctx, cfg)
				if v.Error && err != nil {
					return
				}
				require.NoError(t, err)
				var got bool
				for _, in := range v.Input {
					msg := weir.NewMessage(in.bytes(t))
					if len(in.Metadata) > 0 {
						msg.SetMetadata(in.Metadata)
					}
					got, err = insp.Inspect(ctx, msg)
					if err != nil {
						break
					}
				}
				if v.Error {
					require.Error(t, err, "want an error")
					return
				}
				require.NoError(t, err)
				require.Equal(t, v.Result, got, "config %s", v.Config)
			})
			if ok {
				ty.pass[fam]++
			} else {
				ty.fail[fam]++
			}
		}
	}
	ty.log(t, "condition")
}

func TestConformanceTransforms(t *testing.T) {
	ctx := context.Background()
	creg := condition.Builtins()
	env := all.Env()
	env.Conditions = creg
	reg := env.Transforms
	ty := newTally()
	files := readVectors[transformVector](t, "transform")
	for _, typ := range sortedKeys(files) {
		for i, v := range files[typ] {
			fam := family(typ)
			var cfg weir.Config
			require.NoError(t, json.Unmarshal(v.Config, &cfg))
			// A vector counts as pending while its type, or a type nested in
			// its settings, is not implemented yet.
			if missing := missingTypes(v.Config, "transform", reg.Types(), creg.Types()); len(missing) > 0 {
				ty.pending[fam]++
				for _, m := range missing {
					ty.pendingTypes[m] = true
				}
				continue
			}
			name := fmt.Sprintf("%s/%d_%s", typ, i, v.Name)
			ok := t.Run(name, func(t *testing.T) {
				tr, err := env.New(ctx, cfg)
				if v.Error && err != nil {
					return
				}
				require.NoError(t, err)
				got, err := runVector(ctx, t, []transform.Transformer{tr}, v.Input, v.Flush)
				if reason, ok := invalidJSONVectors[name]; ok {
					// A known, documented difference: Substation writes
					// into the malformed input and returns broken JSON.
					require.ErrorIs(t, err, weir.ErrInvalidData, reason)
					return
				}
				if v.Error {
					require.Error(t, err, "want an error")
					return
				}
				require.NoError(t, err)
				compareOutputs(t, typ, v.Expected, got, v.Unordered)
			})
			if ok {
				ty.pass[fam]++
			} else {
				ty.fail[fam]++
			}
		}
	}
	ty.log(t, "transform")
}

// invalidJSONVectors are the Substation vectors whose input is not valid
// JSON (a typo in Substation's tests) and that write into it: Substation
// returns broken JSON, Weir an error matching weir.ErrInvalidData
// (TestWriteIntoInvalidJSON; issue 14).
var invalidJSONVectors = map[string]string{
	"object_copy/3_unescape object": `input {"a":"{\"b\":\"c\"}" lacks its final "}"`,
	"string_to_snake/1_object":      `input {"a":"bC"}) has a stray ")"`,
}

// exampleVector is a whole pipeline compiled from one of Substation's
// examples.
type exampleVector struct {
	Name      string            `json:"name"`
	Config    json.RawMessage   `json:"config"`
	Files     map[string]string `json:"files"`
	Input     []vectorMsg       `json:"input"`
	Expected  []vectorMsg       `json:"expected"`
	Unordered bool              `json:"unordered"`
	Error     bool              `json:"error"`
}

func TestConformanceExamples(t *testing.T) {
	ctx := context.Background()
	files := readVectors[exampleVector](t, "examples")
	treg, creg := all.Transforms(), seededConditions(t)
	var pass, fail int
	var pending []string
	for _, name := range sortedKeys(files) {
		for _, v := range files[name] {
			var pipeline struct {
				Transforms []json.RawMessage `json:"transforms"`
			}
			require.NoError(t, json.Unmarshal(v.Config, &pipeline))
			if missing := missingTypes(v.Config, "", treg.Types(), creg.Types()); len(missing) > 0 {
				pending = append(pending, fmt.Sprintf("%s (needs %s)", name, strings.Join(missing, ", ")))
				continue
			}
			ok := t.Run(name, func(t *testing.T) {
				// Pipelines may read files (given) and write them (send_file):
				// run each in a folder of its own.
				dir := t.TempDir()
				for p, content := range v.Files {
					require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
					require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644))
				}
				t.Chdir(dir)
				// Each pipeline gets fresh KV stores, shared by its transforms.
				var cfgs []weir.Config
				for _, raw := range pipeline.Transforms {
					var cfg weir.Config
					require.NoError(t, json.Unmarshal(raw, &cfg))
					cfgs = append(cfgs, cfg)
				}
				env := all.Env()
				env.Transforms, env.Conditions = treg, creg
				p, err := transform.NewPipeline(ctx, env, cfgs)
				require.NoError(t, err)
				defer p.Close()
				got, err := runPipeline(ctx, t, p.Transforms(), v.Input)
				if v.Error {
					require.Error(t, err)
					return
				}
				require.NoError(t, err)
				compareOutputs(t, name, v.Expected, got, v.Unordered)
			})
			if ok {
				pass++
			} else {
				fail++
			}
		}
	}
	t.Logf("example conformance: %d passed, %d failed, %d pending (need types not implemented yet):\n  %s",
		pass, fail, len(pending), strings.Join(pending, "\n  "))
	assert.Empty(t, pending, "example pipelines not run: their types are not registered")
}

// runVector feeds inputs (and a control message if flush) through ts and
// returns the non-control outputs.
func runVector(ctx context.Context, t *testing.T, ts []transform.Transformer, inputs []vectorMsg, flush bool) ([]*weir.Message, error) {
	t.Helper()
	var out []*weir.Message
	for _, in := range inputs {
		msg := weir.NewMessage(in.bytes(t))
		if len(in.Metadata) > 0 {
			msg.SetMetadata(in.Metadata)
		}
		res, err := transform.Apply(ctx, ts, msg)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	if flush {
		res, err := transform.Apply(ctx, ts, weir.NewControl())
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	data := out[:0]
	for _, m := range out {
		if !m.IsControl() {
			data = append(data, m)
		}
	}
	return data, nil
}

// runPipeline feeds inputs through ts as Substation's runtime does, each
// transform over the whole batch before the next, then a control message,
// and returns the non-control outputs.
func runPipeline(ctx context.Context, t *testing.T, ts []transform.Transformer, inputs []vectorMsg) ([]*weir.Message, error) {
	t.Helper()
	msgs := make([]*weir.Message, 0, len(inputs)+1)
	for _, in := range inputs {
		msg := weir.NewMessage(in.bytes(t))
		if len(in.Metadata) > 0 {
			msg.SetMetadata(in.Metadata)
		}
		msgs = append(msgs, msg)
	}
	msgs = append(msgs, weir.NewControl())
	out, err := transform.Apply(ctx, ts, msgs...)
	if err != nil {
		return nil, err
	}
	data := out[:0]
	for _, m := range out {
		if !m.IsControl() {
			data = append(data, m)
		}
	}
	return data, nil
}

func compareOutputs(t *testing.T, typ string, want []vectorMsg, got []*weir.Message, unordered bool) {
	t.Helper()
	norm := func(b []byte) string {
		if typ == "format_to_gzip" {
			if r, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				if d, err := io.ReadAll(r); err == nil {
					return string(d)
				}
			}
		}
		return string(b)
	}
	var w, g []string
	for _, m := range want {
		s := norm(m.bytes(t))
		if len(m.Metadata) > 0 {
			s += "\x00meta=" + compactJSON(m.Metadata)
		}
		w = append(w, s)
	}
	for _, m := range got {
		s := norm(m.Data())
		if md := m.Metadata(); len(md) > 0 {
			s += "\x00meta=" + compactJSON(md)
		}
		g = append(g, s)
	}
	if unordered {
		sort.Strings(w)
		sort.Strings(g)
	}
	require.Equal(t, w, g)
}

func compactJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func typeKnown(types []string, typ string) bool {
	i := sort.SearchStrings(types, typ)
	return i < len(types) && types[i] == typ
}

// missingTypes walks a config and returns the transform and condition
// types it uses that are not registered. kind is what the top-level map is
// ("transform", "condition", or "" for a pipeline {"transforms": [...]});
// nested configs are found under the settings that hold transforms and
// conditions.
func missingTypes(raw json.RawMessage, kind string, transforms, conditions []string) []string {
	var v any
	_ = json.Unmarshal(raw, &v)
	seen := map[string]bool{}
	var walk func(v any, kind string)
	walk = func(v any, kind string) {
		switch v := v.(type) {
		case map[string]any:
			if typ, ok := v["type"].(string); ok {
				switch {
				case kind == "transform" && !typeKnown(transforms, typ),
					kind == "condition" && !typeKnown(conditions, typ):
					seen[typ] = true
				}
			}
			for k, x := range v {
				next := ""
				switch k {
				case "transform", "transforms", "auxiliary_transforms":
					next = "transform"
				case "condition", "conditions":
					next = "condition"
				case "settings", "cases":
					next = "settings"
				}
				if next == "settings" {
					walk(x, "")
					continue
				}
				walk(x, next)
			}
		case []any:
			for _, x := range v {
				walk(x, kind)
			}
		}
	}
	walk(v, kind)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// seededConditions returns the built-in conditions with utility_random
// drawing from a seeded source: retry_with_backoff retries until
// utility_random says yes, at most five times, and with a random source
// would fail one run in 32.
func seededConditions(t *testing.T) *condition.Registry {
	t.Helper()
	builtins, creg := condition.Builtins(), &condition.Registry{}
	for _, name := range builtins.Types() {
		f, _ := builtins.Lookup(name)
		if name == "utility_random" {
			f = func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) {
				return condition.NewUtilityRandom(condition.UtilityRandomConfig{Source: rand.NewPCG(1, 2)})
			}
		}
		require.NoError(t, creg.Register(name, f))
	}
	return creg
}
