package transform

import (
	"archive/zip"
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
)

// formatZeros is an endless reader of zero bytes.
type formatZeros struct{}

func (formatZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// formatBombSize is what the bombs of TestFormatBombs decompress to.
const formatBombSize = 100 << 20

// formatCompress writes n zero bytes through the writer wrap makes and
// returns what it wrote.
func formatCompress(t *testing.T, n int64, wrap func(io.Writer) io.WriteCloser) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := wrap(&buf)
	_, err := io.CopyN(w, formatZeros{}, n)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// TestFormatBombs feeds each decompressor 100 MiB of zeros, compressed,
// with a max_size of 1 MiB: each must fail with weir.ErrTooLarge having
// allocated a few MiB at most. It does not run in parallel, so that the
// allocation counter sees only the call under test.
func TestFormatBombs(t *testing.T) {
	const limit = 1 << 20
	bombs := []struct {
		name, typ string
		make      func(t *testing.T) []byte
	}{
		{"gzip", "format_from_gzip", func(t *testing.T) []byte { return formatGzipZeros(t, formatBombSize) }},
		{"gzip with a lying trailer", "format_from_gzip", func(t *testing.T) []byte {
			b := formatGzipZeros(t, formatBombSize)
			binary.LittleEndian.PutUint32(b[len(b)-4:], 1)
			return b
		}},
		{"zstd stream", "format_from_zstd", func(t *testing.T) []byte {
			return formatCompress(t, formatBombSize, func(w io.Writer) io.WriteCloser {
				zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
				require.NoError(t, err)
				return zw
			})
		}},
		{"zstd frame with size", "format_from_zstd", func(t *testing.T) []byte {
			enc, err := zstd.NewWriter(nil)
			require.NoError(t, err)
			return enc.EncodeAll(make([]byte, formatBombSize), nil)
		}},
		{"zstd small window", "format_from_zstd", func(t *testing.T) []byte {
			return formatCompress(t, formatBombSize, func(w io.Writer) io.WriteCloser {
				zw, err := zstd.NewWriter(w, zstd.WithWindowSize(64<<10), zstd.WithEncoderConcurrency(1))
				require.NoError(t, err)
				return zw
			})
		}},
		{"snappy stream", "format_from_snappy", func(t *testing.T) []byte {
			return formatCompress(t, formatBombSize, func(w io.Writer) io.WriteCloser { return snappy.NewBufferedWriter(w) })
		}},
		{"snappy block", "format_from_snappy", func(*testing.T) []byte {
			return snappy.Encode(nil, make([]byte, formatBombSize))
		}},
		{"zip", "format_from_zip", func(t *testing.T) []byte {
			return formatZipZeros(t, false, formatBombSize)
		}},
		{"zip lying about sizes", "format_from_zip", func(t *testing.T) []byte {
			return formatZipZeros(t, true, formatBombSize)
		}},
		{"zip of many files", "format_from_zip", func(t *testing.T) []byte {
			sizes := make([]int64, 100)
			for i := range sizes {
				sizes[i] = formatBombSize / 100
			}
			return formatZipZeros(t, false, sizes...)
		}},
	}
	for _, bomb := range bombs {
		t.Run(bomb.name, func(t *testing.T) {
			data := bomb.make(t)
			tf, err := New(context.Background(), weir.Config{Type: bomb.typ, Settings: map[string]any{"max_size": limit}})
			require.NoError(t, err)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			out, err := tf.Transform(context.Background(), weir.NewMessage(data))
			runtime.ReadMemStats(&after)

			assert.Nil(t, out)
			require.ErrorIs(t, err, weir.ErrInvalidData)
			if bomb.name != "zip lying about sizes" { // archive/zip stops at the declared size
				require.ErrorIs(t, err, weir.ErrTooLarge)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d bytes in, %d MiB out, max_size %d: allocated %.1f MiB",
				bomb.name, len(data), formatBombSize>>20, limit, float64(alloc)/(1<<20))
			assert.Less(t, alloc, uint64(8*limit), "allocated %d bytes decoding a bomb with max_size %d", alloc, limit)
		})
	}
}

// formatDeflateZeros returns a raw deflate stream of n zero bytes (a
// multiple of 1 MiB), made quickly: a block of 1 MiB of zeros, flushed,
// decodes to zeros wherever it is put after zeros, so it is compressed once
// and repeated.
func formatDeflateZeros(t *testing.T, n int64) []byte {
	t.Helper()
	const chunk = 1 << 20
	require.Zero(t, n%chunk)
	var block bytes.Buffer
	fw, err := flate.NewWriter(&block, flate.BestSpeed)
	require.NoError(t, err)
	_, err = fw.Write(make([]byte, chunk))
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	var out bytes.Buffer
	for range n / chunk {
		out.Write(block.Bytes())
	}
	// The final block: empty, fixed Huffman codes.
	out.Write([]byte{0x03, 0x00})
	return out.Bytes()
}

// formatZerosCRC returns the CRC-32 of n zero bytes.
func formatZerosCRC(n int64) uint32 {
	zeros := make([]byte, 1<<20)
	var sum uint32
	for ; n > 0; n -= int64(len(zeros)) {
		sum = crc32.Update(sum, crc32.IEEETable, zeros[:min(n, int64(len(zeros)))])
	}
	return sum
}

// formatGzipZeros returns a gzip file of n zero bytes.
func formatGzipZeros(t *testing.T, n int64) []byte {
	t.Helper()
	b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	b = append(b, formatDeflateZeros(t, n)...)
	b = binary.LittleEndian.AppendUint32(b, formatZerosCRC(n))
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

// formatZipZeros returns a zip archive of files of zeros of the given
// sizes; with lie, the archive says each holds 10 bytes.
func formatZipZeros(t *testing.T, lie bool, sizes ...int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	type file struct {
		raw []byte
		crc uint32
	}
	made := map[int64]file{}
	for i, n := range sizes {
		f, ok := made[n]
		if !ok {
			f = file{formatDeflateZeros(t, n), formatZerosCRC(n)}
			made[n] = f
		}
		raw := f.raw
		h := &zip.FileHeader{Name: fmt.Sprintf("zeros%d.bin", i), Method: zip.Deflate,
			CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(n), CRC32: f.crc}
		if lie {
			h.UncompressedSize64 = 10
		}
		fw, err := zw.CreateRaw(h)
		require.NoError(t, err)
		_, err = fw.Write(raw)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestFormatZerosHelpers checks the bomb builders on a small size.
func TestFormatZerosHelpers(t *testing.T) {
	t.Parallel()
	const n = 3 << 20
	zr, err := gzip.NewReader(bytes.NewReader(formatGzipZeros(t, n)))
	require.NoError(t, err)
	d, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, n), d)

	archive := formatZipZeros(t, false, n, 1<<20)
	ar, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	require.NoError(t, err)
	require.Len(t, ar.File, 2)
	for i, want := range []int{n, 1 << 20} {
		rc, err := ar.File[i].Open()
		require.NoError(t, err)
		d, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Equal(t, make([]byte, want), d)
	}
}

// TestFormatNoGoroutines shows the codecs start no goroutines that outlive
// a call: the transformers have nothing to close.
func TestFormatNoGoroutines(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	for _, codec := range []string{"gzip", "zstd", "snappy"} {
		enc, err := New(context.Background(), weir.Config{Type: "format_to_" + codec})
		require.NoError(t, err)
		dec, err := New(context.Background(), weir.Config{Type: "format_from_" + codec})
		require.NoError(t, err)
		in := strings.Repeat(`{"a":"b"}`, 10_000)
		out, err := Chain(enc, dec).Transform(context.Background(), weir.NewMessage([]byte(in)))
		require.NoError(t, err)
		assert.Equal(t, in, string(out[0].Data()))
	}
	goleak.VerifyNone(t, ignore)
}

// formatBenchPayload is a 4 KiB batch of JSON lines, a typical compressed
// record.
var formatBenchPayload = []byte(strings.Repeat(`{"ts":"2024-03-31T01:30:00Z","user":"alice","src":"10.0.0.1","action":"login","ok":true}`+"\n", 46))

func formatBench(b *testing.B, tf Transformer, data []byte) {
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

func formatMust[T any](tf T, err error) T {
	if err != nil {
		panic(err)
	}
	return tf
}

func formatEncoded(b *testing.B, typ string) []byte {
	b.Helper()
	tf, err := New(context.Background(), weir.Config{Type: typ})
	require.NoError(b, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage(bytes.Clone(formatBenchPayload)))
	require.NoError(b, err)
	return out[0].Data()
}

func BenchmarkFormatFromGzip(b *testing.B) {
	gz := formatEncoded(b, "format_to_gzip")
	b.Run("pooled", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromGzip(FormatFromGzipConfig{})), gz)
	})
	b.Run("parallel", func(b *testing.B) {
		tf := formatMust(NewFormatFromGzip(FormatFromGzipConfig{}))
		b.ReportAllocs()
		b.SetBytes(int64(len(gz)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := tf.Transform(context.Background(), weir.NewMessage(gz)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// The naive baseline: a new standard-library reader per message and
	// io.ReadAll (which is also unbounded).
	b.Run("naive", func(b *testing.B) {
		formatBench(b, Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			zr, err := stdgzip.NewReader(bytes.NewReader(msg.Data()))
			if err != nil {
				return nil, err
			}
			d, err := io.ReadAll(zr)
			if err != nil {
				return nil, err
			}
			return []*weir.Message{msg.SetData(d)}, nil
		}), gz)
	})
}

func BenchmarkFormatToGzip(b *testing.B) {
	b.Run("pooled", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatToGzip(FormatToGzipConfig{})), formatBenchPayload)
	})
	b.Run("naive", func(b *testing.B) {
		formatBench(b, Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			var buf bytes.Buffer
			zw := stdgzip.NewWriter(&buf)
			if _, err := zw.Write(msg.Data()); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			return []*weir.Message{msg.SetData(buf.Bytes())}, nil
		}), formatBenchPayload)
	})
}

func BenchmarkFormatFromZstd(b *testing.B) {
	formatBench(b, formatMust(NewFormatFromZstd(FormatFromZstdConfig{})), formatEncoded(b, "format_to_zstd"))
}

func BenchmarkFormatToZstd(b *testing.B) {
	formatBench(b, formatMust(NewFormatToZstd(FormatToZstdConfig{})), formatBenchPayload)
}

func BenchmarkFormatFromSnappy(b *testing.B) {
	b.Run("block", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromSnappy(FormatFromSnappyConfig{})), formatEncoded(b, "format_to_snappy"))
	})
	b.Run("stream", func(b *testing.B) {
		var buf bytes.Buffer
		zw := snappy.NewBufferedWriter(&buf)
		_, err := zw.Write(formatBenchPayload)
		require.NoError(b, err)
		require.NoError(b, zw.Close())
		formatBench(b, formatMust(NewFormatFromSnappy(FormatFromSnappyConfig{})), buf.Bytes())
	})
}

func BenchmarkFormatToSnappy(b *testing.B) {
	formatBench(b, formatMust(NewFormatToSnappy(FormatToSnappyConfig{})), formatBenchPayload)
}
