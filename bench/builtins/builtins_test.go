package builtins_test

// Per-type micro-benchmarks of every registered built-in, driven by the
// registries: BenchmarkBuiltins has one sub-benchmark per type,
// BenchmarkBuiltins/transform/<type> and BenchmarkBuiltins/condition/<type>,
// each building the type from a representative Substation-format config
// and running one message through it per op (the message's allocation
// included). TestBuiltinBenchmarksCoverRegistry fails naming any registered
// type without a config here, or a config for a type no longer registered.
//
//	go test -run '^$' -bench 'Builtins/transform/object_copy$' -benchmem ./bench/builtins/
//
// The configs follow the sweeps (transform/builtin_test.go,
// condition/builtin_test.go) and the conformance vectors; where a type is
// usually pointed at one field of an event, the config does so, on a small
// event, rather than on the whole data.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
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
)

// builtinCase is a representative use of one built-in type.
type builtinCase struct {
	// cfg is the Substation-format config. "<TEMP>" is replaced with a
	// temporary directory.
	cfg string
	// data is the message's data, unless vector is set.
	data string
	// vector names a conformance vector file (without .json) whose first
	// input is the data: for binary inputs (archives, compressed data).
	vector string
	// wantErr says the type answers the message with an error (it is the
	// point of the type: utility_err).
	wantErr bool
}

// benchEvent is the event most field-addressed configs run on.
const benchEvent = `{"user":{"name":"Alice Smith","email":"alice@example.com","id":"AIDA1234"},` +
	`"src":"10.1.2.3","host":"api.eu.example.co.uk","ts":"2024-08-22T04:01:06Z",` +
	`"ns":1724299266000000000,"sec":1724299266,"ms":1724299266000,"n":[6,2],"f":"1.5","ok":"true",` +
	`"tags":["a","b","a","c"],"nested":[[1,2],[3,[4]]],"zip":[["a","b"],[1,2]],` +
	`"msg":"GET /index.html HTTP/1.1","b64":"aGVsbG8gd29ybGQ=","csv":"x,y,z","kv":"a=1 b=\"x y\" c=3"}`

