package transform_test

// A conformance sweep over every registered built-in transform, in the
// spirit of testing/slogtest: each config of the Substation v2 conformance
// vectors (plus an inline config for each type without a vector) is checked
// against the contract every Transformer keeps:
//
//   - control: a control message comes back, last, with no error, both from
//     a fresh transformer and after the vector's inputs (stateful types
//     release data before it);
//   - malformed: malformed data never panics, and an error matches
//     weir.ErrInvalidData or is a *transform.Error, with no messages;
//   - concurrent: one transformer serves 8 goroutines at once (run with
//     -race) and, unless its output legitimately varies, answers as it
//     does sequentially;
//   - unknown_setting: a setting the type does not have is a config error
//     naming it.
//
// Each check returns the violations it finds, so TestSweepTransformSelfTest
// can show that it catches them. The vectors only say which configs to try;
// the conformance test checks their outputs.

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
	"github.com/weirhq/weir/transform"
)

// sweepVectorDir holds the repository's copy of the transform vectors.
const sweepVectorDir = "../testdata/conformance/substation-v2/transform"

// sweepKnownIssues lists contract violations the sweep found that are not
// fixed yet, keyed by "<type>/<check>" (check is control, malformed,
// concurrent or unknown_setting). Those sub-tests are skipped with the
// reason; remove an entry once its bug is fixed.
var sweepKnownIssues = map[string]string{}

// sweepNoCompare lists types whose output legitimately differs from call to
// call, or depends on the calls before it (stateful types): the concurrent
// check runs them under -race but does not compare outputs. A config that
// nests one of them (condition types included) is not compared either.
var sweepNoCompare = map[string]string{
	"string_uuid":              "writes a new random UUID each time",
	"utility_control":          "emits a control message when its shared batch fills",
	"utility_random":           "a nested condition that answers at random",
	"time_now":                 "writes the current time",
	"aggregate_to_array":       "stateful: releases a batch when it fills",
	"aggregate_to_string":      "stateful: releases a batch when it fills",
	"format_from_pretty_print": "stateful: holds a partial value between messages",
	"meta_kv_store_lock":       "stateful: only the first message with a lock key runs the transforms",
}

// sweepExempt lists types the sweep cannot build from JSON alone, with the
// test that covers them instead.
var sweepExempt = map[string]string{
	"enrich_aws_lambda":        "needs AWS credentials from the environment to build from JSON; enrich_lambda_test.go runs it against a real Invoke API server",
	"enrich_dns_ip_lookup":     "built from JSON it asks the system's nameservers, which tests must not reach; enrich_dns_test.go runs it against a loopback DNS server",
	"enrich_dns_domain_lookup": "as enrich_dns_ip_lookup",
	"enrich_dns_txt_lookup":    "as enrich_dns_ip_lookup",

	"enrich_aws_dynamodb_query": "needs AWS credentials and a table to build from JSON; enrich_dynamodb_test.go builds it from JSON against dynalite",
}

// sweepIgnoredSettings lists, per type, the settings it documents to accept
// and ignore (for configs written for Substation). They must load; any other
// unknown setting is still an error.
var sweepIgnoredSettings = map[string][]string{
	"object_to_float": {"type"},
	"hash_md5":        {"algorithm"},
	"hash_sha256":     {"algorithm"},
}

