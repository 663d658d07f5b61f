package transform

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
)

func TestArray(t *testing.T) {
	t.Parallel()
	const obj = `"object":{"source_key":"a","target_key":"a"}`
	cfg := func(typ, settings string) string {
		return `{"type":"` + typ + `","settings":{` + settings + `}}`
	}
	tests := []struct {
		name, config, in, want string
	}{
		// Substation v2 conformance vectors (byte for byte).
		{"join/data", cfg("array_join", `"separator":"."`), `["b","c","d"]`, `b.c.d`},
		{"join/object from", cfg("array_join", obj+`,"separator":"."`), `{"a":["b","c","d"]}`, `{"a":"b.c.d"}`},
		{"zip/data", cfg("array_zip", ``), `[["b","c"],[1,2]]`, `[["b",1],["c",2]]`},
		{"zip/object", cfg("array_zip", obj), `{"a":[["b","c"],[1,2]]}`, `{"a":[["b",1],["c",2]]}`},

		// array_join
		{"join/mixed", cfg("array_join", obj+`,"separator":", "`), `{"a":["x",1,1.50,true,null,{"k":"v"},"\u00e9"]}`,
			`{"a":"x, 1, 1.5, true, , {\"k\":\"v\"}, é"}`},
		{"join/no separator", cfg("array_join", ``), `["a","b"]`, `ab`},
		{"join/empty", cfg("array_join", obj+`,"separator":"."`), `{"a":[]}`, `{"a":""}`},
		{"join/result is JSON", cfg("array_join", obj+`,"separator":","`), `{"a":["[1","2]"]}`, `{"a":[1,2]}`},
		{"join/not an array", cfg("array_join", obj+`,"separator":"."`), `{"a":"b"}`, `{"a":"b"}`},
		{"join/missing", cfg("array_join", obj+`,"separator":"."`), `{"b":["c"]}`, `{"b":["c"]}`},
		{"join/data not an array", cfg("array_join", `"separator":"."`), `{"a":1}`, `{"a":1}`},

		// array_zip: re-encoded as Substation does.
		{"zip/ragged", cfg("array_zip", ``), `[[1,2,3],["a"],[]]`, `[[1,"a"],[2],[3]]`},
		{"zip/scalar and null", cfg("array_zip", ``), `[[1,2],"x",null]`, `[[1,"x"],[2]]`},
		{"zip/re-encoded", cfg("array_zip", obj), `{"a":[[{"z":1,"b":1.0}],["<&>"]]}`,
			`{"a":[[{"b":1,"z":1},"\u003c\u0026\u003e"]]}`},
		{"zip/empty data", cfg("array_zip", ``), `[]`, ``},
		{"zip/empty object", cfg("array_zip", obj), `{"a":[[],null]}`, `{"a":null}`},
		{"zip/not an array", cfg("array_zip", obj), `{"a":{"b":1}}`, `{"a":{"b":1}}`},

		// array_flatten
		{"flatten/one level", cfg("array_flatten", obj), `{"a":[1,[2,[3]],[],"x"]}`, `{"a":[1,2,[3],"x"]}`},
		{"flatten/deep", cfg("array_flatten", obj+`,"deep":true`), `{"a":[1,[2,[3,[[4]]]],[[]]]}`, `{"a":[1,2,3,4]}`},
		{"flatten/data", cfg("array_flatten", ``), `[[{"b":[1]}],[true,null]]`, `[{"b":[1]},true,null]`},
		{"flatten/empty", cfg("array_flatten", ``), `[]`, `[]`},
		{"flatten/only empties", cfg("array_flatten", ``), `[[],[]]`, `[]`},
		{"flatten/new target", cfg("array_flatten", `"object":{"source_key":"a","target_key":"b"}`),
			`{"a":[[1],[2]]}`, `{"a":[[1],[2]],"b":[1,2]}`},
		{"flatten/not an array", cfg("array_flatten", obj), `{"a":1}`, `{"a":1}`},

		// array_dedupe
		{"dedupe/strings", cfg("array_dedupe", obj), `{"a":["b","a","b","\u0061"]}`, `{"a":["b","a"]}`},
		{"dedupe/numbers", cfg("array_dedupe", obj),
			`{"a":[1,1.0,1e0,10e-1,0.1e1,-1,2,20e-1,0,-0,0.0,100,1e2]}`, `{"a":[1,-1,2,0,100]}`},
		{"dedupe/big integers", cfg("array_dedupe", ``),
			`[18446744073709551616,18446744073709551617,18446744073709551616,1.8446744073709551616e19]`,
			`[18446744073709551616,18446744073709551617]`},
		{"dedupe/types differ", cfg("array_dedupe", ``), `[1,"1",true,"true",null,"null",[1],{"1":1}]`,
			`[1,"1",true,"true",null,"null",[1],{"1":1}]`},
		{"dedupe/objects any order", cfg("array_dedupe", ``),
			`[{"a":1,"b":[1,2]},{"b":[1,2.0],"a":1},{"a":1,"b":[2,1]},{"a":1}]`,
			`[{"a":1,"b":[1,2]},{"a":1,"b":[2,1]},{"a":1}]`},
		{"dedupe/key and value not mixed", cfg("array_dedupe", ``), `[{"ab":"c"},{"a":"bc"},["a:b"],["a","b"]]`,
			`[{"ab":"c"},{"a":"bc"},["a:b"],["a","b"]]`},
		{"dedupe/kept as written", cfg("array_dedupe", ``), `[{"x": 1},{"x":1}, "\u00e9"]`, `[{"x": 1},"\u00e9"]`},
		{"dedupe/empty", cfg("array_dedupe", obj), `{"a":[]}`, `{"a":[]}`},
		{"dedupe/not an array", cfg("array_dedupe", obj), `{"a":"aa"}`, `{"a":"aa"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tc.config), tc.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tc.want, string(out[0].Data()))
		})
	}
}

// TestArrayFlattenMatchesGJSON checks array_flatten against the gjson
// modifier @flatten, which Substation's examples use.
func TestArrayFlattenMatchesGJSON(t *testing.T) {
	t.Parallel()
	inputs := []string{
		`[1,2,[3,4]]`, `[1,2,[3,4,[5,6]]]`, `[[],[[]],[[[]]]]`, `[{"a":[1]},[{"b":[2,[3]]}]]`,
		`["x",["y",["z",["w"]]],null]`, `[ 1 , [ 2 , 3 ] ]`,
	}
	for _, in := range inputs {
		for _, deep := range []bool{false, true} {
			tf, err := NewArrayFlatten(ArrayFlattenConfig{Deep: deep})
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(in)))
			require.NoError(t, err)
			path := "@flatten"
			if deep {
				path = `@flatten:{"deep":true}`
			}
			assert.JSONEq(t, gjson.Get(in, path).Raw, string(out[0].Data()), "%s deep=%t", in, deep)
		}
	}
}

func TestArrayZipError(t *testing.T) {
	t.Parallel()
	tf, err := NewArrayZip(ArrayZipConfig{})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`[[1e400]]`)))
	assert.Nil(t, out)
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	var te *Error
	assert.True(t, errors.As(err, &te))
}

func TestArrayControlAndConfig(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"array_join", "array_zip", "array_flatten", "array_dedupe"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			tf, err := New(context.Background(), weir.Config{Type: typ})
			require.NoError(t, err)
			ctrl := weir.NewControl()
			out, err := tf.Transform(context.Background(), ctrl)
			require.NoError(t, err)
			assert.Equal(t, []*weir.Message{ctrl}, out)

			_, err = New(context.Background(), strCfg(t, `{"type":"`+typ+`","settings":{"object":{"source_key":"a"}}}`))
			var ce *weir.ConfigError
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			assert.Equal(t, "object.target_key", ce.Field)
		})
	}
}

const arrBenchEvent = `{"tags":["auth","login","auth","mfa","login","sso"],"hosts":[["a","b"],["c",["d"]]],"cols":[["u1","u2","u3"],[10,20,30]]}`

func BenchmarkArrayJoin(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		strBench(b, strMust(NewArrayJoin(ArrayJoinConfig{Separator: ",",
			Object: ObjectSettings{SourceKey: "tags", TargetKey: "tag_list"}})), arrBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		strBench(b, strMust(NewArrayJoin(ArrayJoinConfig{Separator: "."})), `["www","example","com"]`)
	})
}

func BenchmarkArrayZip(b *testing.B) {
	strBench(b, strMust(NewArrayZip(ArrayZipConfig{
		Object: ObjectSettings{SourceKey: "cols", TargetKey: "rows"}})), arrBenchEvent)
}

func BenchmarkArrayFlatten(b *testing.B) {
	obj := ObjectSettings{SourceKey: "hosts", TargetKey: "hosts"}
	b.Run("one_level", func(b *testing.B) {
		strBench(b, strMust(NewArrayFlatten(ArrayFlattenConfig{Object: obj})), arrBenchEvent)
	})
	b.Run("deep", func(b *testing.B) {
		strBench(b, strMust(NewArrayFlatten(ArrayFlattenConfig{Deep: true, Object: obj})), arrBenchEvent)
	})
	// The gjson modifier through object_copy, for comparison.
	b.Run("gjson_modifier", func(b *testing.B) {
		strBench(b, strMust(NewObjectCopy(ObjectCopyConfig{
			Object: ObjectSettings{SourceKey: "hosts|@flatten", TargetKey: "hosts"}})), arrBenchEvent)
	})
}

func BenchmarkArrayDedupe(b *testing.B) {
	b.Run("strings", func(b *testing.B) {
		strBench(b, strMust(NewArrayDedupe(ArrayDedupeConfig{
			Object: ObjectSettings{SourceKey: "tags", TargetKey: "tags"}})), arrBenchEvent)
	})
	b.Run("objects", func(b *testing.B) {
		strBench(b, strMust(NewArrayDedupe(ArrayDedupeConfig{})),
			`[{"ip":"10.0.0.1","port":22},{"port":22,"ip":"10.0.0.1"},{"ip":"10.0.0.2","port":443}]`)
	})
}