// transformCases holds one representative config per built-in transform.
func transformCases() []builtinCase {
	const kvMemory = `"kv_store":{"type":"memory","settings":{"capacity":1024}}`
	return []builtinCase{
		{cfg: `{"type":"aggregate_from_array"}`, data: `[{"a":1},{"b":2},{"c":3}]`},
		{cfg: `{"type":"aggregate_from_string","settings":{"separator":"\n"}}`, data: "{\"a\":1}\n{\"b\":2}\n{\"c\":3}"},
		{cfg: `{"type":"aggregate_to_array","settings":{"batch":{"count":100}}}`, data: benchEvent},
		{cfg: `{"type":"aggregate_to_string","settings":{"separator":"\n","batch":{"count":100}}}`, data: benchEvent},
		{cfg: `{"type":"array_dedupe","settings":{"object":{"source_key":"tags","target_key":"tags"}}}`, data: benchEvent},
		{cfg: `{"type":"array_flatten","settings":{"object":{"source_key":"nested","target_key":"flat"}}}`, data: benchEvent},
		{cfg: `{"type":"array_join","settings":{"separator":",","object":{"source_key":"tags","target_key":"joined"}}}`, data: benchEvent},
		{cfg: `{"type":"array_zip","settings":{"object":{"source_key":"zip","target_key":"zipped"}}}`, data: benchEvent},
		{cfg: `{"type":"enrich_kv_store_get","settings":{"prefix":"p","object":{"source_key":"src","target_key":"asset"},` + kvMemory + `}}`, data: benchEvent},
		{cfg: `{"type":"enrich_kv_store_item_get","settings":{"object":{"source_key":"src","target_key":"asset"},` + kvMemory + `}}`, data: benchEvent},
		{cfg: `{"type":"enrich_kv_store_item_set","settings":{"object":{"source_key":"src","target_key":"user","ttl_key":"sec"},"ttl_offset":"1m",` + kvMemory + `}}`, data: benchEvent},
		{cfg: `{"type":"enrich_kv_store_set","settings":{"object":{"source_key":"src","target_key":"user"},` + kvMemory + `}}`, data: benchEvent},
		{cfg: `{"type":"enrich_kv_store_set_add","settings":{"object":{"source_key":"src","target_key":"user.name"},"ttl_offset":"10s",` + kvMemory + `}}`, data: benchEvent},
		{cfg: `{"type":"format_from_base64","settings":{"object":{"source_key":"b64","target_key":"decoded"}}}`, data: benchEvent},
		{cfg: `{"type":"format_from_csv","settings":{"headers":["a","b","c"],"object":{"source_key":"csv","target_key":"row"}}}`, data: benchEvent},
		{cfg: `{"type":"format_from_gzip"}`, vector: "format_from_gzip"},
		{cfg: `{"type":"format_from_kv","settings":{"object":{"source_key":"kv","target_key":"fields"}}}`, data: benchEvent},
		{cfg: `{"type":"format_from_parquet"}`, vector: "format_from_parquet"},
		{cfg: `{"type":"format_from_pretty_print"}`, data: "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}"},
		{cfg: `{"type":"format_from_snappy"}`, data: "\a\x18{\"a\":1}"},
		{cfg: `{"type":"format_from_zip"}`, vector: "format_from_zip"},
		{cfg: `{"type":"format_from_zstd","settings":{"max_size":1024}}`, data: "(\xb5/\xfd\x04\x009\x00\x00{\"a\":1}H\x8b\xfc2"},
		{cfg: `{"type":"format_to_base64","settings":{"object":{"source_key":"msg","target_key":"encoded"}}}`, data: benchEvent},
		{cfg: `{"type":"format_to_gzip"}`, data: benchEvent},
		{cfg: `{"type":"format_to_snappy"}`, data: benchEvent},
		{cfg: `{"type":"format_to_zstd"}`, data: benchEvent},
		{cfg: `{"type":"hash_fnv","settings":{"object":{"source_key":"msg","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"hash_md5","settings":{"object":{"source_key":"msg","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"hash_sha1","settings":{"object":{"source_key":"msg","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"hash_sha256","settings":{"object":{"source_key":"@this","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"hash_sha512","settings":{"object":{"source_key":"msg","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"hash_xxhash64","settings":{"object":{"source_key":"msg","target_key":"h"}}}`, data: benchEvent},
		{cfg: `{"type":"meta_err","settings":{"error_messages":["raised"],"transforms":[{"type":"utility_err","settings":{"message":"raised"}}]}}`, data: benchEvent},
		{cfg: `{"type":"meta_for_each","settings":{"object":{"source_key":"tags","target_key":"upper"},"transforms":[{"type":"string_to_upper"}]}}`, data: benchEvent},
		{cfg: `{"type":"meta_kv_store_lock","settings":{"object":{"source_key":"user.id"},"ttl_offset":"1m",` + kvMemory + `,"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"src","target_key":"ip"}}}]}}`, data: benchEvent},
		{cfg: `{"type":"meta_metric_duration","settings":{"metric":{"name":"D"},"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"src","target_key":"ip"}}}]}}`, data: benchEvent},
		{cfg: `{"type":"meta_retry","settings":{"retry":{"count":2,"delay":"1ms"},"error_messages":["invalid data"],"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"src","target_key":"ip"}}}]}}`, data: benchEvent},
		{cfg: `{"type":"meta_switch","settings":{"cases":[{"condition":{"type":"exists","settings":{"object":{"source_key":"user.name"}}},"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"user.name","target_key":"name"}}}]}]}}`, data: benchEvent},
		{cfg: `{"type":"network_domain_registered_domain","settings":{"object":{"source_key":"host","target_key":"domain"}}}`, data: benchEvent},
		{cfg: `{"type":"network_domain_subdomain","settings":{"object":{"source_key":"host","target_key":"sub"}}}`, data: benchEvent},
		{cfg: `{"type":"network_domain_top_level_domain","settings":{"object":{"source_key":"host","target_key":"tld"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","fc00::/7"],"object":{"source_key":"src","target_key":"internal"}}}`, data: benchEvent},
		{cfg: `{"type":"number_math_addition","settings":{"object":{"source_key":"n","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"number_math_division","settings":{"object":{"source_key":"n","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"number_math_multiplication","settings":{"object":{"source_key":"n","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"number_math_subtraction","settings":{"object":{"source_key":"n","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"number_maximum","settings":{"value":10,"object":{"source_key":"n.0","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"number_minimum","settings":{"value":10,"object":{"source_key":"n.0","target_key":"r"}}}`, data: benchEvent},
		{cfg: `{"type":"object_copy","settings":{"object":{"source_key":"user.name","target_key":"name"}}}`, data: benchEvent},
		{cfg: `{"type":"object_delete","settings":{"object":{"source_key":"user.email"}}}`, data: benchEvent},
		{cfg: `{"type":"object_insert","settings":{"object":{"target_key":"cloud.provider"},"value":"aws"}}`, data: benchEvent},
		{cfg: `{"type":"object_jq","settings":{"filter":"{name: .user.name, ip: .src}"}}`, data: benchEvent},
		{cfg: `{"type":"object_to_boolean","settings":{"object":{"source_key":"ok","target_key":"ok"}}}`, data: benchEvent},
		{cfg: `{"type":"object_to_float","settings":{"object":{"source_key":"f","target_key":"f"}}}`, data: benchEvent},
		{cfg: `{"type":"object_to_integer","settings":{"object":{"source_key":"f","target_key":"f"}}}`, data: benchEvent},
		{cfg: `{"type":"object_to_string","settings":{"object":{"source_key":"@this","target_key":"original"}}}`, data: benchEvent},
		{cfg: `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"f","target_key":"f"}}}`, data: benchEvent},
		{cfg: `{"type":"send_file","settings":{"file_path":{"prefix":"<TEMP>/weir-bench","uuid":true,"suffix":".json"},"batch":{"count":1000}}}`, data: benchEvent},
		{cfg: `{"type":"send_stdout","settings":{"auxiliary_transforms":[{"type":"utility_drop"}]}}`, data: benchEvent},
		{cfg: `{"type":"string_append","settings":{"suffix":"!","object":{"source_key":"user.name","target_key":"greeting"}}}`, data: benchEvent},
		{cfg: `{"type":"string_capture","settings":{"pattern":"^([^@]*)@","object":{"source_key":"user.email","target_key":"local"}}}`, data: benchEvent},
		{cfg: `{"type":"string_replace","settings":{"pattern":"HTTP/1\\.1$","replacement":"h1","object":{"source_key":"msg","target_key":"msg"}}}`, data: benchEvent},
		{cfg: `{"type":"string_split","settings":{"separator":" ","object":{"source_key":"msg","target_key":"parts"}}}`, data: benchEvent},
		{cfg: `{"type":"string_to_lower","settings":{"object":{"source_key":"user.name","target_key":"lower"}}}`, data: benchEvent},
		{cfg: `{"type":"string_to_snake","settings":{"object":{"source_key":"user.name","target_key":"snake"}}}`, data: benchEvent},
		{cfg: `{"type":"string_to_upper","settings":{"object":{"source_key":"user.name","target_key":"upper"}}}`, data: benchEvent},
		{cfg: `{"type":"string_uuid","settings":{"object":{"target_key":"id"}}}`, data: benchEvent},
		{cfg: `{"type":"test_message","settings":{"value":{"a":1}}}`, data: benchEvent},
		{cfg: `{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05Z07:00","object":{"source_key":"ts","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"time_from_unix","settings":{"object":{"source_key":"sec","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"time_from_unix_milli","settings":{"object":{"source_key":"ms","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"time_now","settings":{"object":{"target_key":"now"}}}`, data: benchEvent},
		{cfg: `{"type":"time_to_string","settings":{"format":"2006-01-02T15:04:05.000Z","object":{"source_key":"ns","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"time_to_unix","settings":{"object":{"source_key":"ns","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"time_to_unix_milli","settings":{"object":{"source_key":"ns","target_key":"t"}}}`, data: benchEvent},
		{cfg: `{"type":"utility_control","settings":{"batch":{"count":100}}}`, data: benchEvent},
		{cfg: `{"type":"utility_delay","settings":{"duration":"1us"}}`, data: benchEvent},
		{cfg: `{"type":"utility_drop"}`, data: benchEvent},
		{cfg: `{"type":"utility_err","settings":{"message":"raised"}}`, data: benchEvent, wantErr: true},
		{cfg: `{"type":"utility_metric_bytes","settings":{"metric":{"name":"B"}}}`, data: benchEvent},
		{cfg: `{"type":"utility_metric_count","settings":{"metric":{"name":"C","attributes":{"AppName":"bench"}}}}`, data: benchEvent},
		{cfg: `{"type":"utility_metric_freshness","settings":{"threshold":"5s","object":{"source_key":"ns"},"metric":{"name":"F"}}}`, data: benchEvent},
		{cfg: `{"type":"utility_secret","settings":{"secret":{"type":"environment_variable","settings":{"id":"path","name":"PATH"}}}}`, data: benchEvent},
	}
}

