package transform_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

// objectVectors are Substation v2's conformance vectors for the object_*
// types (the shared conformance suite, copied so this package's tests stand
// alone). Outputs are compared byte for byte.
var objectVectors = []struct {
	name   string
	config string
	input  [][]byte
	want   []string
}{
	{"object_copy/object", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"c"}}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":"b","c":"b"}`}},
	{"object_copy/large integer", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
		[][]byte{[]byte(`{"a":30400402455622563}`)}, []string{`{"a":30400402455622563,"b":30400402455622563}`}},
	{"object_copy/large float", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
		[][]byte{[]byte(`{"a":3.141592653589793}`)}, []string{`{"a":3.141592653589793,"b":3.141592653589793}`}},
	{"object_copy/unescape object", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		// Substation's vector lacks the final "}"; writing into invalid JSON is
		// an error in Weir (TestWriteIntoInvalidJSON), so the input is fixed.
		[][]byte{[]byte(`{"a":"{\"b\":\"c\"}"}`)}, []string{`{"a":{"b":"c"}}`}},
	{"object_copy/unescape array", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"[\"b\",\"c\"]"}`)}, []string{`{"a":["b","c"]}`}},
	{"object_copy/from object", `{"type":"object_copy","settings":{"object":{"source_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`b`}},
	{"object_copy/from nested object", `{"type":"object_copy","settings":{"object":{"source_key":"a"}}}`,
		[][]byte{[]byte(`{"a":{"b":"c"}}`)}, []string{`{"b":"c"}`}},
	{"object_copy/to object", `{"type":"object_copy","settings":{"object":{"target_key":"a"}}}`,
		[][]byte{[]byte(`b`)}, []string{`{"a":"b"}`}},
	{"object_copy/to nested object", `{"type":"object_copy","settings":{"object":{"target_key":"a.b"}}}`,
		[][]byte{[]byte(`c`)}, []string{`{"a":{"b":"c"}}`}},
	{"object_copy/to object base64", `{"type":"object_copy","settings":{"object":{"target_key":"a"}}}`,
		[][]byte{b64(`eJwFwDENAAAAwjCtTAL+j6YdAl0BNg==`)}, []string{`{"a":"eJwFwDENAAAAwjCtTAL+j6YdAl0BNg=="}`}},
	{"object_copy/object_copy", `{"type":"object_copy","settings":{"object":{"target_key":"a"}}}`,
		[][]byte{[]byte(`b`)}, []string{`{"a":"b"}`}},
	{"object_copy/ExampleTransformer", `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
		[][]byte{[]byte(`{"a":1}`)}, []string{`{"a":1,"b":1}`}},
	{"object_delete/object", `{"type":"object_delete","settings":{"object":{"source_key":"c"}}}`,
		[][]byte{[]byte(`{"a":"b","c":{"d":"e"}}`)}, []string{`{"a":"b"}`}},
	{"object_delete/array", `{"type":"object_delete","settings":{"object":{"source_key":"c"}}}`,
		[][]byte{[]byte(`{"a":"b","c":["d","e"]}`)}, []string{`{"a":"b"}`}},
	{"object_delete/string", `{"type":"object_delete","settings":{"object":{"source_key":"c"}}}`,
		[][]byte{[]byte(`{"a":"b","c":"d"}`)}, []string{`{"a":"b"}`}},
	{"object_delete/int", `{"type":"object_delete","settings":{"object":{"source_key":"c"}}}`,
		[][]byte{[]byte(`{"a":"b","c":1}`)}, []string{`{"a":"b"}`}},
	{"object_insert/object", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":"{\"b\":\"c\"}"}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":{"b":"c"}}`}},
	{"object_insert/array", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":["b","c"]}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":["b","c"]}`}},
	{"object_insert/map", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":{"b":"c"}}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":{"b":"c"}}`}},
	{"object_insert/string", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":"b"}}`,
		[][]byte{[]byte(``)}, []string{`{"a":"b"}`}},
	{"object_insert/int", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":1}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":1}`}},
	{"object_insert/bytes", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":"eJwFwDENAAAAwjCtTAL+j6YdAl0BNg=="}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":"eJwFwDENAAAAwjCtTAL+j6YdAl0BNg=="}`}},
	{"object_insert/object_insert", `{"type":"object_insert","settings":{"object":{"target_key":"c"},"value":"d"}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`{"a":"b","c":"d"}`}},
	{"object_jq/access", `{"type":"object_jq","settings":{"filter":".a"}}`,
		[][]byte{[]byte(`{"a":"b"}`)}, []string{`"b"`}},
	{"object_jq/access#01", `{"type":"object_jq","settings":{"filter":".a, .c"}}`,
		[][]byte{[]byte(`{"a":"b","c":"d"}`)}, []string{`["b","d"]`}},
	{"object_jq/access#02", `{"type":"object_jq","settings":{"filter":".a"}}`,
		[][]byte{[]byte(`{"a":{"b":"c"}}`)}, []string{`{"b":"c"}`}},
	{"object_jq/array", `{"type":"object_jq","settings":{"filter":".a"}}`,
		[][]byte{[]byte(`{"a":["b","c","d"]}`)}, []string{`["b","c","d"]`}},
	{"object_jq/slice", `{"type":"object_jq","settings":{"filter":".a[-1:]"}}`,
		[][]byte{[]byte(`{"a":["b","c","d","e","f","g"]}`)}, []string{`["g"]`}},
	{"object_jq/recursion", `{"type":"object_jq","settings":{"filter":"walk( if type == \"object\" then \n\t\t\t\t\twith_entries( select( \n\t\t\t\t\t\t(.value != \"\") and \n\t\t\t\t\t\t(.value != {}) and\n\t\t\t\t\t\t(.value != null)\n\t\t\t\t\t) ) \n\t\t\t\telse \n\t\t\t\t\t. end)"}}`,
		[][]byte{[]byte(`{"a":{"b":{"c":""}},"d":null,"e":"f"}`)}, []string{`{"e":"f"}`}},
	{"object_to_boolean/float to_bool", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1.0}`)}, []string{`{"a":true}`}},
	{"object_to_boolean/float to_bool#01", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":0.0}`)}, []string{`{"a":false}`}},
	{"object_to_boolean/int to_bool", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1}`)}, []string{`{"a":true}`}},
	{"object_to_boolean/int to_bool#01", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":0}`)}, []string{`{"a":false}`}},
	{"object_to_boolean/str to_bool", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"true"}`)}, []string{`{"a":true}`}},
	{"object_to_boolean/str to_bool#01", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"false"}`)}, []string{`{"a":false}`}},
	{"object_to_float/str to_float", `{"type":"object_to_float","settings":{"object":{"source_key":"a","target_key":"a"},"type":"float"}}`,
		[][]byte{[]byte(`{"a":"1.1"}`)}, []string{`{"a":1.1}`}},
	{"object_to_integer/float to_int", `{"type":"object_to_integer","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1.1}`)}, []string{`{"a":1}`}},
	{"object_to_integer/str to_int", `{"type":"object_to_integer","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"-1"}`)}, []string{`{"a":-1}`}},
	{"object_to_string/bool to_str", `{"type":"object_to_string","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":true}`)}, []string{`{"a":"true"}`}},
	{"object_to_string/float to_str", `{"type":"object_to_string","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1.1}`)}, []string{`{"a":"1.1"}`}},
	{"object_to_string/int to_str", `{"type":"object_to_string","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1}`)}, []string{`{"a":"1"}`}},
	{"object_to_string/obj to_str", `{"type":"object_to_string","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":{"b": "c", "d": true}}`)}, []string{`{"a":"{\"b\": \"c\", \"d\": true}"}`}},
	{"object_to_unsigned_integer/float to_uint", `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":1.1}`)}, []string{`{"a":1}`}},
	{"object_to_unsigned_integer/str to_uint", `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		[][]byte{[]byte(`{"a":"-1"}`)}, []string{`{"a":0}`}},
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// newObjectTransform builds a transformer from a JSON config.
func newObjectTransform(t testing.TB, config string) transform.Transformer {
	t.Helper()
	var cfg weir.Config
	require.NoError(t, json.Unmarshal([]byte(config), &cfg))
	tf, err := all.Env().New(context.Background(), cfg)
	require.NoError(t, err)
	return tf
}

// runOne transforms one message and returns the data of the single result.
func runOne(t *testing.T, tf transform.Transformer, msg *weir.Message) *weir.Message {
	t.Helper()
	out, err := tf.Transform(context.Background(), msg)
	require.NoError(t, err)
	require.Len(t, out, 1)
	return out[0]
}

func TestObjectVectors(t *testing.T) {
	t.Parallel()
	for _, tt := range objectVectors {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf := newObjectTransform(t, tt.config)
			var got []string
			for _, in := range tt.input {
				out, err := tf.Transform(context.Background(), weir.NewMessage(in))
				require.NoError(t, err)
				for _, m := range out {
					got = append(got, string(m.Data()))
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestObjectBuiltinsRegistered(t *testing.T) {
	t.Parallel()
	types := all.Transforms().Types()
	for _, name := range []string{
		"object_copy", "object_delete", "object_insert", "object_jq",
		"object_to_boolean", "object_to_float", "object_to_integer",
		"object_to_string", "object_to_unsigned_integer",
	} {
		assert.Contains(t, types, name)
	}
}

// objectConfigs has one valid config per type, for the tests that every
// type must pass.
var objectConfigs = map[string]string{
	"object_copy":                `{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	"object_delete":              `{"type":"object_delete","settings":{"object":{"source_key":"a"}}}`,
	"object_insert":              `{"type":"object_insert","settings":{"object":{"target_key":"b"},"value":1}}`,
	"object_jq":                  `{"type":"object_jq","settings":{"filter":"{b: .a}"}}`,
	"object_to_boolean":          `{"type":"object_to_boolean","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	"object_to_float":            `{"type":"object_to_float","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	"object_to_integer":          `{"type":"object_to_integer","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	"object_to_string":           `{"type":"object_to_string","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	"object_to_unsigned_integer": `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
}

func TestObjectControlPassesThrough(t *testing.T) {
	t.Parallel()
	for name, config := range objectConfigs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tf := newObjectTransform(t, config)
			ctrl := weir.NewControl()
			out, err := tf.Transform(context.Background(), ctrl)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Same(t, ctrl, out[0])
			assert.True(t, out[0].IsControl())
		})
	}
}

