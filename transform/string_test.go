package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// strCfg builds a weir.Config from its JSON form.
func strCfg(t testing.TB, js string) weir.Config {
	t.Helper()
	var c weir.Config
	require.NoError(t, json.Unmarshal([]byte(js), &c))
	return c
}

// strRun builds cfg with New, sends one message with data (and metadata
// when meta is not empty) and returns the outputs.
func strRun(t *testing.T, cfg weir.Config, data, meta string) []*weir.Message {
	t.Helper()
	tf, err := New(context.Background(), cfg)
	require.NoError(t, err)
	msg := weir.NewMessage([]byte(data))
	if meta != "" {
		msg.SetMetadata([]byte(meta))
	}
	out, err := tf.Transform(context.Background(), msg)
	require.NoError(t, err)
	return out
}

// strFixedUUID returns a generator of the given UUIDs in turn.
func strFixedUUID(ids ...string) func() (string, error) {
	var mu sync.Mutex
	i := 0
	return func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		id := ids[i%len(ids)]
		i++
		return id, nil
	}
}

// TestStringConformance holds the Substation v2 conformance vectors of the
// string_* types (shared/conformance/substation-v2/transform/string_*.json);
// outputs must match byte for byte.
func TestStringConformance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, in, want string
	}{
		{"append/data", `{"type":"string_append","settings":{"suffix":"c"}}`, `ab`, `abc`},
		{"append/object", `{"type":"string_append","settings":{"object":{"source_key":"a","target_key":"a"},"suffix":"c"}}`,
			`{"a":"b"}`, `{"a":"bc"}`},
		{"append/object_dynamic_suffix", `{"type":"string_append","settings":{"object":{"source_key":"input","target_key":"output"},"suffix_key":"suffix"}}`,
			`{"input":"hello","suffix":"_world"}`, `{"input":"hello","suffix":"_world","output":"hello_world"}`},

		{"capture/data", `{"type":"string_capture","settings":{"pattern":"^([^@]*)@.*$"}}`, `b@c`, `b`},
		{"capture/data#01", `{"type":"string_capture","settings":{"count":3,"pattern":"(.{1})"}}`, `bcd`, `["b","c","d"]`},
		{"capture/data#02", `{"type":"string_capture","settings":{"count":1,"pattern":"(.{1})"}}`, `bcd`, `["b"]`},
		{"capture/data#03", `{"type":"string_capture","settings":{"pattern":"(?P<b>[a-zA-Z]+) (?P<d>[a-zA-Z]+)"}}`,
			`c e`, `{"b":"c","d":"e"}`},
		{"capture/object", `{"type":"string_capture","settings":{"object":{"source_key":"a","target_key":"a"},"pattern":"^([^@]*)@.*$"}}`,
			`{"a":"b@c"}`, `{"a":"b"}`},
		{"capture/object#01", `{"type":"string_capture","settings":{"count":3,"object":{"source_key":"a","target_key":"a"},"pattern":"(.{1})"}}`,
			`{"a":"bcd"}`, `{"a":["b","c","d"]}`},
		{"capture/object#02", `{"type":"string_capture","settings":{"count":1,"object":{"source_key":"a","target_key":"a"},"pattern":"(.{1})"}}`,
			`{"a":"bcd"}`, `{"a":["b"]}`},
		{"capture/object#03", `{"type":"string_capture","settings":{"object":{"source_key":"a","target_key":"a"},"pattern":"(?P<b>[a-zA-Z]+) (?P<d>[a-zA-Z]+)"}}`,
			`{"a":"c e"}`, `{"a":{"b":"c","d":"e"}}`},

		{"replace/data replace", `{"type":"string_replace","settings":{"pattern":"c","replacement":"b"}}`, `abc`, `abb`},
		{"replace/data remove", `{"type":"string_replace","settings":{"pattern":"c","replacement":""}}`, `abc`, `ab`},
		{"replace/object replace", `{"type":"string_replace","settings":{"object":{"source_key":"a","target_key":"a"},"pattern":"c","replacement":"b"}}`,
			`{"a":"bc"}`, `{"a":"bb"}`},
		{"replace/object remove", `{"type":"string_replace","settings":{"object":{"source_key":"a","target_key":"a"},"pattern":"c"}}`,
			`{"a":"bc"}`, `{"a":"b"}`},

		{"split/data", `{"type":"string_split","settings":{"separator":"."}}`, `b.c.d`, `["b","c","d"]`},
		{"split/object", `{"type":"string_split","settings":{"object":{"source_key":"a","target_key":"a"},"separator":"."}}`,
			`{"a":"b.c.d"}`, `{"a":["b","c","d"]}`},

		{"to_lower/data", `{"type":"string_to_lower","settings":{}}`, `B`, `b`},
		{"to_lower/object", `{"type":"string_to_lower","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":"B"}`, `{"a":"b"}`},
		{"to_snake/data", `{"type":"string_to_snake","settings":{}}`, `bC`, `b_c`},
		{"to_snake/object", `{"type":"string_to_snake","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":"bC"}`, `{"a":"b_c"}`}, // Substation's vector has a stray ")": invalid JSON is not written into
		{"to_upper/data", `{"type":"string_to_upper","settings":{}}`, `b`, `B`},
		{"to_upper/object", `{"type":"string_to_upper","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":"b"}`, `{"a":"B"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tt.config), tt.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
		})
	}
}

// strAll returns one transformer of every string type, each reading "a"
// and writing "b" (string_uuid writes "b" only).
func strAll(t *testing.T) map[string]Transformer {
	t.Helper()
	obj := ObjectSettings{SourceKey: "a", TargetKey: "b"}
	all := map[string]Transformer{}
	add := func(name string, tf Transformer, err error) {
		require.NoError(t, err, name)
		all[name] = tf
	}
	tf1, err := NewStringAppend(StringAppendConfig{Suffix: "!", Object: obj})
	add("string_append", tf1, err)
	tf2, err := NewStringCapture(StringCaptureConfig{Pattern: "(x+)", Object: obj})
	add("string_capture", tf2, err)
	tf3, err := NewStringReplace(StringReplaceConfig{Pattern: "x", Replacement: "y", Object: obj})
	add("string_replace", tf3, err)
	tf4, err := NewStringSplit(StringSplitConfig{Separator: ",", Object: obj})
	add("string_split", tf4, err)
	tf5, err := NewStringToLower(StringToLowerConfig{Object: obj})
	add("string_to_lower", tf5, err)
	tf6, err := NewStringToUpper(StringToUpperConfig{Object: obj})
	add("string_to_upper", tf6, err)
	tf7, err := NewStringToSnake(StringToSnakeConfig{Object: obj})
	add("string_to_snake", tf7, err)
	tf8, err := NewStringUUID(StringUUIDConfig{Object: ObjectSettings{TargetKey: "b"}, NewUUID: strFixedUUID("u")})
	add("string_uuid", tf8, err)
	return all
}

func TestStringRegistered(t *testing.T) {
	t.Parallel()
	types := Builtins().Types()
	for name := range strAll(t) {
		assert.Contains(t, types, name)
	}
}

func TestStringControlPassesThrough(t *testing.T) {
	t.Parallel()
	for name, tf := range strAll(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctrl := weir.NewControl()
			out, err := tf.Transform(context.Background(), ctrl)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Same(t, ctrl, out[0])
			assert.True(t, out[0].IsControl())
		})
	}
}

func TestStringMissingSourceUnchanged(t *testing.T) {
	t.Parallel()
	for name, tf := range strAll(t) {
		if name == "string_uuid" { // reads nothing
			continue
		}
		for _, data := range []string{`{"c":"X"}`, `not json`, ``, `[1,2]`} {
			t.Run(name+"/"+data, func(t *testing.T) {
				t.Parallel()
				msg := weir.NewMessage([]byte(data)).SetMetadata([]byte(`{"m":1}`))
				out, err := tf.Transform(context.Background(), msg)
				require.NoError(t, err)
				require.Len(t, out, 1)
				assert.Same(t, msg, out[0])
				assert.Equal(t, data, string(out[0].Data()))
				assert.Equal(t, `{"m":1}`, string(out[0].Metadata()))
			})
		}
	}
}

// TestStringValues covers every type on values of every JSON kind. Values
// that are not strings are used as their JSON text, as in Substation; a
// result that is a JSON object or array is written as JSON.
func TestStringValues(t *testing.T) {
	t.Parallel()
	obj := `"object":{"source_key":"a","target_key":"b"}`
	tests := []struct {
		name, settings, in, want string
	}{
		{"string_to_upper", obj, `{"a":12}`, `{"a":12,"b":"12"}`},
		{"string_to_upper", obj, `{"a":true}`, `{"a":true,"b":"TRUE"}`},
		{"string_to_upper", obj, `{"a":null}`, `{"a":null,"b":""}`},
		{"string_to_upper", obj, `{"a":{"k":"v"}}`, `{"a":{"k":"v"},"b":{"K":"V"}}`},
		{"string_to_upper", obj, `{"a":["x"]}`, `{"a":["x"],"b":["X"]}`},
		{"string_to_upper", obj, `{"a":"ß\u00e9"}`, `{"a":"ß\u00e9","b":"ßÉ"}`},
		{"string_to_lower", obj, `{"a":"ÀB\"C"}`, `{"a":"ÀB\"C","b":"àb\"c"}`},
		{"string_to_lower", obj, `{"a":1.50}`, `{"a":1.50,"b":"1.5"}`},
		{"string_to_snake", obj, `{"a":["JSONData"]}`, `{"a":["JSONData"],"b":["json_data"]}`},
		{"string_to_snake", obj, `{"a":"  HTTPServer2Go  "}`, `{"a":"  HTTPServer2Go  ","b":"http_server_2_go"}`},
		{"string_append", obj + `,"suffix":"]"`, `{"a":"[1"}`, `{"a":"[1","b":[1]}`},
		{"string_append", obj + `,"suffix":"x"`, `{"a":7}`, `{"a":7,"b":"7x"}`},
		{"string_replace", obj + `,"pattern":"(\\d)","replacement":"<$1>"`, `{"a":42}`, `{"a":42,"b":"<4><2>"}`},
		{"string_replace", obj + `,"pattern":"(?P<d>\\d)","replacement":"${d}${d}"`, `{"a":"a1"}`, `{"a":"a1","b":"a11"}`},
		{"string_split", obj + `,"separator":","`, `{"a":"x,y"}`, `{"a":"x,y","b":["x","y"]}`},
		{"string_split", obj + `,"separator":","`, `{"a":"x"}`, `{"a":"x","b":["x"]}`},
		{"string_split", obj + `,"separator":","`, `{"a":""}`, `{"a":"","b":[""]}`},
		// []string is JSON-encoded with HTML escaping, as Substation's SetValue does.
		{"string_split", obj + `,"separator":","`, `{"a":"<&>,{}"}`, `{"a":"<&>,{}","b":["\u003c\u0026\u003e","{}"]}`},
		{"string_split", obj + `,"separator":","`, `{"a":[1,2]}`, `{"a":[1,2],"b":["[1","2]"]}`},
		{"string_capture", obj + `,"pattern":"(\\d+)"`, `{"a":123}`, `{"a":123,"b":"123"}`},
		{"string_capture", obj + `,"pattern":"(\\d+)"`, `{"a":"none"}`, `{"a":"none","b":""}`},
		{"string_capture", obj + `,"pattern":"\\d+"`, `{"a":"12"}`, `{"a":"12","b":""}`},
		{"string_capture", obj + `,"pattern":"x(\\{.*\\})"`, `{"a":"x{\"k\":1}"}`, `{"a":"x{\"k\":1}","b":{"k":1}}`},
		{"string_capture", obj + `,"pattern":"(\\d)","count":-1`, `{"a":"1a2b3"}`, `{"a":"1a2b3","b":["1","2","3"]}`},
		{"string_capture", obj + `,"pattern":"(\\d)","count":2`, `{"a":"1a2b3"}`, `{"a":"1a2b3","b":["1","2"]}`},
		{"string_capture", obj + `,"pattern":"(\\d)","count":2`, `{"a":"none"}`, `{"a":"none","b":null}`},
		{"string_capture", obj + `,"pattern":"(a)(b)","count":2`, `{"a":"abab"}`, `{"a":"abab","b":["b","b"]}`},
		{"string_capture", obj + `,"pattern":"(?P<x>\\d)(?P<y>\\d)?"`, `{"a":"1"}`, `{"a":"1","b":{"x":"1","y":""}}`},
		{"string_capture", obj + `,"pattern":"(?P<x>\\d)"`, `{"a":"z"}`, `{"a":"z"}`},
		{"string_capture", obj + `,"pattern":"(?P<x>\\d)"`, `{"a":"1","b":{"k":true}}`, `{"a":"1","b":{"k":true,"x":"1"}}`},
		// Unnamed groups are left out when the pattern has named ones.
		{"string_capture", obj + `,"pattern":"(\\w)-(?P<x>\\d)"`, `{"a":"q-1"}`, `{"a":"q-1","b":{"x":"1"}}`},
		// Groups sharing a name write one key: the first place, the last value.
		{"string_capture", obj + `,"pattern":"(?P<x>\\d)(?P<y>\\d)(?P<x>\\d)"`, `{"a":"123"}`, `{"a":"123","b":{"x":"3","y":"2"}}`},
		{"string_capture", obj + `,"pattern":"(?<x>\\d)"`, `{"a":"1"}`, `{"a":"1","b":{"x":"1"}}`},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s#%d", tt.name, i), func(t *testing.T) {
			t.Parallel()
			cfg := strCfg(t, `{"type":"`+tt.name+`","settings":{`+tt.settings+`}}`)
			out := strRun(t, cfg, tt.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
		})
	}
}

// TestStringWholeData covers the types on the whole data, which may be any
// bytes.
func TestStringWholeData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, settings, in, want string
	}{
		{"string_to_upper", ``, "a\xffb", "A\uFFFDB"}, // bytes.ToUpper maps invalid UTF-8 to U+FFFD
		{"string_to_lower", ``, `{"A":"B"}`, `{"a":"b"}`},
		{"string_to_lower", ``, ``, ``},
		{"string_to_snake", ``, "\t FooBar-baz.qux \n", `foo_bar_baz_qux`},
		{"string_to_snake", ``, `ÄpfelBirnen`, `Äpfel_birnen`},
		{"string_append", `"suffix":"\n"`, `{}`, "{}\n"},
		{"string_replace", `"pattern":"\\s+","replacement":" "`, "a \t\n b", `a b`},
		{"string_replace", `"pattern":"(\\w+)@(\\w+)","replacement":"$2 at $1"`, `me@host`, `host at me`},
		{"string_split", `"separator":"\n"`, "a\n{\"k\":1}\n[2]\n", `["a",{"k":1},[2],""]`},
		{"string_split", `"separator":"::"`, "x", `["x"]`},
		{"string_split", `"separator":"::"`, "", `[""]`},
		{"string_split", `"separator":","`, "\xff\xfe,<>", `["//4=","<>"]`},
		{"string_capture", `"pattern":"(\\d+)"`, `no digits`, ``},
		{"string_capture", `"pattern":"\\d+"`, `12`, ``},
		{"string_capture", `"pattern":"(\\d)(\\d)"`, `12`, `2`},
		{"string_capture", `"pattern":"(\\d)","count":5`, `x`, ``},
		{"string_capture", `"pattern":"\\d","count":5`, `12`, `["",""]`},
		{"string_capture", `"pattern":"(.)","count":-1`, "\xff{", `["/w==","{"]`},
		{"string_capture", `"pattern":"(\\[.*?\\]|\\w)","count":3`, `[1]x<`, `[[1],"x"]`},
		{"string_capture", `"pattern":"(?P<user>\\w+)@(?P<host>\\w+)"`, `mail me@host now`, `{"user":"me","host":"host"}`},
		{"string_capture", `"pattern":"(?P<user>\\w+)@(?P<host>\\w+)"`, `nobody`, ``},
		{"string_capture", `"pattern":"(?P<obj>\\{.*\\})"`, `x{"k":[1]}`, `{"obj":{"k":[1]}}`},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s#%d", tt.name, i), func(t *testing.T) {
			t.Parallel()
			cfg := strCfg(t, `{"type":"`+tt.name+`","settings":{`+tt.settings+`}}`)
			out := strRun(t, cfg, tt.in, `{"m":1}`)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
			assert.Equal(t, `{"m":1}`, string(out[0].Metadata()), "metadata is kept")
		})
	}
}

func TestStringMetadataPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, settings, data, meta, wantData, wantMeta string
	}{
		{"meta to meta", `"object":{"source_key":"meta a","target_key":"meta b"}`,
			`{"a":"data"}`, `{"a":"Meta"}`, `{"a":"data"}`, `{"a":"Meta","b":"META"}`},
		{"meta to data", `"object":{"source_key":"meta a","target_key":"a"}`,
			`{"a":"data"}`, `{"a":"Meta"}`, `{"a":"META"}`, `{"a":"Meta"}`},
		{"data to meta", `"object":{"source_key":"a","target_key":"meta x"}`,
			`{"a":"data"}`, ``, `{"a":"data"}`, `{"x":"DATA"}`},
		{"missing meta", `"object":{"source_key":"meta z","target_key":"meta b"}`,
			`{"a":"data"}`, `{"a":"Meta"}`, `{"a":"data"}`, `{"a":"Meta"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := strCfg(t, `{"type":"string_to_upper","settings":{`+tt.settings+`}}`)
			out := strRun(t, cfg, tt.data, tt.meta)
			require.Len(t, out, 1)
			assert.Equal(t, tt.wantData, string(out[0].Data()))
			assert.Equal(t, tt.wantMeta, string(out[0].Metadata()))
		})
	}

	t.Run("suffix_key in metadata", func(t *testing.T) {
		t.Parallel()
		cfg := strCfg(t, `{"type":"string_append","settings":{"object":{"source_key":"a","target_key":"a"},"suffix_key":"meta s"}}`)
		out := strRun(t, cfg, `{"a":"x"}`, `{"s":"-y"}`)
		assert.Equal(t, `{"a":"x-y"}`, string(out[0].Data()))
		out = strRun(t, cfg, `{"a":"x"}`, `{}`)
		assert.Equal(t, `{"a":"x"}`, string(out[0].Data()), "missing suffix_key value: unchanged")
	})

	t.Run("named capture into metadata", func(t *testing.T) {
		t.Parallel()
		cfg := strCfg(t, `{"type":"string_capture","settings":{"object":{"source_key":"a","target_key":"meta c"},"pattern":"(?P<k>\\w+)=(?P<v>\\w+)"}}`)
		out := strRun(t, cfg, `{"a":"x=1"}`, ``)
		assert.Equal(t, `{"c":{"k":"x","v":"1"}}`, string(out[0].Metadata()))
	})
}

func TestStringConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, field string
	}{
		{"bad pattern capture", `{"type":"string_capture","settings":{"pattern":"("}}`, "pattern"},
		{"bad pattern replace", `{"type":"string_replace","settings":{"pattern":"a**"}}`, "pattern"},
		{"no pattern capture", `{"type":"string_capture"}`, "pattern"},
		{"no pattern replace", `{"type":"string_replace","settings":{"replacement":"x"}}`, "pattern"},
		{"no separator", `{"type":"string_split","settings":{}}`, "separator"},
		{"no suffix", `{"type":"string_append"}`, "suffix"},
		{"suffix_key on data", `{"type":"string_append","settings":{"suffix_key":"s"}}`, "suffix_key"},
		{"source without target", `{"type":"string_to_lower","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"target without source", `{"type":"string_to_snake","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"target without source split", `{"type":"string_split","settings":{"separator":",","object":{"target_key":"a"}}}`, "object.source_key"},
		{"unknown setting", `{"type":"string_to_upper","settings":{"case":"upper"}}`, "case"},
		{"count not a number", `{"type":"string_capture","settings":{"pattern":"(a)","count":"2"}}`, "count"},
		{"count fraction", `{"type":"string_capture","settings":{"pattern":"(a)","count":1.5}}`, "count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := strCfg(t, tt.config)
			_, err := New(context.Background(), cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, cfg.Type, ce.Type)
		})
	}

	t.Run("typed constructor names its type", func(t *testing.T) {
		t.Parallel()
		_, err := NewStringReplace(StringReplaceConfig{Pattern: "[z-a]"})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "string_replace", ce.Type)
		assert.Equal(t, "pattern", ce.Field)
	})
}

