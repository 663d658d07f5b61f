package condition_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, cfg string
		typ       string // of the *weir.ConfigError found first
		field     string
	}{
		{"bad regexp", `{"type":"string_match","settings":{"pattern":"a("}}`, "string_match", "pattern"},
		{"missing pattern", `{"type":"string_match"}`, "string_match", "pattern"},
		{"missing mime type", `{"type":"format_mime"}`, "format_mime", "type"},
		{"exists without key", `{"type":"exists"}`, "exists", "object.source_key"},
		{"bad measurement", `{"type":"number_length_equal_to","settings":{"measurement":"bits"}}`, "number_length_equal_to", "measurement"},
		{"unused target key", `{"type":"network_ip_valid","settings":{"object":{"target_key":"x"}}}`, "network_ip_valid", "object.target_key"},
		{"unused target key on length", `{"type":"number_length_less_than","settings":{"object":{"target_key":"x"}}}`, "number_length_less_than", "object.target_key"},
		{"unused target key on match", `{"type":"string_match","settings":{"pattern":"a","object":{"target_key":"x"}}}`, "string_match", "object.target_key"},
		{"unused target key on meta", `{"type":"any","settings":{"object":{"target_key":"x"}}}`, "meta_any", "object.target_key"},
		{"float for bitwise value", `{"type":"number_bitwise_and","settings":{"value":1.5}}`, "number_bitwise_and", "value"},
		{"string for number value", `{"type":"number_equal_to","settings":{"value":"1"}}`, "number_equal_to", "value"},
		{"number for string value", `{"type":"string_equal_to","settings":{"value":1}}`, "string_equal_to", "value"},
		{"unknown setting", `{"type":"string_contains","settings":{"values":"a"}}`, "string_contains", "values"},
		{"pattern only ignored for string_contains", `{"type":"string_equal_to","settings":{"pattern":"a"}}`, "string_equal_to", "pattern"},
		{"bitwise not takes no value", `{"type":"number_bitwise_not","settings":{"value":1}}`, "number_bitwise_not", "value"},
		{"nested error is located", `{"type":"meta_all","settings":{"conditions":[{"type":"string_contains"},{"type":"string_match","settings":{"pattern":"("}}]}}`, "meta_all", "conditions.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, err := condition.New(context.Background(), parseConfig(t, tc.cfg))
			assert.Nil(t, in)
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.typ, ce.Type)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

func TestNestedConfigErrorKeepsCause(t *testing.T) {
	t.Parallel()
	_, err := condition.New(context.Background(), parseConfig(t,
		`{"type":"none","settings":{"conditions":[{"type":"all","settings":{"conditions":[{"type":"string_match","settings":{"pattern":"("}}]}}]}}`))
	require.Error(t, err)
	// The innermost error names the type and setting at fault.
	var inner *weir.ConfigError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ce, ok := e.(*weir.ConfigError); ok {
			inner = ce
		}
	}
	require.NotNil(t, inner)
	assert.Equal(t, "string_match", inner.Type)
	assert.Equal(t, "pattern", inner.Field)
	assert.Contains(t, err.Error(), `"pattern"`)
}

func TestUnknownType(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{
		`{"type":"string_containz"}`,
		`{"type":"meta_any","settings":{"conditions":[{"type":"nope"}]}}`,
	} {
		_, err := condition.New(context.Background(), parseConfig(t, cfg))
		assert.ErrorIs(t, err, weir.ErrUnknownType, cfg)
		assert.ErrorIs(t, err, weir.ErrInvalidConfig, cfg)
	}
}

func TestTypedConstructorErrors(t *testing.T) {
	t.Parallel()
	_, err := condition.NewStringMatch(condition.StringMatchConfig{Pattern: "[a-"})
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "string_match", ce.Type)
	assert.Equal(t, "pattern", ce.Field)

	_, err = condition.NewExists(condition.ExistsConfig{})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "object.source_key", ce.Field)

	_, err = condition.NewNumberLengthGreaterThan(condition.NumberLengthGreaterThanConfig{Measurement: "word"})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "measurement", ce.Field)
}

// TestNestedConfigErrorText: an error in a nested condition reads as one
// location, the innermost condition's type and id, and its setting.
func TestNestedConfigErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cfg, want string
		is              error
	}{
		{"nested", `{"type":"none","settings":{"conditions":[{"type":"exists","settings":{"object":{"source_key":"a"}}},
			{"type":"all","settings":{"conditions":[{"type":"string_match","settings":{"pattern":"("}}]}}]}}`,
			"weir: settings.conditions[1].settings.conditions[0] (string_match): setting \"pattern\": error parsing regexp: missing closing ): `(`",
			weir.ErrInvalidConfig},
		{"unknown nested type", `{"type":"meta_any","settings":{"conditions":[{"type":"string_containz"}]}}`,
			`weir: settings.conditions[0] (string_containz): unknown type "string_containz"; did you mean "string_contains"?`,
			weir.ErrUnknownType},
		{"unknown nested setting", `{"type":"meta_any","settings":{"conditions":[{"type":"string_contains","settings":{"valeu":"a"}}]}}`,
			`weir: settings.conditions[0] (string_contains): setting "valeu": unknown setting; did you mean "value"?`,
			weir.ErrInvalidConfig},
		{"wrong JSON type", `{"type":"meta_all","settings":{"conditions":{"type":"exists"}}}`,
			`weir: meta_all: setting "conditions": must be a list, got an object`,
			weir.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := condition.New(context.Background(), parseConfig(t, tt.cfg))
			assert.EqualError(t, err, tt.want)
			assert.ErrorIs(t, err, tt.is)
		})
	}
}

func TestNewAllNamesThePosition(t *testing.T) {
	t.Parallel()
	_, err := condition.NewAll(context.Background(), nil, []weir.Config{
		parseConfig(t, `{"type":"exists","settings":{"object":{"source_key":"a"}}}`),
		parseConfig(t, `{"type":"exists"}`),
	})
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "[1]", ce.Location)
	assert.Equal(t, "exists", ce.Type)
	assert.Equal(t, "object.source_key", ce.Field)
}
