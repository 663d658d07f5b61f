package condition_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// countingSource is a rand.Source yielding 0, 1, 2, ...; it is not safe for
// concurrent use, which the inspector must make up for.
type countingSource struct{ n uint64 }

func (s *countingSource) Uint64() uint64 { s.n++; return (s.n - 1) << 63 } // top bit alternates

func TestUtilityRandomInjectedSource(t *testing.T) {
	t.Parallel()
	in, err := condition.NewUtilityRandom(condition.UtilityRandomConfig{Source: &countingSource{}})
	require.NoError(t, err)
	var got []bool
	for range 4 {
		ok, err := in.Inspect(context.Background(), weir.NewMessage([]byte("x")))
		require.NoError(t, err)
		got = append(got, ok)
	}
	assert.Equal(t, []bool{false, true, false, true}, got)

	ok, err := in.Inspect(context.Background(), weir.NewControl())
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestUtilityRandomDefaultSource(t *testing.T) {
	t.Parallel()
	in, err := condition.New(context.Background(), weir.Config{Type: "utility_random"})
	require.NoError(t, err)
	seen := map[bool]int{}
	for range 1000 {
		ok, err := in.Inspect(context.Background(), weir.NewMessage(nil))
		require.NoError(t, err)
		seen[ok]++
	}
	assert.Positive(t, seen[true])
	assert.Positive(t, seen[false])
}

func TestExists(t *testing.T) {
	t.Parallel()
	cfg := func(key string) string { return `{"type":"exists","settings":{"object":{"source_key":"` + key + `"}}}` }
	runInspectCases(t, []inspectCase{
		{name: "present", cfg: cfg("a"), data: `{"a":1}`, want: true},
		{name: "empty string", cfg: cfg("a"), data: `{"a":""}`, want: true},
		{name: "empty object", cfg: cfg("a"), data: `{"a":{}}`, want: true},
		{name: "false", cfg: cfg("a"), data: `{"a":false}`, want: true},
		{name: "null", cfg: cfg("a"), data: `{"a":null}`},
		{name: "missing", cfg: cfg("b"), data: `{"a":1}`},
		{name: "nested", cfg: cfg("a.b.c"), data: `{"a":{"b":{"c":[]}}}`, want: true},
		{name: "array element", cfg: cfg("a.1"), data: `{"a":[1,2]}`, want: true},
		{name: "array element missing", cfg: cfg("a.2"), data: `{"a":[1,2]}`},
		{name: "metadata", cfg: cfg("meta m"), data: `{}`, meta: `{"m":"x"}`, want: true},
		{name: "not json", cfg: cfg("a"), data: `a`},
	})
}
