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

// fixed is an inspector with a fixed answer that counts its calls.
type fixed struct {
	ok    bool
	err   error
	calls *int
}

func (f fixed) Inspect(context.Context, *weir.Message) (bool, error) {
	*f.calls++
	return f.ok, f.err
}

func TestCombinators(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	type answer struct {
		ok  bool
		err error
	}
	cases := []struct {
		name    string
		combine func(...condition.Inspector) condition.Inspector
		inputs  []answer
		want    bool
		wantErr error
		calls   int // inspectors called before stopping
	}{
		{"all none", condition.All, nil, true, nil, 0},
		{"all true", condition.All, []answer{{ok: true}, {ok: true}}, true, nil, 2},
		{"all stops at false", condition.All, []answer{{ok: true}, {}, {ok: true}}, false, nil, 2},
		{"all stops at error", condition.All, []answer{{err: boom}, {ok: true}}, false, boom, 1},
		{"any none", condition.Any, nil, false, nil, 0},
		{"any false", condition.Any, []answer{{}, {}}, false, nil, 2},
		{"any stops at true", condition.Any, []answer{{}, {ok: true}, {}}, true, nil, 2},
		{"any stops at error", condition.Any, []answer{{}, {err: boom}, {ok: true}}, false, boom, 2},
		{"none none", condition.None, nil, true, nil, 0},
		{"none false", condition.None, []answer{{}, {}}, true, nil, 2},
		{"none stops at true", condition.None, []answer{{}, {ok: true}, {}}, false, nil, 2},
		{"none stops at error", condition.None, []answer{{err: boom}}, false, boom, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			is := make([]condition.Inspector, len(tc.inputs))
			for i, a := range tc.inputs {
				is[i] = fixed{ok: a.ok, err: a.err, calls: &calls}
			}
			got, err := tc.combine(is...).Inspect(context.Background(), weir.NewMessage(nil))
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.calls, calls)
		})
	}
}

func TestCombinatorsNest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ip, err := condition.NewNetworkIPPrivate(condition.NetworkIPPrivateConfig{
		Object: condition.ObjectSettings{SourceKey: "src"},
	})
	require.NoError(t, err)
	admin, err := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Value: "admin", Object: condition.ObjectSettings{SourceKey: "user"},
	})
	require.NoError(t, err)
	// An admin login from outside the private network.
	in := condition.All(admin, condition.None(ip))

	for data, want := range map[string]bool{
		`{"user":"admin","src":"8.8.8.8"}`:  true,
		`{"user":"admin","src":"10.0.0.8"}`: false,
		`{"user":"bob","src":"8.8.8.8"}`:    false,
	} {
		got, err := in.Inspect(ctx, weir.NewMessage([]byte(data)))
		require.NoError(t, err)
		assert.Equal(t, want, got, data)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	var r condition.Registry
	assert.Empty(t, r.Types())
	_, err := r.New(context.Background(), weir.Config{Type: "string_contains"})
	assert.ErrorIs(t, err, weir.ErrUnknownType, "the zero Registry is empty")

	f := func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) {
		return condition.All(), nil
	}
	require.NoError(t, r.Register("mine", f))
	assert.Error(t, r.Register("mine", f), "registering twice")
	assert.Error(t, r.Register("", f))
	assert.Error(t, r.Register("nil", nil))
	assert.Equal(t, []string{"mine"}, r.Types())

	b := condition.Builtins()
	assert.Error(t, b.Register("string_contains", f), "a built-in name is taken")
}

func TestNewAll(t *testing.T) {
	t.Parallel()
	is, err := condition.NewAll(context.Background(), nil, []weir.Config{
		parseConfig(t, `{"type":"string_contains","settings":{"value":"a"}}`),
		parseConfig(t, `{"type":"format_json"}`),
	})
	require.NoError(t, err)
	require.Len(t, is, 2)
	ok, err := condition.All(is...).Inspect(context.Background(), weir.NewMessage([]byte(`["a"]`)))
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = condition.NewAll(context.Background(), nil, []weir.Config{{Type: "format_json"}, {Type: "bogus"}})
	assert.ErrorIs(t, err, weir.ErrUnknownType)
}
