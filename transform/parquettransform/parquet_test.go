package parquettransform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// formatParquetRow is the schema of the generated test files.
type formatParquetRow struct {
	User   string            `parquet:"user"`
	Port   int32             `parquet:"port"`
	Bytes  int64             `parquet:"bytes"`
	Score  float64           `parquet:"score"`
	OK     bool              `parquet:"ok"`
	Raw    []byte            `parquet:"raw"`
	Note   *string           `parquet:"note,optional"`
	Tags   []string          `parquet:"tags,list"`
	Labels map[string]string `parquet:"labels"`
	Geo    struct {
		Country string `parquet:"country"`
	} `parquet:"geo"`
}

// formatParquet writes rows as a Parquet file.
func formatParquet[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, parquet.Write(&buf, rows, opts...))
	return buf.Bytes()
}

func TestFormatFromParquet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("types", func(t *testing.T) {
		t.Parallel()
		note := "first"
		rows := []formatParquetRow{
			{User: "alice", Port: 443, Bytes: 1 << 40, Score: 0.5, OK: true, Raw: []byte{0, 1}, Note: &note,
				Tags: []string{"a", "b"}, Labels: map[string]string{"env": "prod"}},
			{User: "bob <b@x>", Port: -1},
		}
		rows[0].Geo.Country = "FR"
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(formatParquet(t, rows)).SetMetadata([]byte(`{"f":1}`)))
		require.NoError(t, err)
		require.Len(t, out, 2)
		// What parquet-go's generic reader returns, through encoding/json.
		want := []string{
			`{"bytes":1099511627776,"geo":{"country":"FR"},"labels":{"env":"cHJvZA=="},"note":"first","ok":true,"port":443,"raw":"\u0000\u0001","score":0.5,"tags":["a","b"],"user":"alice"}`,
			`{"bytes":0,"geo":{"country":""},"labels":{},"note":null,"ok":false,"port":-1,"raw":"","score":0,"tags":[],"user":"bob \u003cb@x\u003e"}`,
		}
		for i, m := range out {
			assert.Equal(t, want[i], string(m.Data()))
			assert.Equal(t, `{"f":1}`, string(m.Metadata()))
		}
	})

	t.Run("many rows in order", func(t *testing.T) {
		t.Parallel()
		rows := make([]struct {
			N int64 `parquet:"n"`
		}, 1000)
		for i := range rows {
			rows[i].N = int64(i)
		}
		// Several row groups and pages.
		file := formatParquet(t, rows, parquet.PageBufferSize(256), parquet.MaxRowsPerRowGroup(300))
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(file))
		require.NoError(t, err)
		require.Len(t, out, len(rows))
		for i, m := range out {
			require.Equal(t, fmt.Sprintf(`{"n":%d}`, i), string(m.Data()))
		}
	})

	t.Run("no rows", func(t *testing.T) {
		t.Parallel()
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(formatParquet(t, []formatParquetRow{})))
		require.NoError(t, err)
		assert.Empty(t, out)
	})

	t.Run("max_size", func(t *testing.T) {
		t.Parallel()
		vec := b64(t, vecParquet)
		// The file itself is too big.
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{MaxSize: int64(len(vec) - 1)})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage(bytes.Clone(vec)))
		require.ErrorIs(t, err, weir.ErrTooLarge)

		// A small file of many rows that repeat one long value: the
		// JSON rows are too big.
		rows := make([]struct {
			S string `parquet:"s,dict"`
		}, 2000)
		for i := range rows {
			rows[i].S = strings.Repeat("x", 1000)
		}
		file := formatParquet(t, rows, parquet.Compression(&parquet.Zstd))
		require.Less(t, len(file), 20_000)
		tf, err = NewFormatFromParquet(FormatFromParquetConfig{MaxSize: 100_000})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage(file))
		require.ErrorIs(t, err, weir.ErrTooLarge)
		require.ErrorIs(t, err, weir.ErrInvalidData)

		// Too many rows for the limit, by the metadata alone.
		tf, err = NewFormatFromParquet(FormatFromParquetConfig{MaxSize: int64(len(file))})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage(file))
		require.ErrorIs(t, err, weir.ErrTooLarge)
	})

	t.Run("huge footer length", func(t *testing.T) {
		t.Parallel()
		vec := b64(t, vecParquet)
		binary.LittleEndian.PutUint32(vec[len(vec)-8:], 0xfffffff0)
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage(vec))
		require.ErrorIs(t, err, weir.ErrInvalidData)
	})

	// Corrupt files, one changed byte or a cut at each position, must
	// fail cleanly (or decode), never panic. Some corrupt footers make
	// parquet-go build a slice from a nil pointer: a panic the transform
	// recovers from, but a fatal error under the race detector's pointer
	// checks, so with -race the footer is left alone.
	t.Run("corrupt", func(t *testing.T) {
		t.Parallel()
		vec := b64(t, vecParquet)
		end := len(vec)
		if formatRaceEnabled() {
			end -= int(binary.LittleEndian.Uint32(vec[len(vec)-8:])) + 8
		}
		tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
		require.NoError(t, err)
		check := func(what string, b []byte) {
			out, err := tf.Transform(ctx, weir.NewMessage(b))
			if err != nil {
				assert.Nil(t, out, what)
				assert.ErrorIs(t, err, weir.ErrInvalidData, what)
			}
		}
		for i := range end {
			for _, x := range []byte{0xff, 0x01} {
				b := bytes.Clone(vec)
				b[i] ^= x
				check(fmt.Sprintf("byte %d ^ %#x", i, x), b)
			}
			check(fmt.Sprintf("cut at %d", i), bytes.Clone(vec[:i]))
		}
	})
}

