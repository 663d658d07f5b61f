package transform

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// formatZipFile is one entry of a test archive.
type formatZipFile struct {
	name, body string
	method     uint16
}

// formatZip builds a zip archive of files, in order.
func formatZip(t testing.TB, files ...formatZipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: f.method})
		require.NoError(t, err)
		_, err = w.Write([]byte(f.body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestFormatFromZip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("files in archive order", func(t *testing.T) {
		t.Parallel()
		archive := formatZip(t,
			formatZipFile{name: "logs/"},
			formatZipFile{name: "logs/z.json", body: `{"z":1}` + "\n" + `{"z":2}`, method: zip.Deflate},
			formatZipFile{name: "empty.txt", method: zip.Store},
			formatZipFile{name: "a.txt", body: "plain", method: zip.Store},
			formatZipFile{name: "big.log", body: strings.Repeat("line\n", 10_000), method: zip.Deflate},
		)
		tf, err := NewFormatFromZip(FormatFromZipConfig{})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(archive).SetMetadata([]byte(`{"key":"s3://b/x.zip"}`)))
		require.NoError(t, err)
		require.Len(t, out, 3)
		for i, want := range []string{`{"z":1}` + "\n" + `{"z":2}`, "plain", strings.Repeat("line\n", 10_000)} {
			assert.Equal(t, want, string(out[i].Data()))
			assert.Equal(t, `{"key":"s3://b/x.zip"}`, string(out[i].Metadata()))
		}
	})

	t.Run("nothing to unpack", func(t *testing.T) {
		t.Parallel()
		tf, err := NewFormatFromZip(FormatFromZipConfig{})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(formatZip(t, formatZipFile{name: "d/"})))
		require.NoError(t, err)
		assert.Empty(t, out)
	})

	t.Run("max_size counts all files", func(t *testing.T) {
		t.Parallel()
		archive := formatZip(t,
			formatZipFile{name: "a", body: strings.Repeat("a", 600), method: zip.Deflate},
			formatZipFile{name: "b", body: strings.Repeat("b", 600), method: zip.Store},
		)
		tf, err := NewFormatFromZip(FormatFromZipConfig{MaxSize: 1200})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage(bytes.Clone(archive)))
		require.NoError(t, err)
		assert.Len(t, out, 2)

		tf, err = NewFormatFromZip(FormatFromZipConfig{MaxSize: 1199})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage(archive))
		require.ErrorIs(t, err, weir.ErrTooLarge)
	})

	t.Run("unreadable files", func(t *testing.T) {
		t.Parallel()
		raw := func(h *zip.FileHeader, body string) []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, err := zw.CreateRaw(h)
			require.NoError(t, err)
			_, err = w.Write([]byte(body))
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			return buf.Bytes()
		}
		for name, archive := range map[string][]byte{
			"unknown method": raw(&zip.FileHeader{Name: "x", Method: 99, CompressedSize64: 3, UncompressedSize64: 3}, "abc"),
			"bad checksum":   raw(&zip.FileHeader{Name: "x", Method: zip.Store, CRC32: 1, CompressedSize64: 3, UncompressedSize64: 3}, "abc"),
			"bad deflate":    raw(&zip.FileHeader{Name: "x", Method: zip.Deflate, CompressedSize64: 3, UncompressedSize64: 3}, "\xff\xff\xff"),
			"truncated":      formatZip(t, formatZipFile{name: "x", body: "hello"})[:30],
		} {
			tf, err := NewFormatFromZip(FormatFromZipConfig{})
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage(archive))
			assert.Nil(t, out, name)
			require.ErrorIs(t, err, weir.ErrInvalidData, name)
			assert.NotErrorIs(t, err, weir.ErrTooLarge, name)
			var te *Error
			require.ErrorAs(t, err, &te, name)
			assert.Equal(t, "format_from_zip", te.Type, name)
		}
	})
}

func BenchmarkFormatFromZip(b *testing.B) {
	files := make([]formatZipFile, 10)
	for i := range files {
		files[i] = formatZipFile{name: "f" + string(rune('a'+i)), body: string(formatBenchPayload), method: zip.Deflate}
	}
	formatBench(b, formatMust(NewFormatFromZip(FormatFromZipConfig{})), formatZip(b, files...))
}