// conditionCases holds one representative config per built-in condition.
func conditionCases() []builtinCase {
	const anyA = `"conditions":[{"type":"string_contains","settings":{"value":"a"}}]`
	return []builtinCase{
		{cfg: `{"type":"all","settings":{` + anyA + `}}`, data: `abc`},
		{cfg: `{"type":"any","settings":{` + anyA + `}}`, data: `abc`},
		{cfg: `{"type":"none","settings":{` + anyA + `}}`, data: `xyz`},
		{cfg: `{"type":"meta_all","settings":{"object":{"source_key":"tags"},` + anyA + `}}`, data: benchEvent},
		{cfg: `{"type":"meta_any","settings":{"object":{"source_key":"tags"},` + anyA + `}}`, data: benchEvent},
		{cfg: `{"type":"meta_none","settings":{"object":{"source_key":"tags"},` + anyA + `}}`, data: benchEvent},
		{cfg: `{"type":"exists","settings":{"object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"format_json"}`, data: benchEvent},
		{cfg: `{"type":"format_mime","settings":{"type":"application/zip"}}`, data: "PK\x03\x04\x14\x00\x00\x00"},
		{cfg: `{"type":"network_ip_global_unicast","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","fc00::/7"],"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_link_local_multicast","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_link_local_unicast","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_loopback","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_multicast","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_private","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_unicast","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_unspecified","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"network_ip_valid","settings":{"object":{"source_key":"src"}}}`, data: benchEvent},
		{cfg: `{"type":"number_bitwise_and","settings":{"value":3,"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_bitwise_not","settings":{"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_bitwise_or","settings":{"value":3,"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_bitwise_xor","settings":{"value":3,"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_equal_to","settings":{"value":6,"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_greater_than","settings":{"value":3,"object":{"source_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"number_length_equal_to","settings":{"value":11,"object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"number_length_greater_than","settings":{"value":2,"measurement":"char","object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"number_length_less_than","settings":{"value":4,"object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"number_less_than","settings":{"object":{"source_key":"n.1","target_key":"n.0"}}}`, data: benchEvent},
		{cfg: `{"type":"string_contains","settings":{"value":"index","object":{"source_key":"msg"}}}`, data: benchEvent},
		{cfg: `{"type":"string_ends_with","settings":{"value":"HTTP/1.1","object":{"source_key":"msg"}}}`, data: benchEvent},
		{cfg: `{"type":"string_equal_to","settings":{"value":"Alice Smith","object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"string_greater_than","settings":{"value":"A","object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"string_less_than","settings":{"value":"B","object":{"source_key":"user.name"}}}`, data: benchEvent},
		{cfg: `{"type":"string_match","settings":{"pattern":"^GET /[^ ]*\\.html ","object":{"source_key":"msg"}}}`, data: benchEvent},
		{cfg: `{"type":"string_starts_with","settings":{"value":"GET ","object":{"source_key":"msg"}}}`, data: benchEvent},
		{cfg: `{"type":"utility_random"}`, data: benchEvent},
	}
}

