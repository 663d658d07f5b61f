package awsenrich_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/internal/s3test"
)

// s3Source is a Source whose s3:// locations are read with c.
func s3Source(c awsenrich.S3GetObjectAPI, maxSize int64) enrich.Source {
	return enrich.Source{Openers: map[string]enrich.Opener{"s3": awsenrich.S3Opener{Client: c}}, MaxSize: maxSize}
}

func TestSourceBadLocation(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"s3://", "s3://bucket", "s3://bucket/", "s3:///key"} {
		t.Run(loc, func(t *testing.T) {
			t.Parallel()
			_, err := enrich.NewTable(enrich.TableConfig{Path: loc, Format: enrich.Text, Source: s3Source(nil, 0)})
			var te *enrich.TableError
			require.ErrorAs(t, err, &te)
			var se *enrich.SourceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, loc, se.Location)

			_, err = enrich.NewMMDB(enrich.MMDBConfig{Path: loc, Source: s3Source(nil, 0)})
			require.ErrorAs(t, err, &se)

			_, err = s3Source(nil, 0).Fetch(context.Background(), loc)
			require.ErrorAs(t, err, &se)
		})
	}
}

// TestSourceS3NoClient checks the errors of an S3 client built from an
// environment without a region, then without credentials (the SDK's
// default chain finds none: the instance metadata service is off in tests); it changes the environment, so it does not
// run in parallel.
func TestSourceS3NoClient(t *testing.T) {
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"} {
		t.Setenv(env, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	_, err := enrich.NewTable(enrich.TableConfig{Path: "s3://bucket/key.txt", Format: enrich.Text, Source: s3Source(nil, 0)})
	var se *enrich.SourceError
	require.ErrorAs(t, err, &se)
	assert.ErrorContains(t, err, `"aws.region": no region`)

	t.Setenv("AWS_REGION", "us-east-1")
	_, err = enrich.NewTable(enrich.TableConfig{Path: "s3://bucket/key.txt", Format: enrich.Text, Source: s3Source(nil, 0)})
	require.ErrorAs(t, err, &se)
	assert.ErrorContains(t, err, "get credentials")
}

func TestSourceS3(t *testing.T) {
	t.Parallel()
	c := s3test.Client(t)
	bucket := s3test.Bucket(t, c)
	s3test.Put(t, c, bucket, "dir/a.txt", []byte("hello"))
	s3test.Put(t, c, bucket, "big.txt", []byte(strings.Repeat("y", 100)))
	src := s3Source(c, 32)

	b, err := src.Fetch(context.Background(), "s3://"+bucket+"/dir/a.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))

	tests := []struct {
		name     string
		loc      string
		wantCode int
		wantErr  error
	}{
		{name: "no such key", loc: "s3://" + bucket + "/none", wantCode: 404, wantErr: fs.ErrNotExist},
		{name: "no such bucket", loc: "s3://" + bucket + "-none/a.txt", wantCode: 404, wantErr: fs.ErrNotExist},
		{name: "too large", loc: "s3://" + bucket + "/big.txt", wantErr: weir.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := src.Fetch(context.Background(), tt.loc)
			var se *enrich.SourceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.loc, se.Location)
			assert.Equal(t, tt.wantCode, se.StatusCode)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestTableS3Reload(t *testing.T) {
	t.Parallel()
	c := s3test.Client(t)
	bucket := s3test.Bucket(t, c)
	s3test.Put(t, c, bucket, "kv.json", []byte(`{"a":1}`))
	loc := "s3://" + bucket + "/kv.json"
	tab, err := enrich.NewTable(enrich.TableConfig{Path: loc, Format: enrich.JSON, Source: s3Source(c, 0)})
	require.NoError(t, err)
	v, ok := tab.Get("a")
	require.True(t, ok)
	assert.Equal(t, "1", string(v))

	s3test.Put(t, c, bucket, "kv.json", []byte(`{"a":2,"b":3}`))
	require.NoError(t, tab.Reload())
	v, _ = tab.Get("a")
	assert.Equal(t, "2", string(v))
	assert.Equal(t, 2, tab.Len())

	_, err = c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("kv.json")})
	require.NoError(t, err)
	err = tab.Reload()
	var te *enrich.TableError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, loc, te.Path)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, 2, tab.Len(), "a failed reload keeps the contents")
}
