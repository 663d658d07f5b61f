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

func TestMeta(t *testing.T) {
	t.Parallel()
	contains := func(v string) string { return `{"type":"string_contains","settings":{"value":"` + v + `"}}` }
	meta := func(typ, key string, conds ...string) string {
		s := `{"type":"` + typ + `","settings":{"conditions":[`
		for i, c := range conds {
			if i > 0 {
				s += ","
			}
			s += c
		}
		s += `]`
		if key != "" {
			s += `,"object":{"source_key":"` + key + `"}`
		}
		return s + `}}`
	}
	runInspectCases(t, []inspectCase{
		{name: "all data", cfg: meta("meta_all", "", contains("a")), data: `a`, want: true},
		{name: "all field", cfg: meta("meta_all", "z", contains("a")), data: `{"z":"a"}`, want: true},
		{name: "all array one fails", cfg: meta("meta_all", "@this", contains("a")), data: `["a","a","b"]`},
		{name: "all array", cfg: meta("meta_all", "@this", contains("a")), data: `["a","a","a"]`, want: true},
		{name: "all field array", cfg: meta("meta_all", "z", contains("a")), data: `{"z":["a","a","a"]}`, want: true},
		{name: "all empty array", cfg: meta("meta_all", "z", contains("a")), data: `{"z":[]}`, want: true},
		{name: "all missing field", cfg: meta("meta_all", "y", contains("")), data: `{"z":"a"}`},
		{name: "all no conditions", cfg: meta("all", ""), data: `x`, want: true},
		{name: "all nested alias", cfg: meta("meta_all", "",
			meta("all", "z", `{"type":"string_contains","settings":{"pattern":"a"}}`),
			`{"type":"string_match","settings":{"pattern":"^{.*}$"}}`), data: `{"z":["a","a","a"]}`, want: true},
		{name: "all elements are objects", cfg: meta("meta_all", "a",
			`{"type":"string_equal_to","settings":{"object":{"source_key":"k"},"value":"v"}}`), data: `{"a":[{"k":"v"},{"k":"v"}]}`, want: true},
		{name: "all elements keep metadata", cfg: meta("meta_all", "a",
			`{"type":"string_equal_to","settings":{"object":{"source_key":"meta m"},"value":"x"}}`), data: `{"a":[1,2]}`, meta: `{"m":"x"}`, want: true},

		{name: "any data", cfg: meta("meta_any", "", contains("c")), data: `abc`, want: true},
		{name: "any field", cfg: meta("meta_any", "z", contains("c")), data: `{"z":"abc"}`, want: true},
		{name: "any array", cfg: meta("meta_any", "@this", contains("c")), data: `["a","b","c"]`, want: true},
		{name: "any array none match", cfg: meta("meta_any", "@this", contains("d")), data: `["a","b","c"]`},
		{name: "any field array", cfg: meta("meta_any", "z", contains("c")), data: `{"z":["a","b","c"]}`, want: true},
		{name: "any empty array", cfg: meta("meta_any", "z", contains("")), data: `{"z":[]}`},
		{name: "any no conditions", cfg: meta("any", ""), data: `x`},
		{name: "any second condition", cfg: meta("meta_any", "",
			meta("any", "z", `{"type":"string_contains","settings":{"pattern":"d"}}`),
			`{"type":"string_match","settings":{"pattern":"^{.*}$"}}`), data: `{"z":["a","b","c"]}`, want: true},

		{name: "none data", cfg: meta("meta_none", "", contains("a")), data: `bcd`, want: true},
		{name: "none field", cfg: meta("meta_none", "z", contains("a")), data: `{"z":"bcd"}`, want: true},
		// The value of a non-array field is inspected, not the message.
		{name: "none field value only", cfg: meta("meta_none", "z", contains("q")), data: `{"z":"bcd","q":1}`, want: true},
		{name: "none array", cfg: meta("meta_none", "@this", contains("d")), data: `["a","b","c"]`, want: true},
		{name: "none array one matches", cfg: meta("meta_none", "@this", contains("a")), data: `["a","b","c"]`},
		{name: "none field array", cfg: meta("meta_none", "z", contains("a")), data: `{"z":["b","c","d"]}`, want: true},
		{name: "none missing field", cfg: meta("meta_none", "y", contains("a")), data: `{"z":"b"}`},
		{name: "none nested", cfg: meta("meta_none", "",
			meta("none", "z", `{"type":"string_contains","settings":{"pattern":"d"}}`),
			`{"type":"string_match","settings":{"pattern":"^\\[.*\\]$"}}`), data: `{"z":["a","b","c"]}`, want: true},

		{name: "error from element", cfg: meta("meta_any", "a", `{"type":"number_equal_to","settings":{"value":1}}`), data: `{"a":["x"]}`, err: weir.ErrInvalidData},
	})
}

