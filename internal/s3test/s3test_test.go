package s3test_test

import (
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/s3test"
)

// TestBucket round-trips an object through a throwaway bucket on the
// server.
func TestBucket(t *testing.T) {
	t.Parallel()
	c := s3test.Client(t)
	b := s3test.Bucket(t, c)
	s3test.Put(t, c, b, "dir/obj.txt", []byte("hello"))
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.txt")})
	require.NoError(t, err)
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}