// builtinVectorDir holds the transform conformance vectors.
const builtinVectorDir = "../../testdata/conformance/substation-v2/transform"

// loadCase decodes c's config (numbers as json.Number, as production code
// does) and returns it with the message data.
func loadCase(tb testing.TB, c builtinCase) (weir.Config, []byte) {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(strings.ReplaceAll(c.cfg, "<TEMP>", tb.TempDir())))
	dec.UseNumber()
	var cfg weir.Config
	require.NoError(tb, dec.Decode(&cfg), c.cfg)
	if c.vector == "" {
		return cfg, []byte(c.data)
	}
	b, err := os.ReadFile(filepath.Join(builtinVectorDir, c.vector+".json"))
	require.NoError(tb, err)
	var vectors []struct {
		Input []struct {
			Data    *string `json:"data"`
			DataB64 string  `json:"data_b64"`
		} `json:"input"`
	}
	require.NoError(tb, json.Unmarshal(b, &vectors), c.vector)
	require.True(tb, len(vectors) > 0 && len(vectors[0].Input) > 0, "%s: no input in the first vector", c.vector)
	in := vectors[0].Input[0]
	if in.Data != nil {
		return cfg, []byte(*in.Data)
	}
	data, err := base64.StdEncoding.DecodeString(in.DataB64)
	require.NoError(tb, err, c.vector)
	return cfg, data
}