// A custom type registered in a Registry can be nested in the built-in meta
// types.
func TestMetaNestsCustomTypes(t *testing.T) {
	t.Parallel()
	reg := condition.Builtins()
	require.NoError(t, reg.Register("is_x", func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) {
		return condition.Func(func(_ context.Context, msg *weir.Message) (bool, error) {
			return string(msg.Data()) == "x", nil
		}), nil
	}))
	cfg := parseConfig(t, `{"type":"meta_all","settings":{"object":{"source_key":"a"},"conditions":[{"type":"is_x"}]}}`)
	in, err := reg.New(context.Background(), cfg)
	require.NoError(t, err)

	ok, err := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"a":["x","x"]}`)))
	require.NoError(t, err)
	assert.True(t, ok)

	ok, err = in.Inspect(context.Background(), weir.NewMessage([]byte(`{"a":["x","y"]}`)))
	require.NoError(t, err)
	assert.False(t, ok)

	// Without the registry the custom type is unknown.
	_, err = condition.New(context.Background(), cfg)
	assert.ErrorIs(t, err, weir.ErrUnknownType)
}

func TestMetaTypedConstructors(t *testing.T) {
	t.Parallel()
	isA := condition.Func(func(_ context.Context, msg *weir.Message) (bool, error) {
		return string(msg.Data()) == "a", nil
	})
	boom := errors.New("boom")
	fails := condition.Func(func(context.Context, *weir.Message) (bool, error) { return false, boom })
	ctx := context.Background()

	all, err := condition.NewMetaAll(ctx, nil, condition.MetaAllConfig{
		Conditions: []weir.Config{{Type: "string_contains", Settings: map[string]any{"value": "a"}}},
		Inspectors: []condition.Inspector{isA},
		Object:     condition.ObjectSettings{SourceKey: "v"},
	})
	require.NoError(t, err)
	ok, err := all.Inspect(ctx, weir.NewMessage([]byte(`{"v":["a","a"]}`)))
	require.NoError(t, err)
	assert.True(t, ok)

	anyOf, err := condition.NewMetaAny(ctx, nil, condition.MetaAnyConfig{Inspectors: []condition.Inspector{isA, fails}})
	require.NoError(t, err)
	ok, err = anyOf.Inspect(ctx, weir.NewMessage([]byte("a")))
	require.NoError(t, err, "any stops at the first true")
	assert.True(t, ok)
	_, err = anyOf.Inspect(ctx, weir.NewMessage([]byte("b")))
	assert.ErrorIs(t, err, boom)

	none, err := condition.NewMetaNone(ctx, nil, condition.MetaNoneConfig{Inspectors: []condition.Inspector{isA}})
	require.NoError(t, err)
	ok, err = none.Inspect(ctx, weir.NewMessage([]byte("b")))
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = condition.NewMetaNone(ctx, nil, condition.MetaNoneConfig{Inspectors: []condition.Inspector{nil}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

// TestSimplify checks which wrappers Simplify takes off, and that what it
// returns answers and fails as the wrapper does, control messages included.
func TestSimplify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	boom := errors.New("boom")
	isA := condition.Func(func(_ context.Context, msg *weir.Message) (bool, error) {
		if string(msg.Data()) == "boom" {
			return false, boom
		}
		return msg.IsControl() || string(msg.Data()) == "a", nil
	})
	exists, err := condition.NewExists(condition.ExistsConfig{Object: condition.ObjectSettings{SourceKey: "x"}})
	require.NoError(t, err)
	wrap := func(mode string, key string, is ...condition.Inspector) condition.Inspector {
		cfg := condition.MetaConfig{Inspectors: is, Object: condition.ObjectSettings{SourceKey: key}}
		var in condition.Inspector
		var err error
		switch mode {
		case "all":
			in, err = condition.NewMetaAll(ctx, nil, cfg)
		case "any":
			in, err = condition.NewMetaAny(ctx, nil, cfg)
		default:
			in, err = condition.NewMetaNone(ctx, nil, cfg)
		}
		require.NoError(t, err)
		return in
	}
	// A Message is not safe for concurrent use (a read may build its
	// index): each parallel subtest makes its own.
	msgs := func() []*weir.Message {
		return []*weir.Message{weir.NewMessage([]byte("a")), weir.NewMessage([]byte("b")), weir.NewMessage([]byte("boom")),
			weir.NewMessage([]byte(`{"x":1}`)), weir.NewMessage([]byte(`{"x":null}`)), weir.NewControl()}
	}
	tests := []struct {
		name string
		in   condition.Inspector
		want condition.Inspector // what Simplify returns
	}{
		{"all of one", wrap("all", "", isA), isA},
		{"any of one", wrap("any", "", exists), exists},
		{"nested", wrap("all", "", wrap("any", "", wrap("all", "", exists))), exists},
		{"none of one", wrap("none", "", isA), nil},
		{"all of two", wrap("all", "", isA, exists), nil},
		{"all of none", wrap("all", ""), nil},
		{"with a source key", wrap("all", "x", isA), nil},
		{"not a wrapper", exists, nil},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := condition.Simplify(tt.in)
			want := tt.want
			if want == nil {
				want = tt.in // left as it is
			}
			if _, ok := want.(condition.Func); ok {
				assert.NotNil(t, got) // funcs do not compare; the answers below do
			} else {
				assert.Equal(t, want, got)
			}
			if tt.in == nil {
				return
			}
			for _, msg := range msgs() {
				ok1, err1 := tt.in.Inspect(ctx, msg)
				ok2, err2 := got.Inspect(ctx, msg)
				assert.Equal(t, ok1, ok2, "%s", msg.Data())
				assert.Equal(t, err1, err2, "%s", msg.Data())
			}
		})
	}
}
