package sendtransform_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/ctgen"
	"github.com/weirhq/weir/internal/s3test"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
)

// BenchmarkKinesis sends CloudTrail records through
// send_aws_kinesis_data_stream with record aggregation to kinesis-local,
// one record per op, and reports events/s. The final control message (in
// the timing) waits until every record is acknowledged. kinesis-local is
// slow (about 1 MB/s): the figure measures it more than Weir.
func BenchmarkKinesis(b *testing.B) {
	c := kinesisClient(b, nil)
	arn := createStream(b, c, 4)
	ctx := context.Background()
	recs := ctgen.Generate(1000, 3)
	tf, err := sendtransform.NewSendAWSKinesisDataStream(ctx, nil, sendtransform.SendAWSKinesisDataStreamConfig{
		Common:                  sendtransform.Common{AWS: weir.AWSSettings{ARN: arn}, Batch: transform.BatchSettings{Count: 5000, Size: 5 << 20}},
		EnableRecordAggregation: true,
		Client:                  c,
	})
	require.NoError(b, err)
	defer tf.Close()
	var size int64
	for _, r := range recs {
		size += int64(len(r))
	}
	b.SetBytes(size / int64(len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tf.Transform(ctx, weir.NewMessage(recs[i%len(recs)])); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// stdGzip is format_to_gzip with the standard library's compress/gzip, to
// compare with klauspost/compress's, which format_to_gzip uses.
var stdGzip = transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	var buf bytes.Buffer
	zw := stdgzip.NewWriter(&buf)
	_, _ = zw.Write(msg.Data())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return []*weir.Message{weir.NewMessage(buf.Bytes())}, nil
})

// BenchmarkS3Gzip writes batches of 1,000 CloudTrail records (about 1.1
// MB) as one gzip NDJSON object each to s3rver, per op, with gzip from
// klauspost/compress (format_to_gzip) and from the standard library.
func BenchmarkS3Gzip(b *testing.B) {
	c := s3test.Client(b)
	bucket := s3test.Bucket(b, c)
	ctx := context.Background()
	recs := ctgen.Generate(1000, 5)
	var size int64
	for _, r := range recs {
		size += int64(len(r)) + 1
	}
	for _, impl := range []string{"klauspost", "stdlib"} {
		b.Run(impl, func(b *testing.B) {
			join, err := transform.NewAggregateToString(transform.AggregateToStringConfig{Separator: "\n", Batch: transform.BatchSettings{Count: 1000, Size: 4 << 20}})
			require.NoError(b, err)
			var zip transform.Transformer = stdGzip
			if impl == "klauspost" {
				zip, err = transform.NewFormatToGzip(transform.FormatToGzipConfig{})
				require.NoError(b, err)
			}
			tf, err := sendtransform.NewSendAWSS3(ctx, nil, sendtransform.SendAWSS3Config{
				Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: bucket}, Batch: transform.BatchSettings{Count: 1000, Size: 4 << 20},
					AuxTransforms: []transform.Transformer{join, zip}},
				FilePath: transform.FilePath{Prefix: impl, UUID: true, Suffix: ".jsonl.gz"},
				Client:   c,
			})
			require.NoError(b, err)
			defer tf.Close()
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range recs {
					if _, err := tf.Transform(ctx, weir.NewMessage(r)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tf.Transform(ctx, weir.NewControl()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGzip compresses the same 1.1 MB batch in memory, without S3:
// the compression alone.
func BenchmarkGzip(b *testing.B) {
	var batch []byte
	for _, r := range ctgen.Generate(1000, 5) {
		batch = append(append(batch, r...), '\n')
	}
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for b.Loop() {
			buf.Reset()
			zw.Reset(&buf)
			_, _ = zw.Write(batch)
			_ = zw.Close()
		}
		b.ReportMetric(float64(len(batch))/float64(buf.Len()), "ratio")
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		var buf bytes.Buffer
		zw := stdgzip.NewWriter(&buf)
		for b.Loop() {
			buf.Reset()
			zw.Reset(&buf)
			_, _ = zw.Write(batch)
			_ = zw.Close()
		}
		b.ReportMetric(float64(len(batch))/float64(buf.Len()), "ratio")
	})
}
