package transform_test

// A conformance sweep over every type of a transform registry (the
// built-ins here), in the spirit of testing/slogtest: each config of the
// Substation v2 conformance vectors (plus an inline config for each type
// without a vector) is run through transformtest.Run, which checks the
// contract every Transformer keeps (control messages, results with
// errors, malformed input, concurrent use, no retention, Close; see its
// package documentation), with the vector's inputs, its
// object.source_key as the key for malformed values, and the Behavior of
// the types it uses. Per type the sweep also checks that the factory
// refuses an unknown setting (transformtest.CheckUnknownSetting).
//
// The checks and their self-tests live in transformtest; this file only
// says which configs to try and how each type behaves. The vectors'
// expected outputs are checked by the conformance test.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
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
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
	"github.com/weirhq/weir/transform/transformtest"
)

// sweepVectorDir holds the repository's copy of the transform vectors.
const sweepVectorDir = "../testdata/conformance/substation-v2/transform"

// sweepKnownIssues lists contract violations the sweep found that are not
// fixed yet, keyed by "<type>/<check>" (check is unknown_setting or one of
// transformtest's: control, malformed, concurrent, retain, close). Those
// sub-tests are skipped with the reason; remove an entry once its bug is
// fixed.
var sweepKnownIssues = map[string]string{}

// sweepBehavior lists the types whose outputs are not a function of their
// input alone, with the transformtest.Behavior that says what the checks
// may compare and why. A config takes the loosest Behavior of the types it
// uses, nested ones (condition types included) too.
var sweepBehavior = map[string]struct {
	b   transformtest.Behavior
	why string
}{
	"string_uuid":              {transformtest.Random, "writes a new random UUID each time"},
	"utility_random":           {transformtest.Random, "a nested condition that answers at random"},
	"time_now":                 {transformtest.Random, "writes the current time"},
	"utility_control":          {transformtest.Stateful, "emits a control message when its shared batch fills"},
	"aggregate_to_array":       {transformtest.Stateful, "releases a batch when it fills"},
	"aggregate_to_string":      {transformtest.Stateful, "releases a batch when it fills"},
	"meta_kv_store_lock":       {transformtest.Stateful, "only the first message with a lock key runs the transforms"},
	"format_from_pretty_print": {transformtest.Sequential, "holds a partial value between messages"},
}

