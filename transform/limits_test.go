package transform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

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

// TestSplitBounds replays issue 14 finding 1: a split of one message is
// bounded in messages and bytes, fails with a *transform.LimitError that
// matches weir.ErrTooLarge and names the setting, and allocates less than
// 2 × DefaultMaxSize on the way (measured with runtime.MemStats; before,
// these inputs took gigabytes). Not parallel: it measures the heap.
func TestSplitBounds(t *testing.T) {
	ctx := context.Background()
	limitErr := func(t *testing.T, err error, setting string) {
		t.Helper()
		require.Error(t, err)
		assert.ErrorIs(t, err, weir.ErrTooLarge)
		var le *transform.LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, setting, le.Setting)
		assert.Contains(t, err.Error(), setting)
	}
	const bound = 2 * transform.DefaultMaxSize

	t.Run("base64 gzip csv", func(t *testing.T) {
		// 3 million one-field lines, a few kilobytes once gzipped.
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(bytes.Repeat([]byte("a\n"), 3_000_000))
		require.NoError(t, zw.Close())
		line := base64.StdEncoding.AppendEncode(nil, z.Bytes())
		t.Logf("input: %d bytes", len(line))
		decode := transform.Chain(
			aggNew(t, `{"type":"format_from_base64"}`),
			aggNew(t, `{"type":"format_from_gzip"}`))
		out, err := decode.Transform(ctx, weir.NewMessage(line))
		require.NoError(t, err)
		require.Len(t, out, 1)
		csv := aggNew(t, `{"type":"format_from_csv","settings":{"headers":["f"]}}`)
		var res []*weir.Message
		n := allocated(func() { res, err = csv.Transform(ctx, out[0]) })
		t.Logf("format_from_csv allocated %d bytes", n)
		limitErr(t, err, "max_count")
		assert.Nil(t, res)
		assert.Less(t, n, uint64(bound))

		// Within the bounds the records come out.
		small := aggNew(t, `{"type":"format_from_csv","settings":{"headers":["f"],"max_count":3}}`)
		res, err = small.Transform(ctx, weir.NewMessage([]byte("a\nb\nc\n")))
		require.NoError(t, err)
		assert.Len(t, res, 3)
		_, err = small.Transform(ctx, weir.NewMessage([]byte("a\nb\nc\nd\n")))
		limitErr(t, err, "max_count")
		bySize := aggNew(t, `{"type":"format_from_csv","settings":{"headers":["f"],"max_size":20}}`)
		_, err = bySize.Transform(ctx, weir.NewMessage([]byte("a\nb\nc\n")))
		limitErr(t, err, "max_size")
	})

	t.Run("aggregate_from_array base copies", func(t *testing.T) {
		// A 1 MiB field and a 2,000-element array: every element would
		// carry a copy of the field.
		var b strings.Builder
		b.WriteString(`{"big":"` + strings.Repeat("x", 1<<20) + `","arr":[`)
		for i := range 2000 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`1`)
		}
		b.WriteString(`]}`)
		msg := weir.NewMessage([]byte(b.String()))
		tf := aggNew(t, `{"type":"aggregate_from_array","settings":{"object":{"source_key":"arr","target_key":"e"}}}`)
		var err error
		n := allocated(func() { _, err = tf.Transform(ctx, msg) })
		t.Logf("aggregate_from_array allocated %d bytes", n)
		limitErr(t, err, "max_size")
		assert.Less(t, n, uint64(bound))

		tf = aggNew(t, `{"type":"aggregate_from_array","settings":{"max_count":2}}`)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`[1,2,3]`)))
		limitErr(t, err, "max_count")
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`[1,2]`)))
		require.NoError(t, err)
		assert.Len(t, out, 2)
	})

	t.Run("aggregate_from_string commas", func(t *testing.T) {
		msg := weir.NewMessage(bytes.Repeat([]byte(","), 10<<20))
		tf := aggNew(t, `{"type":"aggregate_from_string","settings":{"separator":","}}`)
		var err error
		n := allocated(func() { _, err = tf.Transform(ctx, msg) })
		t.Logf("aggregate_from_string allocated %d bytes", n)
		limitErr(t, err, "max_count")
		assert.Less(t, n, uint64(bound))

		// At the default limit exactly, memory stays within max_size plus
		// 400 bytes a piece.
		msg = weir.NewMessage(bytes.Repeat([]byte("ab,"), transform.DefaultMaxCount-1))
		var out []*weir.Message
		n = allocated(func() { out, err = tf.Transform(ctx, msg) })
		require.NoError(t, err)
		assert.Len(t, out, transform.DefaultMaxCount)
		t.Logf("aggregate_from_string of %d pieces allocated %d bytes", len(out), n)
		assert.Less(t, n, uint64(len(msg.Data())+400*transform.DefaultMaxCount))

		tf = aggNew(t, `{"type":"aggregate_from_string","settings":{"separator":",","max_size":3}}`)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte("ab,cd")))
		limitErr(t, err, "max_size")
	})
}

// TestArrayDepthBound: array_flatten (deep) and array_dedupe refuse an
// array nested deeper than max_depth, after one linear pass, instead of
// working in time that grows with depth × size (issue 14 finding 7: 100k
// deep on a 200 KB line took 31 s of CPU).
func TestArrayDepthBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nested := func(depth int) []byte {
		return []byte(`{"a":` + strings.Repeat("[", depth) + `1` + strings.Repeat("]", depth) + `}`)
	}
	for _, cfg := range []string{
		`{"type":"array_flatten","settings":{"deep":true,"object":{"source_key":"a","target_key":"a"}}}`,
		`{"type":"array_dedupe","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
	} {
		tf := aggNew(t, cfg)
		for _, depth := range []int{10_000, 100_000} {
			_, err := tf.Transform(ctx, weir.NewMessage(nested(depth)))
			assert.ErrorIs(t, err, weir.ErrTooLarge, cfg)
			var le *transform.LimitError
			if assert.ErrorAs(t, err, &le) {
				assert.Equal(t, "max_depth", le.Setting)
				assert.EqualValues(t, transform.DefaultMaxDepth, le.Limit)
			}
		}
		// At the limit it works; brackets inside strings do not count.
		out, err := tf.Transform(ctx, weir.NewMessage(nested(transform.DefaultMaxDepth)))
		require.NoError(t, err, cfg)
		require.Len(t, out, 1)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"a":["`+strings.Repeat("[", 1000)+`\"["]}`)))
		require.NoError(t, err, cfg)
	}
	tf := aggNew(t, `{"type":"array_dedupe","settings":{"max_depth":3}}`)
	_, err := tf.Transform(ctx, weir.NewMessage([]byte(`[[[1]],[[1]]]`)))
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`[[[[1]]]]`)))
	assert.ErrorIs(t, err, weir.ErrTooLarge)
}

// TestDecompressMemory: a gzip bomb trips max_size having allocated at
// most about twice the limit (not three times, as growing to just under
// the limit and then to it did). Not parallel: it measures the heap.
func TestDecompressMemory(t *testing.T) {
	const limit = 8 << 20
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(bytes.Repeat([]byte("a"), 3*limit))
	require.NoError(t, zw.Close())
	tf := aggNew(t, `{"type":"format_from_gzip","settings":{"max_size":8388608}}`)
	var err error
	n := allocated(func() { _, err = tf.Transform(context.Background(), weir.NewMessage(z.Bytes())) })
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	t.Logf("a %d-byte limit tripped after %d bytes allocated (%.2f×)", limit, n, float64(n)/limit)
	assert.Less(t, n, uint64(limit*5/2))
}