// sweepInline are configs for the types no vector covers, each with an input
// for the concurrent check. Types not registered (yet) are skipped.
var sweepInline = []struct{ cfg, input string }{
	{`{"type":"string_uuid"}`, `{"a":1}`},
	{`{"type":"string_uuid","settings":{"object":{"target_key":"id"}}}`, `{"a":1}`},
	{`{"type":"utility_drop"}`, `{"a":1}`},
	{`{"type":"utility_err","settings":{"message":"raised"}}`, `{"a":1}`},
	{`{"type":"utility_control","settings":{"batch":{"count":2}}}`, `{"a":1}`},
	{`{"type":"utility_delay","settings":{"duration":"1ms"}}`, `{"a":1}`},
	{`{"type":"time_now","settings":{"object":{"target_key":"now"}}}`, `{"a":1}`},
	{`{"type":"test_message","settings":{"value":{"a":1}}}`, `{"b":2}`},
	{`{"type":"hash_sha1","settings":{"object":{"source_key":"a","target_key":"h"}}}`, `{"a":"x"}`},
	{`{"type":"hash_sha512"}`, `abc`},
	{`{"type":"hash_xxhash64","settings":{"object":{"source_key":"a","target_key":"h"}}}`, `{"a":"x"}`},
	{`{"type":"hash_fnv"}`, `abc`},
	{`{"type":"array_flatten","settings":{"object":{"source_key":"a","target_key":"a"}}}`, `{"a":[1,[2,[3]]]}`},
	{`{"type":"array_flatten","settings":{"deep":true}}`, `[1,[2,[3]]]`},
	{`{"type":"array_dedupe","settings":{"object":{"source_key":"a","target_key":"a"}}}`, `{"a":[1,"1",1.0,{"b":1}]}`},
	{`{"type":"array_dedupe"}`, `["x","y","x"]`},
	{`{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","fc00::/7"],"object":{"source_key":"ip","target_key":"internal"}}}`, `{"ip":"10.1.2.3"}`},
	{`{"type":"network_ip_in_cidr","settings":{"cidrs":["127.0.0.0/8"]}}`, `127.0.0.1`},
	{`{"type":"meta_retry","settings":{"retry":{"count":2,"delay":"1ms"},"error_messages":["invalid data"],"condition":{"type":"string_contains","settings":{"object":{"source_key":"a"},"value":"1"}},"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}]}}`, `{"a":1}`},
	{`{"type":"meta_metric_duration","settings":{"metric":{"name":"D"},"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}]}}`, `{"a":1}`},
	{`{"type":"utility_metric_count","settings":{"metric":{"name":"C","attributes":{"AppName":"sweep"}}}}`, `{"a":1}`},
	{`{"type":"utility_metric_bytes","settings":{"metric":{"name":"B"}}}`, `{"a":1}`},
	{`{"type":"utility_metric_freshness","settings":{"threshold":"5s","object":{"source_key":"ts"},"metric":{"name":"F"}}}`, `{"ts":1724299266000000000}`},
	{`{"type":"utility_secret","settings":{"secret":{"type":"environment_variable","settings":{"id":"path","name":"PATH"}}}}`, `{"a":1}`},
	{`{"type":"send_stdout","settings":{"object":{"batch_key":"a"},"auxiliary_transforms":[{"type":"aggregate_to_array"},{"type":"utility_drop"}]}}`, `{"a":1}`},
	{`{"type":"send_file","settings":{"file_path":{"prefix":"<TEMP>/weir-sweep","uuid":true,"suffix":".json"},"batch":{"count":50}}}`, `{"a":1}`},
	{`{"type":"enrich_http_get","settings":{"object":{"source_key":"zz","target_key":"b"},"url":"http://127.0.0.1:9/${DATA}"}}`, `{"a":1}`},
	{`{"type":"enrich_http_post","settings":{"object":{"body_key":"zz","target_key":"b"},"url":"http://127.0.0.1:9/"}}`, `{"a":1}`},
	{`{"type":"format_to_zstd"}`, `{"a":1}`},
	{`{"type":"format_from_zstd","settings":{"max_size":1024}}`, "(\xb5/\xfd\x04\x009\x00\x00{\"a\":1}H\x8b\xfc2"},
	{`{"type":"format_to_snappy"}`, `{"a":1}`},
	{`{"type":"format_from_snappy"}`, "\a\x18{\"a\":1}"},
	{`{"type":"format_from_csv","settings":{"headers":["a","b"]}}`, `1,2`},
	{`{"type":"format_from_csv","settings":{"header_line":true,"object":{"source_key":"a","target_key":"b"}}}`, `{"a":"x,y\n1,2"}`},
	{`{"type":"format_from_kv"}`, `a=1 b="x y"`},
	{`{"type":"format_from_kv","settings":{"object":{"source_key":"a","target_key":"b"}}}`, `{"a":"k=v"}`},
	{`{"type":"enrich_kv_store_item_get","settings":{"object":{"source_key":"a","target_key":"b"},"kv_store":{"type":"memory"}}}`, `{"a":"x"}`},
	{`{"type":"enrich_kv_store_get","settings":{"prefix":"p","object":{"source_key":"a","target_key":"b"},"close_kv_store":true,"kv_store":{"type":"memory","settings":{"capacity":8}}}}`, `{"a":"x"}`},
	{`{"type":"enrich_kv_store_item_set","settings":{"object":{"source_key":"a","target_key":"b","ttl_key":"t"},"ttl_offset":"1m","kv_store":{"type":"memory"}}}`, `{"a":"x","b":{"c":1},"t":1700000000}`},
	{`{"type":"enrich_kv_store_set","settings":{"object":{"source_key":"a","target_key":"b"},"kv_store":{"type":"memory"}}}`, `{"a":"x","b":1}`},
	{`{"type":"enrich_kv_store_set_add","settings":{"object":{"source_key":"a","target_key":"b"},"ttl_offset":"10s","kv_store":{"type":"memory","settings":{"capacity":16}}}}`, `{"a":"x","b":[1,"y"]}`},
	{`{"type":"meta_kv_store_lock","settings":{"prefix":"eo","ttl_offset":"1m","kv_store":{"type":"memory"},"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}]}}`, `{"a":1}`},
	{`{"type":"meta_kv_store_lock","settings":{"object":{"source_key":"id"},"kv_store":{"type":"memory"},"transforms":[{"type":"utility_drop"}]}}`, `{"id":"x"}`},
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
	tmp := t.TempDir() // for configs that write files
	for _, in := range sweepInline {
		cfg, err := sweepDecodeConfig([]byte(strings.ReplaceAll(in.cfg, "<TEMP>", tmp)))
		require.NoError(t, err, in.cfg)
		cases = append(cases, sweepCase{name: "inline:" + in.cfg, cfg: cfg, inputs: [][]byte{[]byte(in.input)}})
	}
	return cases
}