func TestObjectConcurrentUse(t *testing.T) {
	t.Parallel()
	const in = `{"a":"1"}`
	want := map[string]string{
		"object_copy":                `{"a":"1","b":"1"}`,
		"object_delete":              `{}`,
		"object_insert":              `{"a":"1","b":1}`,
		"object_jq":                  `{"b":"1"}`,
		"object_to_boolean":          `{"a":"1","b":true}`,
		"object_to_float":            `{"a":"1","b":1}`,
		"object_to_integer":          `{"a":"1","b":1}`,
		"object_to_string":           `{"a":"1","b":"1"}`,
		"object_to_unsigned_integer": `{"a":"1","b":1}`,
	}
	for name, config := range objectConfigs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tf := newObjectTransform(t, config)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 100 {
						out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(in)))
						if err != nil {
							errs <- err
							return
						}
						if got := string(out[0].Data()); got != want[name] {
							errs <- fmt.Errorf("got %s, want %s", got, want[name])
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
		})
	}
}

func TestObjectConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		field  string
	}{
		{"copy unknown setting", `{"type":"object_copy","settings":{"source_key":"a"}}`, "source_key"},
		{"delete no source", `{"type":"object_delete","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"delete unknown setting", `{"type":"object_delete","settings":{"object":{"source_key":"a"},"value":1}}`, "value"},
		{"insert no target", `{"type":"object_insert","settings":{"value":1}}`, "object.target_key"},
		{"insert no value", `{"type":"object_insert","settings":{"object":{"target_key":"a"}}}`, "value"},
		{"insert null value", `{"type":"object_insert","settings":{"object":{"target_key":"a"},"value":null}}`, "value"},
		{"jq no filter", `{"type":"object_jq"}`, "filter"},
		{"jq bad syntax", `{"type":"object_jq","settings":{"filter":".a |"}}`, "filter"},
		{"jq undefined function", `{"type":"object_jq","settings":{"filter":"nosuchfunc(.a)"}}`, "filter"},
		{"jq unknown setting", `{"type":"object_jq","settings":{"filter":".","query":"."}}`, "query"},
		{"jq filter not a string", `{"type":"object_jq","settings":{"filter":1}}`, "filter"},
		{"to_boolean only source", `{"type":"object_to_boolean","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"to_float only target", `{"type":"object_to_float","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"to_integer only source", `{"type":"object_to_integer","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"to_string only target", `{"type":"object_to_string","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"to_unsigned_integer only source", `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"to_integer unknown setting", `{"type":"object_to_integer","settings":{"type":"int"}}`, "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg weir.Config
			require.NoError(t, json.Unmarshal([]byte(tt.config), &cfg))
			tf, err := all.Env().New(context.Background(), cfg)
			assert.Nil(t, tf)
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, cfg.Type, ce.Type)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

func TestObjectCopy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		src, dst   string
		data, meta string
		wantData   string
		wantMeta   string
	}{
		{name: "both keys", src: "a", dst: "b.c", data: `{"a":[1,2]}`, wantData: `{"a":[1,2],"b":{"c":[1,2]}}`},
		// Numbers are written as Substation writes them: whole ones as
		// integers (digits beyond float64's kept), others as Go formats a
		// float64; strings are escaped anew as sjson escapes them.
		{name: "whole number", src: "a", dst: "b", data: `{"a":1.0}`, wantData: `{"a":1.0,"b":1}`},
		{name: "fraction", src: "a", dst: "b", data: `{"a":1.50e0}`, wantData: `{"a":1.50e0,"b":1.5}`},
		{name: "large integer", src: "a", dst: "b", data: `{"a":30400402455622563}`, wantData: `{"a":30400402455622563,"b":30400402455622563}`},
		{name: "beyond int64 kept", src: "a", dst: "b", data: `{"a":1e21}`, wantData: `{"a":1e21,"b":1e21}`},
		{name: "string escaped anew", src: "a", dst: "b", data: `{"a":"A&B\n"}`, wantData: `{"a":"A&B\n","b":"A\u0026B\n"}`},
		{name: "string holding JSON", src: "a", dst: "b", data: `{"a":"[1]"}`, wantData: `{"a":"[1]","b":[1]}`},
		{name: "missing source", src: "x", dst: "b", data: `{"a":1}`, wantData: `{"a":1}`},
		{name: "neither key", data: `{"a":1}`, wantData: `{"a":1}`},
		{name: "only source: string", src: "a", data: `{"a":"x\"y"}`, wantData: `x"y`},
		{name: "only source: array", src: "a", data: `{"a":[1, 2]}`, wantData: `[1, 2]`},
		{name: "only source: missing", src: "x", data: `{"a":1}`, wantData: `{"a":1}`},
		{name: "only source: modifier", src: "@this", data: `{"a":1}`, wantData: `{"a":1}`},
		{name: "only target: JSON object", dst: "x", data: `{"a":1}`, wantData: `{"x":{"a":1}}`},
		{name: "only target: empty data", dst: "x", data: ``, wantData: ``},
		{name: "only target: keeps metadata", dst: "x", data: `1`, meta: `{"m":1}`, wantData: `{"x":"1"}`, wantMeta: `{"m":1}`},
		{name: "meta to data", src: "meta m", dst: "b", data: `{"a":1}`, meta: `{"m":"v"}`, wantData: `{"a":1,"b":"v"}`, wantMeta: `{"m":"v"}`},
		{name: "data to meta", src: "a", dst: "meta n", data: `{"a":1}`, meta: `{"m":"v"}`, wantData: `{"a":1}`, wantMeta: `{"m":"v","n":1}`},
		{name: "only source from meta", src: "meta m", data: `{"a":1}`, meta: `{"m":{"k":1}}`, wantData: `{"k":1}`, wantMeta: `{"m":{"k":1}}`},
		{name: "only target into meta", dst: "meta files", data: `{"a":1}`, wantData: ``, wantMeta: `{"files":{"a":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := transform.NewObjectCopy(transform.ObjectCopyConfig{
				Object: transform.ObjectSettings{SourceKey: tt.src, TargetKey: tt.dst},
			})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.data))
			if tt.meta != "" {
				msg.SetMetadata([]byte(tt.meta))
			}
			out := runOne(t, tf, msg)
			assert.Same(t, msg, out)
			assert.Equal(t, tt.wantData, string(out.Data()))
			assert.Equal(t, tt.wantMeta, string(out.Metadata()))
		})
	}
}

func TestObjectDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, data, meta, wantData, wantMeta string
	}{
		{name: "nested", src: "a.b", data: `{"a":{"b":1,"c":2}}`, wantData: `{"a":{"c":2}}`},
		{name: "missing", src: "x", data: `{"a":1}`, wantData: `{"a":1}`},
		{name: "array element", src: "a.0", data: `{"a":[1,2]}`, wantData: `{"a":[2]}`},
		{name: "metadata", src: "meta m", data: `{"a":1}`, meta: `{"m":1,"n":2}`, wantData: `{"a":1}`, wantMeta: `{"n":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := transform.NewObjectDelete(transform.ObjectDeleteConfig{Object: transform.ObjectSettings{SourceKey: tt.src}})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.data))
			if tt.meta != "" {
				msg.SetMetadata([]byte(tt.meta))
			}
			out := runOne(t, tf, msg)
			assert.Equal(t, tt.wantData, string(out.Data()))
			assert.Equal(t, tt.wantMeta, string(out.Metadata()))
		})
	}
}

