package transform_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
)

// TestPipelineConfigErrorText checks the whole text of construction errors:
// the position in the file, the type and id, the setting's JSON path, and
// what to do, for configs at the top level and nested in each meta type.
func TestPipelineConfigErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		want   string
		is     []error
	}{
		{
			"unknown setting with a near miss",
			`{"transforms":[{"type":"utility_drop"},{"type":"object_copy","settings":{"id":"c","object":{"source_key":"a","target_kee":"b"}}}]}`,
			`weir: transforms[1] (object_copy, id "c"): setting "object.target_kee": unknown setting; did you mean "target_key"?`,
			nil,
		},
		{
			"wrong JSON type",
			`{"transforms":[{"type":"object_copy","settings":{"object":"a"}}]}`,
			`weir: transforms[0] (object_copy): setting "object": must be an object, got a string`,
			nil,
		},
		{
			"number given as a string",
			`{"transforms":[{"type":"utility_control","settings":{"batch":{"count":"10"}}}]}`,
			`weir: transforms[0] (utility_control): setting "batch.count": must be a whole number, got a string`,
			nil,
		},
		{
			"same unknown key at two depths: the first in key order",
			`{"transforms":[{"type":"enrich_http_get","settings":{"url":"http://x","request":{"zz":1},"object":{"zz":1}}}]}`,
			`weir: transforms[0] (enrich_http_get): setting "object.zz": unknown setting`,
			nil,
		},
		{
			"meta_switch case transform",
			`{"transforms":[{"type":"utility_drop"},{"type":"meta_switch","settings":{"id":"sw","cases":[
				{"transforms":[{"type":"utility_drop"}]},
				{"condition":{"type":"exists","settings":{"object":{"source_key":"a"}}},
				 "transforms":[{"type":"utility_drop"},{"type":"utility_drop"},{"type":"object_copy","settings":{"id":"x","object":{"source_key":"a","target_kee":"b"}}}]}]}}]}`,
			`weir: transforms[1].settings.cases[1].transforms[2] (object_copy, id "x"): setting "object.target_kee": unknown setting; did you mean "target_key"?`,
			nil,
		},
		{
			"meta_switch case condition nested in meta_all",
			`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"condition":{"type":"meta_all","settings":{"conditions":[
				{"type":"exists","settings":{"object":{"source_key":"a"}}},{"type":"string_match","settings":{"pattern":"("}}]}},
				"transforms":[{"type":"utility_drop"}]}]}}]}`,
			"weir: transforms[0].settings.cases[0].condition.settings.conditions[1] (string_match): setting \"pattern\": error parsing regexp: missing closing ): `(`",
			nil,
		},
		{
			"meta_switch unknown condition type",
			`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"condition":{"type":"string_containz"},"transforms":[{"type":"utility_drop"}]}]}}]}`,
			`weir: transforms[0].settings.cases[0].condition (string_containz): unknown type "string_containz"; did you mean "string_contains"?`,
			[]error{weir.ErrUnknownType},
		},
		{
			"meta_switch case setting",
			`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"transforms":[{"type":"utility_drop"}],"transform":{}}]}}]}`,
			`weir: transforms[0] (meta_switch): setting "cases[0].transform": unknown setting; did you mean "transforms"?`,
			nil,
		},
		{
			"meta_switch nested config member",
			`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"transforms":[{"type":"utility_drop","setings":{}}]}]}}]}`,
			`weir: transforms[0] (meta_switch): setting "cases[0].transforms[0].setings": unknown setting; did you mean "settings"?`,
			nil,
		},
		{
			"meta_switch without cases",
			`{"transforms":[{"type":"meta_switch","settings":{"id":"sw"}}]}`,
			`weir: transforms[0] (meta_switch, id "sw"): setting "cases": at least one case is required`,
			[]error{weir.ErrMissingSetting},
		},
		{
			"meta_for_each transform",
			`{"transforms":[{"type":"meta_for_each","settings":{"object":{"source_key":"a","target_key":"b"},"transforms":[{"type":"object_cpy"}]}}]}`,
			`weir: transforms[0].settings.transforms[0] (object_cpy): unknown type "object_cpy"; did you mean "object_copy"?`,
			[]error{weir.ErrUnknownType},
		},
		{
			"meta_for_each missing setting",
			`{"transforms":[{"type":"meta_for_each","settings":{"id":"fe","object":{"target_key":"b"},"transforms":[{"type":"utility_drop"}]}}]}`,
			`weir: transforms[0] (meta_for_each, id "fe"): setting "object.source_key": required`,
			[]error{weir.ErrMissingSetting},
		},
		{
			"meta_err inside meta_metric_duration inside meta_err",
			`{"transforms":[{"type":"meta_err","settings":{"transforms":[{"type":"meta_metric_duration","settings":{"metric":{"name":"n"},
				"transforms":[{"type":"meta_err","settings":{"transforms":[{"type":"object_copy","settings":{"obect":{}}}]}}]}}]}}]}`,
			`weir: transforms[0].settings.transforms[0].settings.transforms[0].settings.transforms[0] (object_copy): setting "obect": unknown setting; did you mean "object"?`,
			nil,
		},
		{
			"meta_err bad pattern",
			`{"transforms":[{"type":"meta_err","settings":{"error_messages":["ok","("]}}]}`,
			"weir: transforms[0] (meta_err): setting \"error_messages[1]\": error parsing regexp: missing closing ): `(`",
			nil,
		},
		{
			"meta_retry transform",
			`{"transforms":[{"type":"meta_retry","settings":{"id":"r","transforms":[{"type":"object_copy","settings":{"id":"c","object":[]}}]}}]}`,
			`weir: transforms[0].settings.transforms[0] (object_copy, id "c"): setting "object": must be an object, got a list`,
			nil,
		},
		{
			"meta_retry condition",
			`{"transforms":[{"type":"meta_retry","settings":{"condition":{"type":"any","settings":{"conditions":[{"type":"number_equal_to","settings":{"value":"1"}}]}},"transforms":[{"type":"utility_drop"}]}}]}`,
			`weir: transforms[0].settings.condition.settings.conditions[0] (number_equal_to): setting "value": must be a number, got a string`,
			nil,
		},
		{
			"meta_retry condition without a type",
			`{"transforms":[{"type":"meta_retry","settings":{"condition":{"settings":{"value":1}},"transforms":[{"type":"utility_drop"}]}}]}`,
			`weir: transforms[0] (meta_retry): setting "condition.type": required`,
			[]error{weir.ErrMissingSetting},
		},
		{
			"meta_retry retry setting",
			`{"transforms":[{"type":"meta_retry","settings":{"retry":{"delay":"soon"}}}]}`,
			`weir: transforms[0] (meta_retry): setting "retry.delay": time: invalid duration "soon"`,
			nil,
		},
		{
			"meta_kv_store_lock transform",
			`{"transforms":[{"type":"meta_kv_store_lock","settings":{"kv_store":{"type":"memory"},"transforms":[{"type":"object_copy","settings":{"id":"c","object":{"x":1}}}]}}]}`,
			`weir: transforms[0].settings.transforms[0] (object_copy, id "c"): setting "object.x": unknown setting`,
			nil,
		},
		{
			"top-level unknown type",
			`{"transforms":[{"type":"object_cpy","settings":{"id":"c"}}]}`,
			`weir: transforms[0] (object_cpy, id "c"): unknown type "object_cpy"; did you mean "object_copy"?`,
			[]error{weir.ErrUnknownType},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := transform.Parse(context.Background(), nil, []byte(tt.config))
			require.Error(t, err)
			assert.Nil(t, p)
			assert.EqualError(t, err, tt.want)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.NotEmpty(t, ce.Location)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			for _, target := range tt.is {
				assert.ErrorIs(t, err, target)
			}
			assert.NotContains(t, err.Error(), "transform.", "no Go type names")
		})
	}
}