// sweepTypes calls visit with the kind ("transform" or "condition") and type
// of cfg and of every config nested in it: the members of "transform",
// "transforms", "condition" and "conditions" settings that have a type.
// Other maps with a type (a kv_store, format_mime's media type) are neither
// and are not visited.
func sweepTypes(cfg weir.Config, visit func(kind, typ string)) {
	visit("transform", cfg.Type)
	sweepWalk(cfg.Settings, "", visit)
}

func sweepWalk(v any, kind string, visit func(kind, typ string)) {
	switch v := v.(type) {
	case map[string]any:
		if typ, ok := v["type"].(string); ok && kind != "" {
			visit(kind, typ)
		}
		for k, x := range v {
			next := ""
			switch k {
			case "transform", "transforms":
				next = "transform"
			case "condition", "conditions":
				next = "condition"
			}
			sweepWalk(x, next, visit)
		}
	case []any:
		for _, x := range v {
			sweepWalk(x, kind, visit)
		}
	}
}

// sweepCall runs tf on msg and turns a panic into an error that says so.
func sweepCall(ctx context.Context, tf transform.Transformer, msg *weir.Message) (out []*weir.Message, err, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	out, err = tf.Transform(ctx, msg)
	return out, err, nil
}

// sweepResult checks one call's result against the contract: no panic, an
// error of the documented shape, no messages with an error, no nil message.
func sweepResult(out []*weir.Message, err, panicked error) error {
	var te *transform.Error
	switch {
	case panicked != nil:
		return panicked
	case err != nil && !errors.Is(err, weir.ErrInvalidData) && !errors.As(err, &te):
		return fmt.Errorf("contract bug: error %q (%T) neither matches weir.ErrInvalidData nor is a *transform.Error", err, err)
	case err != nil && out != nil:
		return fmt.Errorf("returned %d messages with the error %v", len(out), err)
	case slices.Contains(out, nil):
		return errors.New("returned a nil message")
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

// sweepSnapshot renders a call's result for comparison.
func sweepSnapshot(out []*weir.Message, err error) string {
	var sb strings.Builder
	for _, m := range out {
		fmt.Fprintf(&sb, "control=%t data=%q meta=%q\n", m.IsControl(), m.Data(), m.Metadata())
	}
	if err != nil {
		fmt.Fprintf(&sb, "error: %v\n", err)
	}
	return sb.String()
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

// sweepWithSetting returns cfg with one more top-level setting; the original
// settings map is left alone.
func sweepWithSetting(cfg weir.Config, key string, v any) weir.Config {
	s := make(map[string]any, len(cfg.Settings)+1)
	for k, x := range cfg.Settings {
		s[k] = x
	}
	s[key] = v
	return weir.Config{Type: cfg.Type, Settings: s}
}

// sweepCheckControl sends a control message to a fresh transformer, then the
// inputs (whose results must keep the contract too) and another control
// message.
func sweepCheckControl(ctx context.Context, tf transform.Transformer, inputs [][]byte) error {
	control := func(when string) error {
		out, err, p := sweepCall(ctx, tf, weir.NewControl())
		switch {
		case p != nil:
			return fmt.Errorf("control message %s: %w", when, p)
		case err != nil:
			return fmt.Errorf("control message %s: error %w", when, err)
		case len(out) == 0 || out[len(out)-1] == nil || !out[len(out)-1].IsControl():
			return fmt.Errorf("control message %s: the last of %d outputs is not a control message", when, len(out))
		}
		return nil
	}
	if err := control("on a fresh transformer"); err != nil {
		return err
	}
	for _, in := range inputs {
		if err := sweepResult(sweepCall(ctx, tf, weir.NewMessage(bytes.Clone(in)))); err != nil {
			return fmt.Errorf("input %s: %w", sweepShow(in), err)
		}
	}
	return control("after the inputs")
}

// sweepCheckMalformed sends each message to tf.
func sweepCheckMalformed(ctx context.Context, tf transform.Transformer, msgs []*weir.Message) error {
	var errs []error
	for _, msg := range msgs {
		in := sweepShow(msg.Data())
		if err := sweepResult(sweepCall(ctx, tf, msg)); err != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", in, err))
		}
	}
	return errors.Join(errs...)
}

// sweepCheckConcurrent sends in to tf once, then from 8 goroutines × 50
// times, and with compare requires the same result every time.
func sweepCheckConcurrent(ctx context.Context, tf transform.Transformer, in []byte, compare bool) error {
	out, err, p := sweepCall(ctx, tf, weir.NewMessage(bytes.Clone(in)))
	if err := sweepResult(out, err, p); err != nil {
		return fmt.Errorf("input %s: sequential call: %w", sweepShow(in), err)
	}
	want := sweepSnapshot(out, err)

	const goroutines, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for range rounds {
				out, err, p := sweepCall(ctx, tf, weir.NewMessage(bytes.Clone(in)))
				if err := sweepResult(out, err, p); err != nil {
					errs[g] = err
					return
				}
				if got := sweepSnapshot(out, err); compare && got != want {
					errs[g] = fmt.Errorf("concurrent result differs from the sequential one:\n got: %s\nwant: %s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("input %s: %w", sweepShow(in), err)
	}
	return nil
}

// sweepCheckUnknownSetting builds cfg with an unknown setting, which must
// fail, and with each setting the type documents to ignore, which must not.
func sweepCheckUnknownSetting(ctx context.Context, env *transform.Env, cfg weir.Config) error {
	_, err := env.New(ctx, sweepWithSetting(cfg, "no_such_setting", json.Number("1")))
	var ce *weir.ConfigError
	switch {
	case err == nil:
		return errors.New(`the unknown setting "no_such_setting" was accepted`)
	case !errors.Is(err, weir.ErrInvalidConfig) || !errors.As(err, &ce):
		return fmt.Errorf("unknown setting: error %q (%T) is not a *weir.ConfigError", err, err)
	case !strings.Contains(ce.Field, "no_such_setting"):
		return fmt.Errorf("unknown setting: error %q does not name it (Field %q)", err, ce.Field)
	}
	for _, key := range sweepIgnoredSettings[cfg.Type] {
		if _, set := cfg.Settings[key]; set {
			continue
		}
		if _, err := env.New(ctx, sweepWithSetting(cfg, key, "x")); err != nil {
			return fmt.Errorf("documented to ignore the setting %q: %w", key, err)
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

func TestSweepTransformBuiltins(t *testing.T) {
	t.Parallel()
	treg := transform.Builtins()
	ctx := context.Background()
	env := &transform.Env{Transforms: treg}
	registered := map[string][]string{"transform": treg.Types(), "condition": condition.Builtins().Types()}

	byType := map[string][]sweepCase{}
	skipped := map[string]int{} // unregistered type → configs skipped
	checked, unchecked := 0, 0
	for _, c := range sweepLoad(t) {
		var missing []string
		sweepTypes(c.cfg, func(kind, typ string) {
			if !slices.Contains(registered[kind], typ) {
				missing = append(missing, kind+" "+typ)
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
		t.Logf("skipped %d configs that use the unregistered %s", skipped[m], m)
	}
	for _, typ := range registered["transform"] {
		if why, ok := sweepExempt[typ]; ok {
			t.Logf("%s not swept: %s", typ, why)
			continue
		}
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
				sweepTypes(c.cfg, func(_, typ string) {
					if _, ok := sweepNoCompare[typ]; ok {
						compare = false
					}
				})
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					_, err := env.New(ctx, c.cfg)
					require.NoError(t, err, "the config should load")
					// Each check gets a transformer of its own.
					with := func(check func(tf transform.Transformer) error) func() error {
						return func() error {
							tf, err := env.New(ctx, c.cfg)
							if err != nil {
								return err
							}
							return check(tf)
						}
					}
					sweepCheck(t, typ, "control", with(func(tf transform.Transformer) error {
						return sweepCheckControl(ctx, tf, c.inputs)
					}))
					sweepCheck(t, typ, "malformed", with(func(tf transform.Transformer) error {
						return sweepCheckMalformed(ctx, tf, sweepMalformedInputs(key, withBigData, withBigKey))
					}))
					if len(c.inputs) > 0 {
						sweepCheck(t, typ, "concurrent", with(func(tf transform.Transformer) error {
							return sweepCheckConcurrent(ctx, tf, c.inputs[0], compare)
						}))
					}
				})
			}
		})
	}
}

// TestSweepTransformSelfTest shows that each check catches what it is for.
func TestSweepTransformSelfTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pass := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{m}, nil
	})
	require.NoError(t, sweepCheckControl(ctx, pass, [][]byte{[]byte(`{}`)}))
	require.NoError(t, sweepCheckMalformed(ctx, pass, sweepMalformedInputs("a", false, false)))
	require.NoError(t, sweepCheckConcurrent(ctx, pass, []byte(`{"a":1}`), true))

	drop := transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) { return nil, nil })
	assert.ErrorContains(t, sweepCheckControl(ctx, drop, nil), "is not a control message")

	panics := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if !json.Valid(m.Data()) {
			panic("not json")
		}
		return []*weir.Message{m}, nil
	})
	assert.ErrorContains(t, sweepCheckMalformed(ctx, panics, sweepMalformedInputs("", false, false)), "panic: not json")

	badErr := transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) {
		return nil, errors.New("boom")
	})
	assert.ErrorContains(t, sweepCheckMalformed(ctx, badErr, sweepMalformedInputs("", false, false)), "contract bug")

	var n atomic.Int64
	counts := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		m.SetData(fmt.Appendf(nil, "%d", n.Add(1)))
		return []*weir.Message{m}, nil
	})
	assert.ErrorContains(t, sweepCheckConcurrent(ctx, counts, []byte(`{}`), true), "differs")
	assert.NoError(t, sweepCheckConcurrent(ctx, counts, []byte(`{}`), false))

	cfg, err := sweepDecodeConfig([]byte(`{"type":"meta_switch","settings":{"cases":[
		{"condition":{"type":"format_mime","settings":{"type":"application/zip"}},
		 "transforms":[{"type":"utility_drop"},{"type":"x","settings":{"kv_store":{"type":"memory","settings":{}}}}]}]}}`))
	require.NoError(t, err)
	var seen []string
	sweepTypes(cfg, func(kind, typ string) { seen = append(seen, kind+" "+typ) })
	assert.ElementsMatch(t, []string{"transform meta_switch", "condition format_mime", "transform utility_drop", "transform x"}, seen)

	reg := &transform.Registry{}
	require.NoError(t, reg.Register("lax", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) { return pass, nil }))
	assert.ErrorContains(t, sweepCheckUnknownSetting(ctx, &transform.Env{Transforms: reg}, weir.Config{Type: "lax"}), "was accepted")
	assert.NoError(t, sweepCheckUnknownSetting(ctx, nil, weir.Config{Type: "utility_drop"}))
}
