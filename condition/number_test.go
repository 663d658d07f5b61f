package condition_test

import (
	"testing"

	"github.com/weirhq/weir"
)

func TestNumberCompare(t *testing.T) {
	t.Parallel()
	runInspectCases(t, []inspectCase{
		{name: "equal field", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo"},"value":14}}`, data: `{"foo":14}`, want: true},
		{name: "equal data", cfg: `{"type":"number_equal_to","settings":{"value":10}}`, data: `1`},
		{name: "equal zero", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo"},"value":0}}`, data: `{"foo":0}`, want: true},
		{name: "equal float data", cfg: `{"type":"number_equal_to","settings":{"value":1.4}}`, data: `1.4`, want: true},
		{name: "equal float not int", cfg: `{"type":"number_equal_to","settings":{"value":1}}`, data: `1.5`},
		{name: "equal float field", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo"},"value":1.1}}`, data: `{"foo":1.1}`, want: true},
		{name: "equal numeric string field", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo"},"value":7}}`, data: `{"foo":"7"}`, want: true},
		{name: "equal target", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo": 10, "bar": 10}`, want: true},
		{name: "equal target wins over value", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":100}}`, data: `{"foo": 100, "bar": 200}`},
		{name: "equal missing source with value 0", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"baz"},"value":0}}`, data: `{"foo": 100}`},
		{name: "equal missing source and target", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"baz","target_key":"abc"}}}`, data: `{"foo": 100}`},
		{name: "equal missing target falls back to value", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"foo","target_key":"baz"},"value":100}}`, data: `{"foo": 100}`, want: true},
		{name: "equal metadata", cfg: `{"type":"number_equal_to","settings":{"object":{"source_key":"meta n"},"value":3}}`, data: `{}`, meta: `{"n":3}`, want: true},
		{name: "equal data not a number", cfg: `{"type":"number_equal_to","settings":{"value":1}}`, data: `abc`, err: weir.ErrInvalidData},

		{name: "greater field", cfg: `{"type":"number_greater_than","settings":{"object":{"source_key":"foo"},"value":1}}`, data: `{"foo":10}`, want: true},
		{name: "greater data", cfg: `{"type":"number_greater_than","settings":{"value":1}}`, data: `10`, want: true},
		{name: "greater not", cfg: `{"type":"number_greater_than","settings":{"value":10}}`, data: `1`},
		{name: "greater float", cfg: `{"type":"number_greater_than","settings":{"value":1.1}}`, data: `1.5`, want: true},
		{name: "greater float not", cfg: `{"type":"number_greater_than","settings":{"object":{"source_key":"foo"},"value":1.5}}`, data: `{"foo":1.1}`},
		{name: "greater target", cfg: `{"type":"number_greater_than","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo": 100, "bar": 10}`, want: true},
		{name: "greater target not", cfg: `{"type":"number_greater_than","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":10}}`, data: `{"foo": 100, "bar": 2000}`},
		{name: "greater missing source is zero", cfg: `{"type":"number_greater_than","settings":{"object":{"source_key":"x"},"value":-1}}`, data: `{}`, want: true},
		{name: "greater data not a number", cfg: `{"type":"number_greater_than"}`, data: `{"a":1}`, err: weir.ErrInvalidData},

		{name: "less field", cfg: `{"type":"number_less_than","settings":{"object":{"source_key":"foo"},"value":14}}`, data: `{"foo":10}`, want: true},
		{name: "less data not", cfg: `{"type":"number_less_than","settings":{"value":1}}`, data: `10`},
		{name: "less float", cfg: `{"type":"number_less_than","settings":{"value":1.5}}`, data: `1`, want: true},
		{name: "less float not", cfg: `{"type":"number_less_than","settings":{"value":0.1}}`, data: `1.5`},
		{name: "less target", cfg: `{"type":"number_less_than","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo": 10, "bar": 100}`, want: true},
		{name: "less target not", cfg: `{"type":"number_less_than","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":10}}`, data: `{"foo": 2, "bar": 1}`},
	})
}

func TestNumberBitwise(t *testing.T) {
	t.Parallel()
	runInspectCases(t, []inspectCase{
		{name: "and", cfg: `{"type":"number_bitwise_and","settings":{"value":1}}`, data: `570506001`, want: true},
		{name: "and no common bit", cfg: `{"type":"number_bitwise_and","settings":{"value":2}}`, data: `570506001`},
		{name: "and field", cfg: `{"type":"number_bitwise_and","settings":{"value":4,"object":{"source_key":"flags"}}}`, data: `{"flags":6}`, want: true},
		{name: "and missing field", cfg: `{"type":"number_bitwise_and","settings":{"value":4,"object":{"source_key":"flags"}}}`, data: `{}`},
		{name: "and float data", cfg: `{"type":"number_bitwise_and","settings":{"value":1}}`, data: `1.5`, err: weir.ErrInvalidData},
		{name: "or", cfg: `{"type":"number_bitwise_or","settings":{"value":-1}}`, data: `0`, want: true},
		{name: "or zero", cfg: `{"type":"number_bitwise_or"}`, data: `0`},
		{name: "xor", cfg: `{"type":"number_bitwise_xor","settings":{"value":-1}}`, data: `0`, want: true},
		{name: "xor same", cfg: `{"type":"number_bitwise_xor","settings":{"value":5}}`, data: `5`},
		{name: "not", cfg: `{"type":"number_bitwise_not"}`, data: `570506001`, want: true},
		{name: "not zero", cfg: `{"type":"number_bitwise_not"}`, data: `0`, want: true},
		{name: "not minus one", cfg: `{"type":"number_bitwise_not"}`, data: `-1`},
		// Substation's tests set an object.value that number_bitwise_not
		// never reads; it is accepted and ignored.
		{name: "not ignores object value", cfg: `{"type":"number_bitwise_not","settings":{"object":{"value":""}}}`, data: `123456789`, want: true},
		{name: "not field", cfg: `{"type":"number_bitwise_not","settings":{"object":{"source_key":"n"}}}`, data: `{"n":-1}`},
	})
}

func TestNumberLength(t *testing.T) {
	t.Parallel()
	runInspectCases(t, []inspectCase{
		{name: "equal field", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"a"},"value":3}}`, data: `{"a":"bcd"}`, want: true},
		{name: "equal data", cfg: `{"type":"number_length_equal_to","settings":{"value":3}}`, data: `bcd`, want: true},
		{name: "equal field not", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"a"},"value":4}}`, data: `{"a":"bcd"}`},
		{name: "equal array counts elements", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"a"},"value":2}}`, data: `{"a":["xyz","w"]}`, want: true},
		{name: "equal empty array", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"a"}}}`, data: `{"a":[]}`, want: true},
		{name: "equal missing is zero", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"z"}}}`, data: `{"a":"b"}`, want: true},
		{name: "equal object is its text", cfg: `{"type":"number_length_equal_to","settings":{"object":{"source_key":"a"},"value":7}}`, data: `{"a":{"b":1}}`, want: true},
		{name: "equal bytes", cfg: `{"type":"number_length_equal_to","settings":{"value":6}}`, data: `héhé`, want: true},
		{name: "equal chars", cfg: `{"type":"number_length_equal_to","settings":{"value":4,"measurement":"char"}}`, data: `héhé`, want: true},
		{name: "equal runes field", cfg: `{"type":"number_length_equal_to","settings":{"value":2,"measurement":"rune","object":{"source_key":"a"}}}`, data: `{"a":"\u00e9\u00e9"}`, want: true},
		{name: "greater field", cfg: `{"type":"number_length_greater_than","settings":{"object":{"source_key":"foo"},"value":2}}`, data: `{"foo":"bar"}`, want: true},
		{name: "greater data", cfg: `{"type":"number_length_greater_than","settings":{"value":2}}`, data: `bar`, want: true},
		{name: "greater not", cfg: `{"type":"number_length_greater_than","settings":{"value":3}}`, data: `bar`},
		{name: "greater at path this", cfg: `{"type":"number_length_greater_than","settings":{"object":{"source_key":"@this"},"value":0,"measurement":"byte"}}`, data: `{"a":1}`, want: true},
		{name: "less field", cfg: `{"type":"number_length_less_than","settings":{"object":{"source_key":"foo"},"value":4}}`, data: `{"foo":"bar"}`, want: true},
		{name: "less data", cfg: `{"type":"number_length_less_than","settings":{"value":4}}`, data: `bar`, want: true},
		{name: "less field not", cfg: `{"type":"number_length_less_than","settings":{"object":{"source_key":"foo"},"value":3}}`, data: `{"foo":"bar"}`},
		{name: "less data not", cfg: `{"type":"number_length_less_than","settings":{"value":3}}`, data: `bar`},
	})
}
