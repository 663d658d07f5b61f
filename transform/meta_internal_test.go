package transform

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// TestMetaSwitchExistsWiring checks which cases of a meta_switch built from
// JSON read their exists condition's field themselves and hand it to their
// first transform (TestMetaSwitchExists checks that the results agree).
func TestMetaSwitchExistsWiring(t *testing.T) {
	t.Parallel()
	const js = `{"type":"meta_switch","settings":{"cases":[
		{"condition":{"type":"exists","settings":{"object":{"source_key":"a"}}},
		 "transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"meta x"}}}]},
		{"condition":{"type":"exists","settings":{"object":{"source_key":"a"}}},
		 "transforms":[{"type":"object_copy","settings":{"object":{"source_key":"b","target_key":"meta x"}}}]},
		{"condition":{"type":"exists","settings":{"object":{"source_key":"a"}}},
		 "transforms":[{"type":"string_to_lower","settings":{"object":{"source_key":"a","target_key":"x"}}}]},
		{"condition":{"type":"meta_all","settings":{"conditions":[{"type":"exists","settings":{"object":{"source_key":"a"}}}]}},
		 "transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"meta x"}}}]},
		{"condition":{"type":"string_equal_to","settings":{"object":{"source_key":"a"},"value":"v"}},
		 "transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"x"}}}]},
		{"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"x"}}}]}
	]}}`
	var cfg weir.Config
	require.NoError(t, json.Unmarshal([]byte(js), &cfg))
	tf, err := New(context.Background(), cfg)
	require.NoError(t, err)
	cases := tf.(*MetaSwitch).cases
	require.Len(t, cases, 6)
	for i, want := range []struct{ exists, first bool }{{true, true}, {true, false}, {true, true}, {true, true}, {false, false}, {false, false}} {
		assert.Equal(t, want.exists, cases[i].exists != nil, "case %d reads its condition's field", i)
		assert.Equal(t, want.first, cases[i].first != nil, "case %d hands the value to its first transform", i)
	}
	assert.Nil(t, tf.(*MetaSwitch).one)

	// A switch of one such case with one transform takes the short path.
	one, err := NewMetaSwitch(MetaSwitchConfig{Cases: []MetaSwitchCase{{
		Condition: tf.(*MetaSwitch).cases[0].cond, Transforms: tf.(*MetaSwitch).cases[0].tfs}}})
	require.NoError(t, err)
	assert.Same(t, &one.cases[0], one.one)
}
