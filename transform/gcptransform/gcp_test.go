package gcptransform_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/iterator"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/gcptransform"
	"github.com/weirhq/weir/transform/transformtest"
)

func TestMain(m *testing.M) { testenv.Main(m, false) }

// fakeGCS starts fake-gcs-server's fakestorage on 127.0.0.1 with a
// bucket, and returns a client of it.
func fakeGCS(t *testing.T, bucket string) *storage.Client {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	return srv.Client()
}

func readAll(t *testing.T, c *storage.Client, bucket string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	it := c.Bucket(bucket).Objects(ctx, nil)
	for {
		a, err := it.Next()
		if err == iterator.Done {
			return out
		}
		require.NoError(t, err)
		r, err := c.Bucket(bucket).Object(a.Name).NewReader(ctx)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		_ = r.Close()
		out[a.Name] = string(b)
	}
}

func TestSendGCPStorage(t *testing.T) {
	c := fakeGCS(t, "weir")
	ctx := context.Background()
	aux, err := transform.NewAggregateToString(transform.AggregateToStringConfig{Separator: "\n"})
	require.NoError(t, err)
	tf, err := gcptransform.NewSendGCPStorage(ctx, gcptransform.SendGCPStorageConfig{
		GCP: gcptransform.GCPSettings{Resource: "weir"}, FilePath: transform.FilePath{Prefix: "logs", UUID: true, Suffix: ".jsonl"},
		UseBatchKeyAsPrefix: true, Object: transform.ObjectSettings{BatchKey: "tenant"}, Batch: transform.BatchSettings{Count: 2},
		AuxTransforms: []transform.Transformer{aux}, Client: c,
	})
	require.NoError(t, err)
	defer tf.Close()
	for _, d := range []string{`{"tenant":"a","n":1}`, `{"tenant":"b","n":2}`, `{"tenant":"a","n":3}`, `{"n":4}`} {
		msg := weir.NewMessage([]byte(d))
		out, err := tf.Transform(ctx, msg)
		require.NoError(t, err)
		assert.Equal(t, []*weir.Message{msg}, out)
	}
	_, err = tf.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	got := map[string]string{}
	for k, v := range readAll(t, c, "weir") {
		prefix, _, _ := strings.Cut(k, "/")
		assert.True(t, strings.HasSuffix(k, ".jsonl"), k)
		got[prefix] = v
	}
	assert.Equal(t, map[string]string{
		"a":    `{"tenant":"a","n":1}` + "\n" + `{"tenant":"a","n":3}`,
		"b":    `{"tenant":"b","n":2}`,
		"logs": `{"n":4}`,
	}, got)
}

func TestSendGCPStorageMissingBucket(t *testing.T) {
	c := fakeGCS(t, "weir")
	ctx := context.Background()
	_, err := gcptransform.NewSendGCPStorage(ctx, gcptransform.SendGCPStorageConfig{Client: c})
	assert.ErrorIs(t, err, weir.ErrMissingSetting)
	tf, err := gcptransform.NewSendGCPStorage(ctx, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "nope"}, Client: c})
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewControl())
	require.Error(t, err)
	assert.Equal(t, 1, transform.FailedCount(err), "the batch's message is reported")
}

func TestSendGCPStorageContract(t *testing.T) {
	c := fakeGCS(t, "weir")
	transformtest.Run(t, func() (transform.Transformer, error) {
		return gcptransform.NewSendGCPStorage(context.Background(), gcptransform.SendGCPStorageConfig{
			GCP: gcptransform.GCPSettings{Resource: "weir"}, Batch: transform.BatchSettings{Count: 50}, Client: c})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`)}, SkipLarge: true})
}
