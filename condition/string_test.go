package condition_test

import "testing"

func TestString(t *testing.T) {
	t.Parallel()
	runInspectCases(t, []inspectCase{
		{name: "contains", cfg: `{"type":"string_contains","settings":{"value":"bc"}}`, data: `abcd`, want: true},
		{name: "contains is case sensitive", cfg: `{"type":"string_contains","settings":{"value":"BC"}}`, data: `abcd`},
		{name: "contains field unescaped", cfg: `{"type":"string_contains","settings":{"value":"a\"b","object":{"source_key":"s"}}}`, data: `{"s":"xa\"by"}`, want: true},
		{name: "contains missing field is empty", cfg: `{"type":"string_contains","settings":{"object":{"source_key":"z"}}}`, data: `{}`, want: true},
		{name: "contains target", cfg: `{"type":"string_contains","settings":{"object":{"source_key":"a","target_key":"b"}}}`, data: `{"a":"hello world","b":"lo w"}`, want: true},
		{name: "contains missing target", cfg: `{"type":"string_contains","settings":{"object":{"source_key":"a","target_key":"z"}}}`, data: `{"a":"hello"}`},
		// Substation's tests set a "pattern" that string_contains never
		// reads: it is accepted and ignored, so the value is "".
		{name: "contains ignores pattern", cfg: `{"type":"string_contains","settings":{"pattern":"zzz"}}`, data: `abc`, want: true},

		{name: "starts with field", cfg: `{"type":"string_starts_with","settings":{"object":{"source_key":"a"},"value":"bc"}}`, data: `{"a":"bcde"}`, want: true},
		{name: "starts with data", cfg: `{"type":"string_starts_with","settings":{"value":"bc"}}`, data: `bcde`, want: true},
		{name: "starts with not", cfg: `{"type":"string_starts_with","settings":{"value":"de"}}`, data: `bcde`},
		{name: "starts with data and target", cfg: `{"type":"string_starts_with","settings":{"object":{"target_key":"p"}}}`, data: `{"p":"{"}`, want: true},

		{name: "ends with field", cfg: `{"type":"string_ends_with","settings":{"object":{"source_key":"a"},"value":"de"}}`, data: `{"a":"bcde"}`, want: true},
		{name: "ends with data", cfg: `{"type":"string_ends_with","settings":{"value":"de"}}`, data: `bcde`, want: true},
		{name: "ends with not", cfg: `{"type":"string_ends_with","settings":{"value":"bc"}}`, data: `bcde`},

		{name: "equal data", cfg: `{"type":"string_equal_to","settings":{"value":"abcde"}}`, data: `abcde`, want: true},
		{name: "equal data longer", cfg: `{"type":"string_equal_to","settings":{"value":"abcde"}}`, data: `abcdef`},
		{name: "equal quotes", cfg: `{"type":"string_equal_to","settings":{"value":"\"\""}}`, data: `""`, want: true},
		{name: "equal target", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo":"abc", "bar":"abc"}`, want: true},
		{name: "equal target differs", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":"abc"}}`, data: `{"foo":"abc", "bar":"def"}`},
		{name: "equal missing source", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"foo"},"value":"abc"}}`, data: `{"bar": "abc"}`},
		{name: "equal missing source empty value", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"foo"},"value":""}}`, data: `{"bar": "abc"}`},
		{name: "equal missing target", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"bar","target_key":"foo"}}}`, data: `{"bar": "abc"}`},
		{name: "equal missing target only", cfg: `{"type":"string_equal_to","settings":{"object":{"target_key":"foo"}}}`, data: `{"bar": "abc"}`},
		{name: "equal number field as gjson text", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"n"},"value":"1.5"}}`, data: `{"n":1.50}`, want: true},
		{name: "equal null field is empty", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"n"}}}`, data: `{"n":null}`, want: true},
		{name: "equal metadata", cfg: `{"type":"string_equal_to","settings":{"object":{"source_key":"meta k"},"value":"v"}}`, data: `{}`, meta: `{"k":"v"}`, want: true},

		{name: "greater data", cfg: `{"type":"string_greater_than","settings":{"value":"a"}}`, data: `b`, want: true},
		{name: "greater timestamps", cfg: `{"type":"string_greater_than","settings":{"value":"2022-01-01T00:00:00Z"}}`, data: `2023-01-01T00:00:00Z`, want: true},
		{name: "greater target", cfg: `{"type":"string_greater_than","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo":"2023-01-01T00:00:00Z", "bar":"2022-01-01T00:00:00Z"}`, want: true},
		{name: "greater target wins", cfg: `{"type":"string_greater_than","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":"greetings"}}`, data: `{"foo":"hello", "bar":"world"}`},
		{name: "greater missing target falls back", cfg: `{"type":"string_greater_than","settings":{"object":{"source_key":"foo","target_key":"z"},"value":"a"}}`, data: `{"foo":"b"}`, want: true},

		{name: "less data", cfg: `{"type":"string_less_than","settings":{"value":"b"}}`, data: `a`, want: true},
		{name: "less prefix", cfg: `{"type":"string_less_than","settings":{"value":"2024-01"}}`, data: `2023-01-01T00:00:00Z`, want: true},
		{name: "less target", cfg: `{"type":"string_less_than","settings":{"object":{"source_key":"foo","target_key":"bar"}}}`, data: `{"foo":"2022-01-01T00:00:00Z", "bar":"2023-01-01T00:00:00Z"}`, want: true},
		{name: "less target wins", cfg: `{"type":"string_less_than","settings":{"object":{"source_key":"foo","target_key":"bar"},"value":"2025-01-01"}}`, data: `{"foo":"2024-01-01T00:00:00Z", "bar":"2023-01-01"}`},
		{name: "less missing source is empty", cfg: `{"type":"string_less_than","settings":{"object":{"source_key":"z"},"value":"a"}}`, data: `{}`, want: true},

		{name: "match", cfg: `{"type":"string_match","settings":{"pattern":"^Test"}}`, data: `Test`, want: true},
		{name: "match anchored", cfg: `{"type":"string_match","settings":{"pattern":"^Test"}}`, data: `-Test`},
		{name: "match field", cfg: `{"type":"string_match","settings":{"pattern":"^a+$","object":{"source_key":"s"}}}`, data: `{"s":"aaa"}`, want: true},
		{name: "match whole object", cfg: `{"type":"string_match","settings":{"pattern":"^{.*}$"}}`, data: `{"z":1}`, want: true},
	})
}