func TestStringDataErrors(t *testing.T) {
	t.Parallel()
	// "b" is an array, so "b.x" cannot be written.
	cfg := strCfg(t, `{"type":"string_to_upper","settings":{"id":"up1","object":{"source_key":"a","target_key":"b.x"}}}`)
	tf, err := New(context.Background(), cfg)
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"a":"v","b":[1]}`)))
	assert.Nil(t, out)
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "string_to_upper", te.Type)
	assert.Equal(t, "up1", te.ID)
}

func TestStringUUID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("default is random v4", func(t *testing.T) {
		t.Parallel()
		tf, err := New(ctx, strCfg(t, `{"type":"string_uuid","settings":{"object":{"target_key":"id"}}}`))
		require.NoError(t, err)
		seen := map[string]bool{}
		for range 20 {
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
			require.NoError(t, err)
			s := out[0].Get("id").String()
			u, err := uuid.Parse(s)
			require.NoError(t, err)
			assert.Equal(t, uuid.Version(4), u.Version())
			assert.Len(t, s, 36)
			assert.False(t, seen[s])
			seen[s] = true
		}
	})

	t.Run("injected", func(t *testing.T) {
		t.Parallel()
		const id = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
		tf, err := NewStringUUID(StringUUIDConfig{Object: ObjectSettings{TargetKey: "meta u"}, NewUUID: strFixedUUID(id)})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
		require.NoError(t, err)
		assert.Equal(t, `{"a":1}`, string(out[0].Data()))
		assert.Equal(t, `{"u":"`+id+`"}`, string(out[0].Metadata()))
	})

	t.Run("whole data", func(t *testing.T) {
		t.Parallel()
		tf, err := NewStringUUID(StringUUIDConfig{NewUUID: strFixedUUID("x-1")})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`anything`)))
		require.NoError(t, err)
		assert.Equal(t, `x-1`, string(out[0].Data()))
	})

	t.Run("generator fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("no entropy")
		tf, err := NewStringUUID(StringUUIDConfig{ID: "u", NewUUID: func() (string, error) { return "", boom }})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
		assert.ErrorIs(t, err, boom)
		var te *Error
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "u", te.ID)
	})
}

// TestStringSnake pins the snake_case rules (those of iancoleman/strcase
// v0.3.0 ToSnake, which Substation uses).
func TestStringSnake(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                   "",
		"bC":                 "b_c",
		"JSONData":           "json_data",
		"v2Beta":             "v_2_beta",
		"AnyKind of_string":  "any_kind_of_string",
		"  HTTPServer2Go  ":  "http_server_2_go",
		"a.b-c d":            "a_b_c_d",
		"already_snake":      "already_snake",
		"ID":                 "id",
		"userID":             "user_id",
		"ABc":                "a_bc",
		"A1":                 "a_1",
		"1a":                 "1_a",
		"a1b2":               "a_1_b_2",
		"a__b":               "a__b",
		"aB_":                "a_b_",
		"x/Y":                "x/y",
		"numbers123AndWords": "numbers_123_and_words",
		"ÉtéAB":              "Étéab", // bytes of é are not letters to it
		"ÉtéaB":              "Étéa_b",
		"\tlead\n":           "lead",
	}
	for in, want := range tests {
		assert.Equal(t, want, string(strAppendSnake(nil, strings.TrimSpace(in))), "%q", in)
		assert.Equal(t, want, string(strAppendSnake(nil, []byte(strings.TrimSpace(in)))), "%q as bytes", in)
	}
}

// TestStringAppendElem checks that arrays built by hand encode elements as
// weir.Message.Set encodes them (and so as Substation does).
func TestStringAppendElem(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "a", "\x7f", "\x1f", `a\b`, `"q"`, `{"k":1}`, `[1,2]`, `{bad`, `[`, "\xff\x00", "é<>&", "\u2028", "tab\there", "12", "null"} {
		m := weir.NewMessage(nil)
		require.NoError(t, m.Set("k.-1", []byte(in)))
		require.NoError(t, m.Set("k.-1", []byte(in)))
		got := strAppendElem(append(strAppendElem([]byte{'['}, []byte(in)), ','), []byte(in))
		got = append(got, ']')
		assert.Equal(t, m.Get("k").Raw(), string(got), "%q", in)
	}
}

// TestStringConcurrent runs each transformer from many goroutines at once
// (run with -race).
func TestStringConcurrent(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"string_append":   `{"a":"xXx,y","b":"xXx,y!"}`,
		"string_capture":  `{"a":"xXx,y","b":"x"}`,
		"string_replace":  `{"a":"xXx,y","b":"yXy,y"}`,
		"string_split":    `{"a":"xXx,y","b":["xXx","y"]}`,
		"string_to_lower": `{"a":"xXx,y","b":"xxx,y"}`,
		"string_to_upper": `{"a":"xXx,y","b":"XXX,Y"}`,
		"string_to_snake": `{"a":"xXx,y","b":"x_xx,y"}`,
		"string_uuid":     `{"a":"xXx,y","b":"u"}`,
	}
	for name, tf := range strAll(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var wg sync.WaitGroup
			errs := make(chan string, 64)
			for range 16 {
				wg.Go(func() {
					for range 50 {
						out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"a":"xXx,y"}`)))
						if err != nil {
							errs <- err.Error()
							return
						}
						if got := string(out[0].Data()); got != want[name] {
							errs <- got
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
}