func TestObjectInsert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dst   string
		value any
		data  string
		want  string
	}{
		{"string", "b", "x", `{"a":1}`, `{"a":1,"b":"x"}`},
		{"string needing escapes", "b", "a\"<b>", `{}`, `{"b":"a\"\u003cb\u003e"}`},
		{"string holding JSON", "b", `{"c": 1}`, `{}`, `{"b":{"c": 1}}`},
		{"int", "b", 7, `{}`, `{"b":7}`},
		{"float64", "b", 1.5, `{}`, `{"b":1.5}`},
		{"json.Number integer", "b", json.Number("30400402455622563"), `{}`, `{"b":30400402455622563}`},
		{"json.Number fraction", "b", json.Number("1.0"), `{}`, `{"b":1}`},
		{"json.Number exponent", "b", json.Number("1e3"), `{}`, `{"b":1000}`},
		{"bool", "b", false, `{}`, `{"b":false}`},
		{"map keys sorted", "b", map[string]any{"z": json.Number("2.50"), "a": []any{json.Number("1")}}, `{}`, `{"b":{"a":[1],"z":2.5}}`},
		{"raw null", "b", json.RawMessage("null"), `{}`, `{"b":null}`},
		{"replaces", "a", "y", `{"a":{"x":1}}`, `{"a":"y"}`},
		{"nested target", "a.b.c", 1, `{"a":{"d":2}}`, `{"a":{"d":2,"b":{"c":1}}}`},
		{"empty data", "a", "b", ``, `{"a":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := transform.NewObjectInsert(transform.ObjectInsertConfig{
				Object: transform.ObjectSettings{TargetKey: tt.dst}, Value: tt.value,
			})
			require.NoError(t, err)
			// Twice: the encoded value is shared between messages.
			for range 2 {
				out := runOne(t, tf, weir.NewMessage([]byte(tt.data)))
				assert.Equal(t, tt.want, string(out.Data()))
			}
		})
	}

	t.Run("non-JSON data", func(t *testing.T) {
		t.Parallel()
		// Writing into data that is not JSON is an error, not a silent
		// replacement (issue 14).
		tf, err := transform.NewObjectInsert(transform.ObjectInsertConfig{
			Object: transform.ObjectSettings{TargetKey: "a"}, Value: "b",
		})
		require.NoError(t, err)
		_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`not json`)))
		assert.ErrorIs(t, err, weir.ErrInvalidData)
	})

	t.Run("metadata", func(t *testing.T) {
		t.Parallel()
		tf, err := transform.NewObjectInsert(transform.ObjectInsertConfig{
			Object: transform.ObjectSettings{TargetKey: "meta result"}, Value: true,
		})
		require.NoError(t, err)
		out := runOne(t, tf, weir.NewMessage([]byte(`{"a":1}`)))
		assert.Equal(t, `{"a":1}`, string(out.Data()))
		assert.Equal(t, `{"result":true}`, string(out.Metadata()))
	})
}

// TestObjectConvert pins each conversion: by default the value Substation
// writes (gjson's reading, sjson's writing), counted as a coercion where
// that value does not stand for the input; in strict mode each coercion
// is a *weir.CoercionError.
func TestObjectConvert(t *testing.T) {
	t.Parallel()
	const c = true // coerced
	tests := []struct {
		typ     string
		in      string // the value of field a
		want    string // the value written to field b by default
		coerced bool   // an error in strict mode
	}{
		{"object_to_boolean", `true`, `true`, false},
		{"object_to_boolean", `false`, `false`, false},
		{"object_to_boolean", `2.5`, `true`, false},
		{"object_to_boolean", `0`, `false`, false},
		{"object_to_boolean", `"TRUE"`, `true`, false},
		{"object_to_boolean", `"f"`, `false`, false},
		{"object_to_boolean", `"1"`, `true`, false},
		{"object_to_boolean", `"yes"`, `false`, c},
		{"object_to_boolean", `""`, `false`, c},
		{"object_to_boolean", `null`, `false`, c},
		{"object_to_boolean", `{}`, `false`, c},
		{"object_to_boolean", `[true]`, `false`, c},

		{"object_to_float", `1`, `1`, false},
		{"object_to_float", `1.10`, `1.1`, false},
		{"object_to_float", `-2.5e3`, `-2500`, false},
		{"object_to_float", `1e21`, `1000000000000000000000`, false},
		{"object_to_float", `true`, `1`, false},
		{"object_to_float", `false`, `0`, false},
		{"object_to_float", `"3.25"`, `3.25`, false},
		{"object_to_float", `"-1"`, `-1`, false},
		{"object_to_float", `"abc"`, `0`, c},
		// sjson would write NaN and infinities as bare words, not JSON.
		{"object_to_float", `"NaN"`, `null`, c},
		{"object_to_float", `"Inf"`, `null`, c},
		{"object_to_float", `"1e400"`, `null`, c},
		{"object_to_float", `1e400`, `null`, c},
		{"object_to_float", `null`, `0`, c},
		{"object_to_float", `[1]`, `0`, c},

		{"object_to_integer", `1.9`, `1`, false},
		{"object_to_integer", `-1.9`, `-1`, false},
		{"object_to_integer", `30400402455622563`, `30400402455622563`, false},
		{"object_to_integer", `true`, `1`, false},
		{"object_to_integer", `"-1"`, `-1`, false},
		{"object_to_integer", `"42"`, `42`, false},
		// gjson reads only digits in a string, and wraps around.
		{"object_to_integer", `"2.5"`, `0`, c},
		{"object_to_integer", `"99999999999999999999"`, `7766279631452241919`, c},
		{"object_to_integer", `"12abc"`, `0`, c},
		{"object_to_integer", `""`, `0`, c},
		{"object_to_integer", `"NaN"`, `0`, c},
		{"object_to_integer", `null`, `0`, c},
		{"object_to_integer", `{"a":1}`, `0`, c},

		{"object_to_unsigned_integer", `1.9`, `1`, false},
		{"object_to_unsigned_integer", `18446744073709551615`, `18446744073709551615`, false},
		{"object_to_unsigned_integer", `false`, `0`, false},
		{"object_to_unsigned_integer", `"-1"`, `0`, false},
		{"object_to_unsigned_integer", `"42"`, `42`, false},
		{"object_to_unsigned_integer", `"x"`, `0`, c},
		{"object_to_unsigned_integer", `[]`, `0`, c},

		{"object_to_string", `"s"`, `"s"`, false},
		{"object_to_string", `"{\"b\":1}"`, `"{\"b\":1}"`, false},
		{"object_to_string", `{"b":1}`, `"{\"b\":1}"`, false},
		{"object_to_string", `12`, `"12"`, false},
		{"object_to_string", `1.50`, `"1.5"`, false},
		{"object_to_string", `false`, `"false"`, false},
		{"object_to_string", `null`, `""`, false},
		{"object_to_string", `"é<"`, `"é\u003c"`, false},
		// Substation keeps an array, and a string that holds one becomes it.
		{"object_to_string", `[1, "x"]`, `[1, "x"]`, c},
		{"object_to_string", `"[1,2]"`, `[1,2]`, c},
		// … and drops the quotes around JSON.
		{"object_to_string", `"\"5\""`, `"5"`, c},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			var cfg weir.Config
			require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(`{"type":%q,"settings":{"id":"conv","object":{"source_key":"a","target_key":"b"}}}`, tt.typ)), &cfg))
			in := `{"a":` + tt.in + `}`

			env := all.Env()
			tf, err := env.New(context.Background(), cfg)
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, `{"a":`+tt.in+`,"b":`+tt.want+`}`, string(out[0].Data()))
			var n int64
			if tt.coerced {
				n = 1
			}
			assert.Equal(t, n, tf.(interface{ Coercions() int64 }).Coercions())

			env.Strict = true
			tf, err = env.New(context.Background(), cfg)
			require.NoError(t, err)
			out, err = tf.Transform(context.Background(), weir.NewMessage([]byte(in)))
			if !tt.coerced {
				require.NoError(t, err)
				assert.Equal(t, `{"a":`+tt.in+`,"b":`+tt.want+`}`, string(out[0].Data()))
				return
			}
			assert.Nil(t, out)
			assert.ErrorIs(t, err, weir.ErrInvalidData)
			var ce *weir.CoercionError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, weir.CoercionError{Transform: tt.typ, ID: "conv", Field: "a", Value: tt.in, Target: ce.Target}, *ce)
			assert.NotEmpty(t, ce.Target)
		})
	}
}

func TestObjectConvertPassesUnchanged(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"object_to_boolean", "object_to_float", "object_to_integer", "object_to_string", "object_to_unsigned_integer"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			// A missing source.
			tf := newObjectTransform(t, fmt.Sprintf(`{"type":%q,"settings":{"object":{"source_key":"x","target_key":"b"}}}`, typ))
			out := runOne(t, tf, weir.NewMessage([]byte(`{"a":"1"}`)))
			assert.Equal(t, `{"a":"1"}`, string(out.Data()))

			// Neither key, as in Substation.
			tf = newObjectTransform(t, fmt.Sprintf(`{"type":%q}`, typ))
			out = runOne(t, tf, weir.NewMessage([]byte(`"1"`)))
			assert.Equal(t, `"1"`, string(out.Data()))
		})
	}
}

func TestObjectConvertMetadata(t *testing.T) {
	t.Parallel()
	tf, err := transform.NewObjectToInteger(transform.ObjectToIntegerConfig{
		Object: transform.ObjectSettings{SourceKey: "meta n", TargetKey: "meta n"},
	})
	require.NoError(t, err)
	msg := weir.NewMessage([]byte(`{"a":1}`)).SetMetadata([]byte(`{"n":"42"}`))
	out := runOne(t, tf, msg)
	assert.Equal(t, `{"a":1}`, string(out.Data()))
	assert.Equal(t, `{"n":42}`, string(out.Metadata()))
}

// Benchmarks: one per type, on a small event.

var benchObjectEvent = []byte(`{"event":{"id":"5b0b3d2e","kind":"alert","severity":"3"},"source":{"ip":"10.1.1.2","port":"44321"},"message":"login failed","success":"false"}`)

func benchObject(b *testing.B, config string) {
	tf := newObjectTransform(b, config)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchObjectEvent)))
	b.ResetTimer()
	for b.Loop() {
		out, err := tf.Transform(ctx, weir.NewMessage(benchObjectEvent))
		if err != nil {
			b.Fatal(err)
		}
		_ = out[0].Data() // include writing the result out
	}
}

func BenchmarkObjectCopy(b *testing.B) {
	benchObject(b, `{"type":"object_copy","settings":{"object":{"source_key":"source.ip","target_key":"related.ip"}}}`)
}

func BenchmarkObjectDelete(b *testing.B) {
	benchObject(b, `{"type":"object_delete","settings":{"object":{"source_key":"event.kind"}}}`)
}

func BenchmarkObjectInsert(b *testing.B) {
	benchObject(b, `{"type":"object_insert","settings":{"object":{"target_key":"event.module"},"value":"auth"}}`)
}

func BenchmarkObjectJQ(b *testing.B) {
	benchObject(b, `{"type":"object_jq","settings":{"filter":"{ip: .source.ip, sev: .event.severity}"}}`)
}

func BenchmarkObjectToBoolean(b *testing.B) {
	benchObject(b, `{"type":"object_to_boolean","settings":{"object":{"source_key":"success","target_key":"success"}}}`)
}

func BenchmarkObjectToFloat(b *testing.B) {
	benchObject(b, `{"type":"object_to_float","settings":{"object":{"source_key":"event.severity","target_key":"event.severity"}}}`)
}

func BenchmarkObjectToInteger(b *testing.B) {
	benchObject(b, `{"type":"object_to_integer","settings":{"object":{"source_key":"source.port","target_key":"source.port"}}}`)
}

func BenchmarkObjectToString(b *testing.B) {
	benchObject(b, `{"type":"object_to_string","settings":{"object":{"source_key":"event","target_key":"event_text"}}}`)
}

func BenchmarkObjectToUnsignedInteger(b *testing.B) {
	benchObject(b, `{"type":"object_to_unsigned_integer","settings":{"object":{"source_key":"source.port","target_key":"source.port"}}}`)
}