// TestNestedConfigErrorChain: a nested config's error is the outer config's
// *weir.ConfigError (naming the setting that holds the nested config)
// wrapping the nested config's own.
func TestNestedConfigErrorChain(t *testing.T) {
	t.Parallel()
	_, err := transform.Parse(context.Background(), nil, []byte(`{"transforms":[{"type":"meta_switch","settings":{"id":"sw","cases":[
		{"transforms":[{"type":"utility_drop"},{"type":"object_copy","settings":{"id":"x","object":{"zz":1}}}]}]}}]}`))
	var outer *weir.ConfigError
	require.ErrorAs(t, err, &outer)
	assert.Equal(t, weir.ConfigError{Location: "transforms[0]", Type: "meta_switch", ID: "sw", Field: "cases.0.transforms.1", Err: outer.Err}, *outer)
	var inner *weir.ConfigError
	require.ErrorAs(t, outer.Err, &inner)
	assert.Equal(t, "object_copy", inner.Type)
	assert.Equal(t, "x", inner.ID)
	assert.Equal(t, "object.zz", inner.Field)
}

// TestConfigErrorDeterministic builds configs whose settings maps hold the
// same bad key at two depths many times: every error must read the same.
func TestConfigErrorDeterministic(t *testing.T) {
	t.Parallel()
	configs := []string{
		`{"transforms":[{"type":"enrich_http_get","settings":{"url":"http://x","object":{"zz":1},"request":{"zz":2},"zz":3}}]}`,
		`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"transforms":[{"type":"object_copy","settings":{"object":{"zz":1},"zz":2}}],"zz":3}],"zz":4}}]}`,
		`{"transforms":[{"type":"meta_switch","settings":{"cases":[{"transforms":[{"type":"object_copy","settings":{"object":{"zz":1},"zz":2}}]}]}}]}`,
		`{"transforms":[{"type":"object_copy","settings":{"object":"a","zz":{"object":1}}}]}`,
	}
	want := []string{
		`weir: transforms[0] (enrich_http_get): setting "object.zz": unknown setting`,
		`weir: transforms[0] (meta_switch): setting "cases[0].zz": unknown setting`,
		`weir: transforms[0].settings.cases[0].transforms[0] (object_copy): setting "object.zz": unknown setting`,
		`weir: transforms[0] (object_copy): setting "object": must be an object, got a string`,
	}
	for i, config := range configs {
		seen := map[string]int{}
		for range 200 {
			_, err := transform.Parse(context.Background(), nil, []byte(config))
			require.Error(t, err)
			seen[err.Error()]++
		}
		assert.Equal(t, map[string]int{want[i]: 200}, seen, config)
	}
}

