package jqtransform_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/jqtransform"
)

// TestObjectJQResultBound: data that makes a filter yield without bound
// (range(.n) with n = 10^12) fails with a *transform.LimitError instead of
// filling memory; at the bound the results come out.
func TestObjectJQResultBound(t *testing.T) {
	t.Parallel()
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `range(.n)`})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":1000000000000}`)))
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	var le *transform.LimitError
	assert.ErrorAs(t, err, &le)
	assert.Equal(t, "max_count", le.Setting)
	tf, err = jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `range(.n)`, MaxCount: 3})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":3}`)))
	require.NoError(t, err)
	assert.Equal(t, `[0,1,2]`, string(out[0].Data()))
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":4}`)))
	assert.ErrorIs(t, err, weir.ErrTooLarge)
}

// allocated runs f and returns the bytes allocated meanwhile, a bound on
// the most heap f held. Tests that use it are not parallel, so that no
// other test allocates at the same time.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// requireLimit checks that err is a *transform.LimitError for setting.
func requireLimit(t *testing.T, err error, setting string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	var le *transform.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, setting, le.Setting)
	assert.Contains(t, err.Error(), setting)
}

// TestObjectJQSizeBound: a filter that repeats a large value of the event
// (one result holding it 2,000 times, or 2,000 results) would write 2 GiB
// of JSON from a 1 MiB event; it fails with a *transform.LimitError naming
// max_size before anything is encoded, and allocates less than
// 2 × DefaultMaxSize on the way (measured with runtime.MemStats). Not
// parallel: it measures the heap.
func TestObjectJQSizeBound(t *testing.T) {
	ctx := context.Background()
	data := []byte(`{"big":"` + strings.Repeat("x", 1<<20) + `","n":2000}`)
	const bound = 2 * transform.DefaultMaxSize
	for name, filter := range map[string]string{
		"one result":   `[range(.n) as $i | .big]`,
		"many results": `range(.n) as $i | .big`,
		"objects":      `[range(.n) as $i | {k: $big, i: $i}]`,
	} {
		t.Run(name, func(t *testing.T) {
			tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `.big as $big | ` + filter})
			require.NoError(t, err)
			msg := weir.NewMessage(data)
			var out []*weir.Message
			n := allocated(func() { out, err = tf.Transform(ctx, msg) })
			t.Logf("%s: allocated %d bytes", filter, n)
			requireLimit(t, err, "max_size")
			assert.Nil(t, out)
			assert.Less(t, n, uint64(bound))
		})
	}
}

// TestObjectJQSizeExact: max_size counts the output as it is written, to
// the byte: at the size of the output a message passes, one byte under it
// fails.
func TestObjectJQSizeExact(t *testing.T) {
	t.Parallel()
	tests := []struct{ filter, data string }{
		{".", `{"b":1,"a":[true,false,null],"c":{"d":"e"}}`},
		{".[]", `{"a":1,"b":"x","c":null}`},
		{".a, .b, .a", `{"a":1.5,"b":-2}`},
		{".a", `{"a":"<&> \"quoted\" \\ \n\t\r\b\f \u0001 \u2028 \u2029 é 😀"}`},
		{".a | @base64d", `{"a":"/w=="}`}, // invalid UTF-8, written as \ufffd
		{"[.a * 1e21, .a / 1e7, .a * 1e-300, .a * 123456789]", `{"a":1}`},
		{"[.a * 100, .a / 3, -.a]", `{"a":0.5}`},
		{`{("k<\(.a)>"): [.a, {b: .a}]}`, `{"a":"v"}`},
		{"range(5)", `null`},
		{`"x"`, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			t.Parallel()
			tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: tt.filter})
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(tt.data)))
			require.NoError(t, err)
			size := int64(len(out[0].Data()))
			t.Logf("%s", out[0].Data())

			tf, err = jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: tt.filter, MaxSize: size})
			require.NoError(t, err)
			out, err = tf.Transform(context.Background(), weir.NewMessage([]byte(tt.data)))
			require.NoError(t, err)
			assert.Equal(t, int(size), len(out[0].Data()))

			tf, err = jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: tt.filter, MaxSize: size - 1})
			require.NoError(t, err)
			_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(tt.data)))
			requireLimit(t, err, "max_size")
		})
	}
}

// TestObjectJQDepthBound: a 14-byte event can make a filter nest arrays
// millions deep; encoding such a result overflowed the stack, which is
// fatal to the process (20,000,000 levels did). Past max_depth the
// message fails instead.
func TestObjectJQDepthBound(t *testing.T) {
	t.Parallel()
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `reduce range(.n) as $i (null; [.])`})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":100000}`)))
	requireLimit(t, err, "max_depth")
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":10000}`)))
	require.NoError(t, err, "the default allows what encoding/json decodes")
	assert.Equal(t, 2*10000+len("null"), len(out[0].Data()))

	tf, err = jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `.`, MaxDepth: 3})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`[[{"a":1}]]`)))
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`[[{"a":[]}]]`)))
	requireLimit(t, err, "max_depth")
}

// TestObjectJQLimitSettings: the bounds are settings of the JSON config;
// negative values are configuration errors naming them.
func TestObjectJQLimitSettings(t *testing.T) {
	t.Parallel()
	env := testEnv()
	tf, err := env.New(context.Background(), weir.Config{Type: "object_jq", Settings: map[string]any{
		"filter": ".a", "max_size": 4, "max_depth": 2, "max_count": 1}})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"a":"abc"}`)))
	requireLimit(t, err, "max_size")
	for _, field := range []string{"max_size", "max_depth", "max_count"} {
		_, err := env.New(context.Background(), weir.Config{Type: "object_jq", Settings: map[string]any{
			"filter": ".", field: -1}})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, field)
		assert.Equal(t, field, ce.Field)
	}
}