func BenchmarkFormatFromParquet(b *testing.B) {
	rows := make([]formatParquetRow, 100)
	for i := range rows {
		rows[i] = formatParquetRow{User: fmt.Sprintf("user%d", i), Port: int32(i), Bytes: int64(i) << 20, OK: i%2 == 0,
			Tags: []string{"a", "b"}}
	}
	bench(b, must(NewFormatFromParquet(FormatFromParquetConfig{})), formatParquet(b, rows))
}

// formatRaceEnabled reports whether the test binary was built with -race.
func formatRaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// vecParquet is the binary input of Substation's format_from_parquet
// test vector: a file of two rows.
const vecParquet = "UEFSMRUEFSAVJEwVBBUAEgAAEDwFAAAAQWxpY2UDAAAAQm9iFQAVBhUKLBUEFRAVBhUGHDYAKANCb2IYBUFsaWNlAAAAAwgBAwIVBBUQFRRMFQQVABIAAAgcHgAAABkAAAAVABUGFQosFQQVEBUGFQYcGAQeAAAAGAQZAAAAFgAoBB4AAAAYBBkAAAAAAAADCAEDAhUEGTw1ABgGc2NoZW1hFQQAFQwlABgEbmFtZSUATBwAAAAVAiUAGANhZ2UAFgQZHBksJgAcFQwZNQAGEBkYBG5hbWUVAhYEFoQBFowBJkgmCBw2ACgDQm9iGAVBbGljZQAZLBUEFQAVAgAVABUQFQIAPBYQGQYZBgAAACYAHBUCGTUABhAZGANhZ2UVAhYEFowBFpQBJsQBJpQBHBgEHgAAABgEGQAAABYAKAQeAAAAGAQZAAAAABksFQQVABUCABUAFRAVAgAAABaQAhYEJggWoAIAGSwYBnBhbmRhcxjeAnsiaW5kZXhfY29sdW1ucyI6IFtdLCAiY29sdW1uX2luZGV4ZXMiOiBbXSwgImNvbHVtbnMiOiBbeyJuYW1lIjogIm5hbWUiLCAiZmllbGRfbmFtZSI6ICJuYW1lIiwgInBhbmRhc190eXBlIjogInVuaWNvZGUiLCAibnVtcHlfdHlwZSI6ICJvYmplY3QiLCAibWV0YWRhdGEiOiBudWxsfSwgeyJuYW1lIjogImFnZSIsICJmaWVsZF9uYW1lIjogImFnZSIsICJwYW5kYXNfdHlwZSI6ICJpbnQzMiIsICJudW1weV90eXBlIjogImludDY0IiwgIm1ldGFkYXRhIjogbnVsbH1dLCAiY3JlYXRvciI6IHsibGlicmFyeSI6ICJweWFycm93IiwgInZlcnNpb24iOiAiMjAuMC4wIn0sICJwYW5kYXNfdmVyc2lvbiI6ICIyLjMuMCJ9ABgMQVJST1c6c2NoZW1hGIwGLy8vLy8wQUNBQUFRQUFBQUFBQUtBQTRBQmdBRkFBZ0FDZ0FBQUFBQkJBQVFBQUFBQUFBS0FBd0FBQUFFQUFnQUNnQUFBSlFCQUFBRUFBQUFBUUFBQUF3QUFBQUlBQXdBQkFBSUFBZ0FBQUJzQVFBQUJBQUFBRjRCQUFCN0ltbHVaR1Y0WDJOdmJIVnRibk1pT2lCYlhTd2dJbU52YkhWdGJsOXBibVJsZUdWeklqb2dXMTBzSUNKamIyeDFiVzV6SWpvZ1czc2libUZ0WlNJNklDSnVZVzFsSWl3Z0ltWnBaV3hrWDI1aGJXVWlPaUFpYm1GdFpTSXNJQ0p3WVc1a1lYTmZkSGx3WlNJNklDSjFibWxqYjJSbElpd2dJbTUxYlhCNVgzUjVjR1VpT2lBaWIySnFaV04wSWl3Z0ltMWxkR0ZrWVhSaElqb2diblZzYkgwc0lIc2libUZ0WlNJNklDSmhaMlVpTENBaVptbGxiR1JmYm1GdFpTSTZJQ0poWjJVaUxDQWljR0Z1WkdGelgzUjVjR1VpT2lBaWFXNTBNeklpTENBaWJuVnRjSGxmZEhsd1pTSTZJQ0pwYm5RMk5DSXNJQ0p0WlhSaFpHRjBZU0k2SUc1MWJHeDlYU3dnSW1OeVpXRjBiM0lpT2lCN0lteHBZbkpoY25raU9pQWljSGxoY25KdmR5SXNJQ0oyWlhKemFXOXVJam9nSWpJd0xqQXVNQ0o5TENBaWNHRnVaR0Z6WDNabGNuTnBiMjRpT2lBaU1pNHpMakFpZlFBQUJnQUFBSEJoYm1SaGN3QUFBZ0FBQUV3QUFBQUVBQUFBelAvLy93QUFBQUlRQUFBQUhBQUFBQVFBQUFBQUFBQUFBd0FBQUdGblpRQUlBQXdBQ0FBSEFBZ0FBQUFBQUFBQklBQUFBQkFBRkFBSUFBQUFCd0FNQUFBQUVBQVFBQUFBQUFBQUJSQUFBQUFjQUFBQUJBQUFBQUFBQUFBRUFBQUFibUZ0WlFBQUFBQUVBQVFBQkFBQUFBQUFBQUE9ABggcGFycXVldC1jcHAtYXJyb3cgdmVyc2lvbiAyMC4wLjAZLBwAABwAAACJBQAAUEFSMQ=="

// TestSubstationVector runs Substation's own format_from_parquet vector.
func TestSubstationVector(t *testing.T) {
	t.Parallel()
	tf, err := NewFormatFromParquet(FormatFromParquetConfig{})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage(b64(t, vecParquet)))
	require.NoError(t, err)
	var got []string
	for _, m := range out {
		got = append(got, string(m.Data()))
	}
	assert.Equal(t, []string{`{"age":30,"name":"Alice"}`, `{"age":25,"name":"Bob"}`}, got)
}

// b64 decodes a base64 test input.
func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// bench runs tf over data b.N times.
func bench(b *testing.B, tf transform.Transformer, data []byte) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	ctx := context.Background()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