// TestStringDoesNotWriteInput checks that whole-data transforms leave the
// bytes they were given alone (a clone shares them).
func TestStringDoesNotWriteInput(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{
		`{"type":"string_append","settings":{"suffix":"!!"}}`,
		`{"type":"string_capture","settings":{"pattern":"(a)"}}`,
		`{"type":"string_replace","settings":{"pattern":"a","replacement":"b"}}`,
		`{"type":"string_to_upper"}`,
		`{"type":"string_to_snake"}`,
	} {
		tf, err := New(context.Background(), strCfg(t, cfg))
		require.NoError(t, err)
		in := make([]byte, 0, 64)
		in = append(in, "abc aBc"...)
		msg := weir.NewMessage(in)
		clone := msg.Clone()
		out, err := tf.Transform(context.Background(), msg)
		require.NoError(t, err)
		// Appending to the result must not reach the shared bytes either.
		_ = append(out[0].Data(), "zzzz"...)
		assert.Equal(t, "abc aBc", string(clone.Data()), cfg)
		assert.Equal(t, "abc aBc", string(in[:7]), cfg)
	}
}

func strBench(b *testing.B, tf Transformer, data string) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(data)))
		if err != nil {
			b.Fatal(err)
		}
		_ = out[0].Data() // include writing the result
	}
}