// closer is a transform that counts its Close calls.
type closer struct{ closed *atomic.Int64 }

func (closer) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return msg.AsSlice(), nil
}

func (c closer) Close() error {
	c.closed.Add(1)
	return nil
}

// closingCondition is a condition that counts its Close calls.
type closingCondition struct{ closed *atomic.Int64 }

func (closingCondition) Inspect(context.Context, *weir.Message) (bool, error) { return true, nil }

func (c closingCondition) Close() error {
	c.closed.Add(1)
	return nil
}

// TestMetaConfigErrorCloses: a meta transform that fails to build closes
// the nested transforms and conditions it built.
func TestMetaConfigErrorCloses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings string // of the failing config's "settings"
		builds   int64  // transforms and conditions built before the failure
	}{
		{"meta_switch later case fails", `{"type":"meta_switch","settings":{"cases":[
			{"condition":{"type":"test_closing"},"transforms":[{"type":"test_closer"}]},
			{"condition":{"type":"test_closing"},"transforms":[{"type":"test_closer"},{"type":"nope"}]}]}}`, 4},
		{"meta_switch case without transforms", `{"type":"meta_switch","settings":{"cases":[
			{"condition":{"type":"test_closing"},"transforms":[{"type":"test_closer"}]},{"transforms":[]}]}}`, 2},
		{"meta_switch condition fails", `{"type":"meta_switch","settings":{"cases":[
			{"transforms":[{"type":"test_closer"}]},{"condition":{"type":"nope"},"transforms":[{"type":"test_closer"}]}]}}`, 1},
		{"meta_for_each constructor fails", `{"type":"meta_for_each","settings":{"transforms":[{"type":"test_closer"}]}}`, 1},
		{"meta_err constructor fails", `{"type":"meta_err","settings":{"error_messages":["("],"transforms":[{"type":"test_closer"}]}}`, 1},
		{"meta_retry transform fails", `{"type":"meta_retry","settings":{"condition":{"type":"test_closing"},"transforms":[{"type":"test_closer"},{"type":"nope"}]}}`, 2},
		{"meta_retry constructor fails", `{"type":"meta_retry","settings":{"condition":{"type":"test_closing"},"retry":{"count":-1},"transforms":[{"type":"test_closer"}]}}`, 2},
		{"meta_metric_duration constructor fails", `{"type":"meta_metric_duration","settings":{"transforms":[{"type":"test_closer"}]}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var built, closed atomic.Int64
			treg := transform.Builtins()
			require.NoError(t, treg.Register("test_closer", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
				built.Add(1)
				return closer{&closed}, nil
			}))
			creg := condition.Builtins()
			require.NoError(t, creg.Register("test_closing", func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) {
				built.Add(1)
				return closingCondition{&closed}, nil
			}))
			env := &transform.Env{Transforms: treg, Conditions: creg}
			_, err := env.New(context.Background(), parseConfig(t, tt.settings))
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			assert.Equal(t, tt.builds, built.Load(), "built")
			assert.Equal(t, built.Load(), closed.Load(), "closed what it built")
		})
	}
}

// TestConfigErrorOfCustomFactory: a factory's plain error becomes a config
// error naming the position, type and id.
func TestConfigErrorOfCustomFactory(t *testing.T) {
	t.Parallel()
	reg := &transform.Registry{}
	require.NoError(t, reg.Register("mine", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return nil, errors.New("cannot start")
	}))
	_, err := transform.NewPipeline(context.Background(), &transform.Env{Transforms: reg},
		[]weir.Config{{Type: "mine", Settings: map[string]any{"id": "m1"}}})
	assert.EqualError(t, err, `weir: transforms[0] (mine, id "m1"): cannot start`)
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}