// sweepExempt lists types the sweep cannot build from JSON alone, with the
// test that covers their behaviour instead. TestSweepTransformExempt runs
// the transformtest checks over them, built with typed constructors
// against loopback servers.
var sweepExempt = map[string]string{
	"enrich_aws_lambda":        "needs AWS credentials from the environment to build from JSON; awstransform.TestContract runs transformtest against a real Invoke API server",
	"enrich_dns_ip_lookup":     "built from JSON it asks the system's nameservers, which tests must not reach; dnstransform.TestContract runs transformtest against a loopback DNS server",
	"enrich_dns_domain_lookup": "as enrich_dns_ip_lookup",
	"enrich_dns_txt_lookup":    "as enrich_dns_ip_lookup",
	"enrich_dns_text_lookup":   "as enrich_dns_ip_lookup (an alias of enrich_dns_txt_lookup)",

	"enrich_aws_dynamodb_query": "needs AWS credentials and a table to build from JSON; awstransform.TestContract runs transformtest against dynalite",

	"send_http_post":               "posts to its url: TestSendHTTPPostContract runs transformtest against an httptest server",
	"send_aws_kinesis_data_stream": "needs AWS credentials and a stream: sendtransform.TestKinesisContract runs transformtest against kinesis-local",
	"send_aws_data_firehose":       "needs AWS credentials and a service: sendtransform's tests run it against a real server",
	"send_aws_dynamodb_put":        "as send_aws_data_firehose (dynalite)",
	"send_aws_eventbridge":         "as send_aws_data_firehose",
	"send_aws_lambda":              "as send_aws_data_firehose",
	"send_aws_s3":                  "as send_aws_data_firehose (s3rver)",
	"send_aws_sns":                 "as send_aws_data_firehose",
	"send_aws_sqs":                 "as send_aws_data_firehose",
	"send_gcp_storage":             "needs Google credentials to build from JSON: gcptransform.TestSendGCPStorageContract runs transformtest against fake-gcs-server",
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
// for the checks. Types not registered (yet) are skipped.
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

// sweepSourceKey returns the config's object.source_key, if any.
func sweepSourceKey(cfg weir.Config) string {
	obj, _ := cfg.Settings["object"].(map[string]any)
	key, _ := obj["source_key"].(string)
	return key
}

// sweepSkips returns the known issues of typ as transformtest.Options.Skip.
func sweepSkips(issues map[string]string, typ string) map[string]string {
	skip := map[string]string{}
	for k, reason := range issues {
		if t, check, _ := strings.Cut(k, "/"); t == typ && check != "unknown_setting" {
			skip[check] = "known issue: " + reason
		}
	}
	return skip
}

// sweepBehaviorOf returns the loosest Behavior of the types cfg uses.
func sweepBehaviorOf(cfg weir.Config) transformtest.Behavior {
	b := transformtest.Stateless
	sweepTypes(cfg, func(_, typ string) {
		if x, ok := sweepBehavior[typ]; ok {
			b = max(b, x.b)
		}
	})
	return b
}

func TestSweepTransformBuiltins(t *testing.T) {
	t.Parallel()
	sweepTransforms(t, all.Transforms(), condition.Builtins())
}

// sweepTransforms checks every type of treg that a vector or an inline
// config covers, and that every type of treg is covered or exempt. Nested
// transforms are built from treg and conditions from creg; configs that
// use a type neither has are skipped (and logged).
func sweepTransforms(t *testing.T, treg *transform.Registry, creg *condition.Registry) {
	ctx := context.Background()
	env := &transform.Env{Transforms: treg, Conditions: creg}
	registered := map[string][]string{"transform": treg.Types(), "condition": creg.Types()}

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
			t.Run("unknown_setting", func(t *testing.T) {
				if reason, ok := sweepKnownIssues[typ+"/unknown_setting"]; ok {
					t.Skip("known issue: " + reason)
				}
				if err := transformtest.CheckUnknownSetting(ctx, env, cases[0].cfg, sweepIgnoredSettings[typ]...); err != nil {
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
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					tf, err := env.New(ctx, c.cfg)
					require.NoError(t, err, "the config should load")
					if c, ok := tf.(io.Closer); ok {
						_ = c.Close() // the close check judges Close
					}
					transformtest.Run(t, func() (transform.Transformer, error) { return env.New(ctx, c.cfg) }, transformtest.Options{
						Inputs:    c.inputs,
						Key:       key,
						Behavior:  sweepBehaviorOf(c.cfg),
						SkipLarge: !withLarge,
						Skip:      sweepSkips(sweepKnownIssues, typ),
					})
				})
			}
		})
	}
}

// TestSweepTransformExempt runs the transformtest checks over the types of
// sweepExempt, built with their typed constructors and clients of loopback
// servers (dynalite for DynamoDB: without it that subtest is skipped).
// TestSweepTransformSelfTest checks the sweep's own helpers; transformtest
// tests its checks.
func TestSweepTransformSelfTest(t *testing.T) {
	t.Parallel()
	cfg, err := sweepDecodeConfig([]byte(`{"type":"meta_switch","settings":{"cases":[
		{"condition":{"type":"format_mime","settings":{"type":"application/zip"}},
		 "transforms":[{"type":"utility_drop"},{"type":"x","settings":{"kv_store":{"type":"memory","settings":{}}}}]}]}}`))
	require.NoError(t, err)
	var seen []string
	sweepTypes(cfg, func(kind, typ string) { seen = append(seen, kind+" "+typ) })
	assert.ElementsMatch(t, []string{"transform meta_switch", "condition format_mime", "transform utility_drop", "transform x"}, seen)
	assert.Equal(t, transformtest.Stateless, sweepBehaviorOf(cfg))

	nested, err := sweepDecodeConfig([]byte(`{"type":"meta_switch","settings":{"cases":[
		{"condition":{"type":"utility_random"},"transforms":[{"type":"aggregate_to_array"}]}]}}`))
	require.NoError(t, err)
	assert.Equal(t, transformtest.Random, sweepBehaviorOf(nested), "the loosest of the nested types")

	issues := map[string]string{"a/concurrent": "x", "a/unknown_setting": "y", "b/control": "z"}
	assert.Equal(t, map[string]string{"concurrent": "known issue: x"}, sweepSkips(issues, "a"))
}