const strBenchEvent = `{"user":{"name":"Alice.Example","email":"alice@example.com"},"event":{"action":"UserLoggedIn","path":"/a/b/c"}}`

func strMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkStringAppend(b *testing.B) {
	strBench(b, strMust(NewStringAppend(StringAppendConfig{Suffix: "-x",
		Object: ObjectSettings{SourceKey: "user.name", TargetKey: "user.name"}})), strBenchEvent)
}

func BenchmarkStringCapture(b *testing.B) {
	obj := ObjectSettings{SourceKey: "user.email", TargetKey: "user.parts"}
	b.Run("single", func(b *testing.B) {
		strBench(b, strMust(NewStringCapture(StringCaptureConfig{Pattern: `^([^@]*)@`, Object: obj})), strBenchEvent)
	})
	b.Run("named", func(b *testing.B) {
		strBench(b, strMust(NewStringCapture(StringCaptureConfig{Pattern: `^(?P<local>[^@]*)@(?P<domain>.*)$`, Object: obj})), strBenchEvent)
	})
	b.Run("count", func(b *testing.B) {
		strBench(b, strMust(NewStringCapture(StringCaptureConfig{Pattern: `(\w+)`, Count: 10, Object: obj})), strBenchEvent)
	})
	b.Run("data/count", func(b *testing.B) {
		strBench(b, strMust(NewStringCapture(StringCaptureConfig{Pattern: `"(\w+)"`, Count: -1})), strBenchEvent)
	})
	b.Run("data/named", func(b *testing.B) {
		strBench(b, strMust(NewStringCapture(StringCaptureConfig{Pattern: `"email":"(?P<local>[^@]*)@(?P<domain>[^"]*)"`})), strBenchEvent)
	})
}