// caseTypes indexes cases by type, failing on a type listed twice.
func caseTypes(tb testing.TB, cases []builtinCase) map[string]builtinCase {
	tb.Helper()
	byType := make(map[string]builtinCase, len(cases))
	for _, c := range cases {
		var head struct {
			Type string `json:"type"`
		}
		require.NoError(tb, json.Unmarshal([]byte(c.cfg), &head), c.cfg)
		_, dup := byType[head.Type]
		require.False(tb, dup, "two benchmark configs for %s", head.Type)
		byType[head.Type] = c
	}
	return byType
}

// newBuiltinTransform builds c and returns the transformer and the data.
func newBuiltinTransform(tb testing.TB, c builtinCase) (transform.Transformer, []byte) {
	tb.Helper()
	cfg, data := loadCase(tb, c)
	tf, err := all.Env().New(context.Background(), cfg)
	require.NoError(tb, err, c.cfg)
	if cl, ok := tf.(io.Closer); ok {
		tb.Cleanup(func() { _ = cl.Close() })
	}
	return tf, data
}

// newBuiltinCondition builds c and returns the inspector and the data.
func newBuiltinCondition(tb testing.TB, c builtinCase) (condition.Inspector, []byte) {
	tb.Helper()
	cfg, data := loadCase(tb, c)
	in, err := condition.New(context.Background(), cfg)
	require.NoError(tb, err, c.cfg)
	if cl, ok := in.(io.Closer); ok {
		tb.Cleanup(func() { _ = cl.Close() })
	}
	return in, data
}

// benchedElsewhere lists the types that call a network service: each is
// benchmarked in its own package against a real server on loopback.
var benchedElsewhere = map[string]string{
	"enrich_dns_ip_lookup":     "dnstransform.BenchmarkEnrichDNSStream (loopback DNS server)",
	"enrich_dns_domain_lookup": "as enrich_dns_ip_lookup",
	"enrich_dns_txt_lookup":    "as enrich_dns_ip_lookup",
	"enrich_dns_text_lookup":   "an alias of enrich_dns_txt_lookup",
	"enrich_http_get":          "transform.BenchmarkEnrichHTTPGet (httptest server)",
	"enrich_http_post":         "as enrich_http_get",
	"enrich_aws_lambda":        "awstransform.BenchmarkEnrichAWSLambda (loopback Invoke API)",

	"enrich_aws_dynamodb_query": "transform.BenchmarkEnrichAWSDynamoDBQuery (dynalite)",

	"send_http_post":               "transform.BenchmarkSendHTTPPost (httptest server)",
	"send_aws_kinesis_data_stream": "sendtransform.BenchmarkKinesis (kinesis-local)",
	"send_aws_s3":                  "sendtransform.BenchmarkS3Gzip (s3rver)",
	"send_aws_data_firehose":       "the sends to AWS services are benchmarked by their service's server: see sendtransform",
	"send_aws_dynamodb_put":        "as send_aws_data_firehose",
	"send_aws_eventbridge":         "as send_aws_data_firehose",
	"send_aws_lambda":              "as send_aws_data_firehose",
	"send_aws_sns":                 "as send_aws_data_firehose",
	"send_aws_sqs":                 "as send_aws_data_firehose",
	"send_gcp_storage":             "needs a Google Cloud Storage server; its tests use fake-gcs-server",
}

