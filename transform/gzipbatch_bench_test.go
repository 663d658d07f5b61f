package transform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/ctgen"
	"github.com/weirhq/weir/transform"
)

// BenchmarkGzipBatchSideBySide puts the batching a send's auxiliary
// transforms do (aggregate_to_string with a newline, then format_to_gzip:
// the usual S3 object) beside the encoder alone: the same 1,000 CloudTrail
// records joined by hand and gzipped with the same library (compress/gzip,
// which format_to_gzip uses for Substation's bytes), per op (issue 15,
// item 4: within 1.5x of the encoders).
func BenchmarkGzipBatchSideBySide(b *testing.B) {
	recs := ctgen.Generate(1000, 5)
	var size int64
	for _, r := range recs {
		size += int64(len(r)) + 1
	}
	ctx := context.Background()
	b.Run("transforms", func(b *testing.B) {
		join, err := transform.NewAggregateToString(transform.AggregateToStringConfig{Separator: "\n", Batch: transform.BatchSettings{Count: 1000, Size: 4 << 20}})
		require.NoError(b, err)
		zip, err := transform.NewFormatToGzip(transform.FormatToGzipConfig{})
		require.NoError(b, err)
		tf := transform.Chain(join, zip)
		defer func() { _ = tf.(io.Closer).Close() }()
		b.SetBytes(size)
		b.ReportAllocs()
		var n int
		for b.Loop() {
			n = 0
			for _, r := range recs {
				out, err := tf.Transform(ctx, weir.NewMessage(r))
				if err != nil {
					b.Fatal(err)
				}
				n += len(out)
			}
			out, err := tf.Transform(ctx, weir.NewControl())
			if err != nil {
				b.Fatal(err)
			}
			n += len(out)
		}
		if n != 2 { // one gzip object, then the control message
			b.Fatalf("got %d messages per batch, want 2", n)
		}
	})
	b.Run("encoder", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var batch []byte
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for b.Loop() {
			batch = batch[:0]
			for i, r := range recs {
				if i > 0 {
					batch = append(batch, '\n')
				}
				batch = append(batch, r...)
			}
			buf.Reset()
			zw.Reset(&buf)
			_, _ = zw.Write(batch)
			_ = zw.Close()
		}
	})
}