func BenchmarkStringReplace(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		strBench(b, strMust(NewStringReplace(StringReplaceConfig{Pattern: `/`, Replacement: `\`,
			Object: ObjectSettings{SourceKey: "event.path", TargetKey: "event.path"}})), strBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		strBench(b, strMust(NewStringReplace(StringReplaceConfig{Pattern: `alice`, Replacement: `bob`})), strBenchEvent)
	})
}

func BenchmarkStringSplit(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		strBench(b, strMust(NewStringSplit(StringSplitConfig{Separator: "/",
			Object: ObjectSettings{SourceKey: "event.path", TargetKey: "event.parts"}})), strBenchEvent)
	})
	const lines = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight"
	b.Run("data", func(b *testing.B) {
		strBench(b, strMust(NewStringSplit(StringSplitConfig{Separator: "\n"})), lines)
	})
	// The naive way, for comparison: append each element with Set.
	b.Run("data/naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			msg := weir.NewMessage([]byte(lines))
			tmp := weir.NewMessage(nil)
			for _, e := range strings.Split(string(msg.Data()), "\n") {
				if err := tmp.Set("k.-1", e); err != nil {
					b.Fatal(err)
				}
			}
			msg.SetData([]byte(tmp.Get("k").Raw()))
			_ = msg.Data()
		}
	})
}

func BenchmarkStringToLower(b *testing.B) {
	strBench(b, strMust(NewStringToLower(StringToLowerConfig{
		Object: ObjectSettings{SourceKey: "user.name", TargetKey: "user.name"}})), strBenchEvent)
}

func BenchmarkStringToUpper(b *testing.B) {
	strBench(b, strMust(NewStringToUpper(StringToUpperConfig{
		Object: ObjectSettings{SourceKey: "user.name", TargetKey: "user.name"}})), strBenchEvent)
}

func BenchmarkStringToSnake(b *testing.B) {
	strBench(b, strMust(NewStringToSnake(StringToSnakeConfig{
		Object: ObjectSettings{SourceKey: "event.action", TargetKey: "event.action"}})), strBenchEvent)
}

func BenchmarkStringUUID(b *testing.B) {
	strBench(b, strMust(NewStringUUID(StringUUIDConfig{Object: ObjectSettings{TargetKey: "event.id"}})), strBenchEvent)
}

// FuzzStringReplaceLiteral checks the literal fast path of string_replace
// against the regular expression it stands for.
func FuzzStringReplaceLiteral(f *testing.F) {
	for _, seed := range []struct{ pattern, s, repl string }{
		{`^TLSv`, "TLSv1.2", ""}, {`\.amazonaws\.com$`, "s3.amazonaws.com", ""},
		{`aa`, "aaaaa", "b"}, {`(?i)abc`, "ABC", "x"}, {`a$`, "a\na", "-"}, {"é", "\xff\xc3\xa9", "e"},
		{`^`, "abc", "x"}, {`x|y`, "xyz", "-"}, {`\x{FFFD}`, "\xff", "?"},
	} {
		f.Add(seed.pattern, seed.s, seed.repl)
	}
	f.Fuzz(func(t *testing.T, pattern, s, repl string) {
		re, err := regexp.Compile(pattern)
		if err != nil || strings.Contains(repl, "$") {
			return
		}
		lit, ok := strLiteralOf(pattern)
		if !ok {
			return
		}
		require.Equal(t, re.ReplaceAllString(s, repl), lit.replaceAll(s, repl), "pattern %q on %q", pattern, s)
	})
}