// BenchmarkBuiltins runs one message through every registered built-in
// transform and condition per op, on one goroutine. A registered type
// without a config in transformCases or conditionCases fails the benchmark
// (and TestBuiltinBenchmarksCoverRegistry).
func BenchmarkBuiltins(b *testing.B) {
	b.Run("transform", func(b *testing.B) {
		cases := caseTypes(b, transformCases())
		for _, typ := range all.Transforms().Types() {
			if _, ok := benchedElsewhere[typ]; ok {
				continue
			}
			c, ok := cases[typ]
			if !ok {
				b.Fatalf("transform %s has no benchmark config: add one to transformCases", typ)
			}
			b.Run(typ, func(b *testing.B) {
				tf, data := newBuiltinTransform(b, c)
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := tf.Transform(ctx, weir.NewMessage(data)); (err != nil) != c.wantErr {
						b.Fatalf("%s: error %v", typ, err)
					}
				}
			})
		}
	})
	b.Run("condition", func(b *testing.B) {
		cases := caseTypes(b, conditionCases())
		for _, typ := range condition.Builtins().Types() {
			c, ok := cases[typ]
			if !ok {
				b.Fatalf("condition %s has no benchmark config: add one to conditionCases", typ)
			}
			b.Run(typ, func(b *testing.B) {
				in, data := newBuiltinCondition(b, c)
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := in.Inspect(ctx, weir.NewMessage(data)); err != nil {
						b.Fatalf("%s: %v", typ, err)
					}
				}
			})
		}
	})
}

// TestBuiltinBenchmarksCoverRegistry checks that BenchmarkBuiltins covers
// exactly the registered types, and that each config builds and handles
// its message as the benchmark expects, a few times over, without changing
// the data the benchmark reuses.
func TestBuiltinBenchmarksCoverRegistry(t *testing.T) {
	t.Parallel()
	families := []struct {
		name       string
		registered []string
		cases      []builtinCase
		run        func(t *testing.T, c builtinCase)
	}{
		{"transform", all.Transforms().Types(), transformCases(), func(t *testing.T, c builtinCase) {
			tf, data := newBuiltinTransform(t, c)
			orig := bytes.Clone(data)
			for range 3 {
				_, err := tf.Transform(context.Background(), weir.NewMessage(data))
				if c.wantErr {
					require.Error(t, err)
				} else {
					require.NoError(t, err)
				}
			}
			assert.Equal(t, orig, data, "the transform changed its input's bytes: the benchmark must copy them per op")
		}},
		{"condition", condition.Builtins().Types(), conditionCases(), func(t *testing.T, c builtinCase) {
			in, data := newBuiltinCondition(t, c)
			orig := bytes.Clone(data)
			for range 3 {
				_, err := in.Inspect(context.Background(), weir.NewMessage(data))
				require.NoError(t, err)
			}
			assert.Equal(t, orig, data, "the inspector changed its input's bytes")
		}},
	}
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			byType := caseTypes(t, f.cases)
			var missing, stale []string
			for _, typ := range f.registered {
				if _, ok := benchedElsewhere[typ]; ok {
					continue
				}
				if _, ok := byType[typ]; !ok {
					missing = append(missing, typ)
				}
			}
			for typ := range byType {
				if !slices.Contains(f.registered, typ) {
					stale = append(stale, typ)
				}
			}
			slices.Sort(stale)
			assert.Empty(t, missing, "registered %s types without a config in BenchmarkBuiltins (add them to %sCases)", f.name, f.name)
			assert.Empty(t, stale, "BenchmarkBuiltins has %s configs for types that are not registered", f.name)
			for _, typ := range f.registered {
				c, ok := byType[typ]
				if !ok {
					continue
				}
				t.Run(typ, func(t *testing.T) {
					t.Parallel()
					f.run(t, c)
				})
			}
		})
	}
}
