package sendtransform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/s3test"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
	"github.com/weirhq/weir/transform/transformtest"
)

// objects returns every object of bucket, by key.
func objects(t *testing.T, c *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	for _, o := range list.Contents {
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		require.NoError(t, err)
		b, err := io.ReadAll(got.Body)
		require.NoError(t, err)
		_ = got.Body.Close()
		out[aws.ToString(o.Key)] = b
	}
	return out
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(out)
}

func TestS3FromConfig(t *testing.T) {
	c := s3test.Client(t)
	ep := s3test.Endpoint(t)
	bucket := s3test.Bucket(t, c)
	setAWSEnv(t)
	s3test.Setenv(t) // s3rver's credentials
	ctx := context.Background()
	tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_s3", Settings: map[string]any{
		"aws":                     map[string]any{"arn": "arn:aws:s3:::" + bucket, "endpoint": ep},
		"file_path":               map[string]any{"prefix": "logs", "time_format": "2006/01/02", "uuid": true, "suffix": ".jsonl.gz"},
		"use_batch_key_as_prefix": true,
		"storage_class":           "STANDARD_IA",
		"object":                  map[string]any{"batch_key": "tenant"},
		"batch":                   map[string]any{"count": 3},
		"auxiliary_transforms": []any{
			map[string]any{"type": "aggregate_to_string", "settings": map[string]any{"separator": "\n"}},
			map[string]any{"type": "string_append", "settings": map[string]any{"suffix": "\n"}},
			map[string]any{"type": "format_to_gzip"},
		},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	in := []string{`{"tenant":"acme","n":1}`, `{"tenant":"initech","n":2}`, `{"tenant":"acme","n":3}`, `{"tenant":"acme","n":4}`, `{"n":5}`}
	data := make([][]byte, len(in))
	for i, s := range in {
		data[i] = []byte(s)
	}
	require.Empty(t, sendAll(ctx, t, tf, data))

	got := objects(t, c, bucket)
	byPrefix := map[string][]string{}
	day := time.Now().UTC().Format("2006/01/02")
	for k, v := range got {
		prefix, rest, ok := strings.Cut(k, "/")
		require.True(t, ok, k)
		assert.True(t, strings.HasPrefix(rest, time.Now().Format("2006/01/02")) || strings.HasPrefix(rest, day), k)
		assert.True(t, strings.HasSuffix(k, ".jsonl.gz"), k)
		byPrefix[prefix] = append(byPrefix[prefix], gunzip(t, v))
	}
	assert.Equal(t, []string{`{"tenant":"acme","n":1}` + "\n" + `{"tenant":"acme","n":3}` + "\n" + `{"tenant":"acme","n":4}` + "\n"}, byPrefix["acme"])
	assert.Equal(t, []string{`{"tenant":"initech","n":2}` + "\n"}, byPrefix["initech"])
	assert.Equal(t, []string{`{"n":5}` + "\n"}, byPrefix["logs"], "no batch key: the prefix")

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(firstKey(got, "initech/"))})
	require.NoError(t, err)
	assert.Equal(t, "STANDARD_IA", string(head.StorageClass))
}

func firstKey(m map[string][]byte, prefix string) string {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return k
		}
	}
	return ""
}

func TestS3Checksum(t *testing.T) {
	c := s3test.Client(t)
	bucket := s3test.Bucket(t, c)
	ctx := context.Background()
	tf, err := sendtransform.NewSendAWSS3(ctx, nil, sendtransform.SendAWSS3Config{
		Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: bucket}}, ChecksumAlgorithm: "sha256", Client: c,
	})
	require.NoError(t, err)
	require.Empty(t, sendAll(ctx, t, tf, [][]byte{[]byte("a\n"), []byte("b\n")}))
	got := objects(t, c, bucket)
	require.Len(t, got, 1)
	for _, v := range got {
		assert.Equal(t, "a\nb\n", string(v))
	}
}

func TestS3Config(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]sendtransform.SendAWSS3Config{
		"no arn":         {},
		"storage class":  {Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "b"}}, StorageClass: "COLD"},
		"checksum":       {Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "b"}}, ChecksumAlgorithm: "md4"},
		"negative retry": {Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "b"}, Retry: &weir.RetrySettings{Count: -1}}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Client = s3.New(s3.Options{Region: "us-east-1"})
			_, err := sendtransform.NewSendAWSS3(ctx, nil, cfg)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
		})
	}
}

func TestS3Contract(t *testing.T) {
	c := s3test.Client(t)
	bucket := s3test.Bucket(t, c)
	transformtest.Run(t, func() (transform.Transformer, error) {
		return sendtransform.NewSendAWSS3(context.Background(), nil, sendtransform.SendAWSS3Config{
			Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: bucket}, Batch: transform.BatchSettings{Count: 100}}, Client: c,
		})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`)}, SkipLarge: true})
}
