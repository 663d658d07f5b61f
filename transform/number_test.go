package transform

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	const obj = `"object":{"source_key":"a","target_key":"a"}`
	cfg := func(typ, settings string) string {
		return `{"type":"` + typ + `","settings":{` + settings + `}}`
	}
	tests := []struct {
		name, config, in, want string
	}{
		// Substation v2 conformance vectors (byte for byte).
		{"max/data", cfg("number_maximum", `"value":1`), `0`, `1`},
		{"max/data#01", cfg("number_maximum", `"value":-1`), `0`, `0`},
		{"max/data#02", cfg("number_maximum", `"value":-1.1`), `0.1`, `0.1`},
		{"max/object", cfg("number_maximum", obj+`,"value":1`), `{"a":0}`, `{"a":1}`},
		{"max/object#01", cfg("number_maximum", obj+`,"value":-1`), `{"a":0}`, `{"a":0}`},
		{"max/object#02", cfg("number_maximum", obj+`,"value":-1.1`), `{"a":0.1}`, `{"a":0.1}`},
		{"min/data", cfg("number_minimum", `"value":1`), `0`, `0`},
		{"min/data#01", cfg("number_minimum", `"value":-1`), `0`, `-1`},
		{"min/data#02", cfg("number_minimum", `"value":-1.1`), `0.1`, `-1.1`},
		{"min/object", cfg("number_minimum", obj+`,"value":1`), `{"a":0}`, `{"a":0}`},
		{"min/object#01", cfg("number_minimum", obj+`,"value":-1`), `{"a":0}`, `{"a":-1}`},
		{"min/object#02", cfg("number_minimum", obj+`,"value":-1.1`), `{"a":0.1}`, `{"a":-1.1}`},
		{"add/data", cfg("number_math_addition", ``), `[6,2]`, `8`},
		{"add/data#01", cfg("number_math_addition", ``), `[0.123456789,10]`, `10.123456789`},
		{"add/object", cfg("number_math_addition", obj), `{"a":[6,2]}`, `{"a":8}`},
		{"add/object#01", cfg("number_math_addition", obj), `{"a":[0.123456789,10]}`, `{"a":10.123456789}`},
		{"sub/data", cfg("number_math_subtraction", ``), `[6,2]`, `4`},
		{"sub/data#01", cfg("number_math_subtraction", ``), `[0.123456789,10]`, `-9.876543211`},
		{"sub/object", cfg("number_math_subtraction", obj), `{"a":[6,2]}`, `{"a":4}`},
		{"sub/object#01", cfg("number_math_subtraction", obj), `{"a":[0.123456789,10]}`, `{"a":-9.876543211}`},
		{"mul/data", cfg("number_math_multiplication", ``), `[2,3]`, `6`},
		{"mul/data#01", cfg("number_math_multiplication", ``), `[0.123456789,10]`, `1.23456789`},
		{"mul/object", cfg("number_math_multiplication", obj), `{"a":[2,3]}`, `{"a":6}`},
		{"mul/object#01", cfg("number_math_multiplication", obj), `{"a":[0.123456789,10]}`, `{"a":1.23456789}`},
		{"div/data", cfg("number_math_division", ``), `[6,2]`, `3`},
		{"div/data#01", cfg("number_math_division", ``), `[0.123456789,10]`, `0.0123456789`},
		{"div/object", cfg("number_math_division", obj), `{"a":[6,2]}`, `{"a":3}`},
		{"div/object#01", cfg("number_math_division", obj), `{"a":[0.123456789,10]}`, `{"a":0.0123456789}`},

		// Reduction is left to right; values are read as gjson reads
		// numbers.
		{"sub/left to right", cfg("number_math_subtraction", ``), `[10,1,2,3]`, `4`},
		{"div/left to right", cfg("number_math_division", ``), `[100,5,2]`, `10`},
		{"add/strings", cfg("number_math_addition", ``), `["1.5","2",true,null,{"x":1}]`, `4.5`},
		{"add/single", cfg("number_math_addition", obj), `{"a":[7]}`, `{"a":7}`},
		{"add/empty", cfg("number_math_addition", obj), `{"a":[]}`, `{"a":0}`},
		{"mul/empty", cfg("number_math_multiplication", ``), `[]`, `0`},
		{"add/no exponent", cfg("number_math_multiplication", ``), `[1e20,10]`, `1000000000000000000000`},
		{"add/tiny", cfg("number_math_division", ``), `[1,1e7]`, `0.0000001`},
		{"add/new target", cfg("number_math_addition", `"object":{"source_key":"a","target_key":"sum"}`),
			`{"a":[1,2]}`, `{"a":[1,2],"sum":3}`},
		{"add/not an array", cfg("number_math_addition", obj), `{"a":5}`, `{"a":5}`},
		{"add/data not an array", cfg("number_math_addition", ``), `5`, `5`},
		{"add/data invalid JSON", cfg("number_math_addition", ``), `[1,2`, `[1,2`},
		{"add/missing", cfg("number_math_addition", obj), `{"b":[1]}`, `{"b":[1]}`},
		{"max/missing", cfg("number_maximum", obj+`,"value":1`), `{"b":0}`, `{"b":0}`},
		{"max/string", cfg("number_maximum", obj+`,"value":1`), `{"a":"7.5"}`, `{"a":7.5}`},
		{"max/not a number", cfg("number_maximum", obj+`,"value":1`), `{"a":"x"}`, `{"a":1}`},
		{"max/data not a number", cfg("number_maximum", `"value":-2`), `x`, `0`},
		{"max/data object", cfg("number_maximum", `"value":-2`), `{"a":5}`, `0`},
		{"max/default value", cfg("number_maximum", ``), `-3`, `0`},
		{"min/default value", cfg("number_minimum", ``), `3`, `0`},
		{"min/large", cfg("number_minimum", `"value":1e300`), `2e21`, `2000000000000000000000`},
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

// TestNumberErrors pins the results that are not finite, and values that
// are not numbers: by default what Substation writes (on the data) or null
// (at a key, where Substation's words are not JSON), counted as a
// coercion; in strict mode an error.
func TestNumberErrors(t *testing.T) {
	t.Parallel()
	const obj = `"object":{"source_key":"a","target_key":"a"}`
	tests := []struct {
		name, config, in, want string
		sentinel               error
		coercion               bool // strict: a *weir.CoercionError, not an *Error
	}{
		{"div by zero", `{"type":"number_math_division"}`, `[6,0]`, `+Inf`, ErrDivisionByZero, false},
		{"div zero by zero", `{"type":"number_math_division","settings":{` + obj + `}}`, `{"a":[0,0]}`, `{"a":null}`, ErrDivisionByZero, false},
		{"div by a non-number", `{"type":"number_math_division"}`, `[6,"x"]`, `+Inf`, weir.ErrInvalidData, true},
		{"overflow", `{"type":"number_math_multiplication"}`, `[1e300,-1e300]`, `-Inf`, weir.ErrInvalidData, false},
		{"infinite input", `{"type":"number_math_addition","settings":{` + obj + `}}`, `{"a":[1e400]}`, `{"a":null}`, weir.ErrInvalidData, false},
		{"NaN string", `{"type":"number_maximum","settings":{` + obj + `}}`, `{"a":"NaN"}`, `{"a":null}`, weir.ErrInvalidData, true},
		{"Inf data", `{"type":"number_minimum"}`, `-Inf`, `-Inf`, weir.ErrInvalidData, true},
		{"not a number", `{"type":"number_maximum","settings":{"value":3,` + obj + `}}`, `{"a":"x"}`, `{"a":3}`, weir.ErrInvalidData, true},
		{"object data", `{"type":"number_maximum","settings":{"value":-1}}`, `{"b":1}`, `0`, weir.ErrInvalidData, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tf, err := (&Env{}).New(ctx, strCfg(t, tc.config))
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(tc.in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tc.want, string(out[0].Data()))
			assert.Positive(t, tf.(interface{ Coercions() int64 }).Coercions())

			tf, err = (&Env{Strict: true}).New(ctx, strCfg(t, tc.config))
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tc.in))
			out, err = tf.Transform(ctx, msg)
			assert.Nil(t, out)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.ErrorIs(t, err, weir.ErrInvalidData)
			if tc.coercion {
				var coercion *weir.CoercionError
				require.ErrorAs(t, err, &coercion)
				assert.Equal(t, strCfg(t, tc.config).Type, coercion.Transform)
			} else {
				var te *Error
				require.True(t, errors.As(err, &te), "%T", err)
				assert.Equal(t, strCfg(t, tc.config).Type, te.Type)
			}
			assert.Equal(t, tc.in, string(msg.Data()), "message unchanged")
		})
	}
}

func TestNumberConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, field string
	}{
		{"source without target", `{"type":"number_maximum","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"target without source", `{"type":"number_math_division","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"value not a number", `{"type":"number_minimum","settings":{"value":"1"}}`, "value"},
		{"math takes no value", `{"type":"number_math_addition","settings":{"value":1}}`, "value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), strCfg(t, tc.config))
			var ce *weir.ConfigError
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

func TestNumberControl(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"number_maximum", "number_minimum", "number_math_addition",
		"number_math_subtraction", "number_math_multiplication", "number_math_division"} {
		tf, err := New(context.Background(), weir.Config{Type: typ})
		require.NoError(t, err)
		ctrl := weir.NewControl()
		out, err := tf.Transform(context.Background(), ctrl)
		require.NoError(t, err, typ)
		assert.Equal(t, []*weir.Message{ctrl}, out, typ)
	}
}

const numBenchEvent = `{"bytes":{"in":1024,"out":2048,"parts":[512,256,256]},"severity":7}`

func BenchmarkNumberMaximum(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		strBench(b, strMust(NewNumberMaximum(NumberMaximumConfig{Value: 5,
			Object: ObjectSettings{SourceKey: "severity", TargetKey: "severity"}})), numBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		strBench(b, strMust(NewNumberMaximum(NumberMaximumConfig{Value: 5})), "3.25")
	})
}

func BenchmarkNumberMinimum(b *testing.B) {
	strBench(b, strMust(NewNumberMinimum(NumberMinimumConfig{Value: 5,
		Object: ObjectSettings{SourceKey: "severity", TargetKey: "severity"}})), numBenchEvent)
}

func BenchmarkNumberMath(b *testing.B) {
	obj := ObjectSettings{SourceKey: "bytes.parts", TargetKey: "bytes.total"}
	for _, tc := range []struct {
		name string
		tf   Transformer
	}{
		{"addition", strMust(NewNumberMathAddition(NumberMathAdditionConfig{Object: obj}))},
		{"subtraction", strMust(NewNumberMathSubtraction(NumberMathSubtractionConfig{Object: obj}))},
		{"multiplication", strMust(NewNumberMathMultiplication(NumberMathMultiplicationConfig{Object: obj}))},
		{"division", strMust(NewNumberMathDivision(NumberMathDivisionConfig{Object: obj}))},
	} {
		b.Run(tc.name, func(b *testing.B) { strBench(b, tc.tf, numBenchEvent) })
	}
	b.Run("addition/data", func(b *testing.B) {
		strBench(b, strMust(NewNumberMathAddition(NumberMathAdditionConfig{})), "[512,256,256]")
	})
}
