// Package s3test connects tests to the S3 protocol server (s3rver) that
// `make test` starts, and creates throwaway buckets on it.
//
// The server's address comes from WEIR_S3_ENDPOINT. Without it, a test
// that needs the server is skipped with a message that says how to get
// one; with WEIR_REQUIRE_SERVICES=1 (set by `make test`) it fails instead.
// The server takes path-style addresses (http://host/bucket/key) only.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/weirhq/weir/internal/testenv"
)

// EnvEndpoint names the variable holding the server's URL.
const EnvEndpoint = "WEIR_S3_ENDPOINT"

// The region and static credentials the helpers use; the server accepts
// any.
const (
	Region    = "us-east-1"
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// Endpoint returns the server's URL, or skips t (fails it under
// WEIR_REQUIRE_SERVICES=1) when there is none.
func Endpoint(t testing.TB) string {
	t.Helper()
	return testenv.Endpoint(t, EnvEndpoint, "s3rver")
}

// Client returns an S3 client for the server: path-style, static test
// credentials, no SDK-level retries, and its own HTTP transport, whose
// idle connections are closed when the test ends. It skips t as
// [Endpoint] does.
func Client(t testing.TB) *s3.Client {
	t.Helper()
	o := Options(Endpoint(t))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	o.HTTPClient = &http.Client{Transport: tr}
	return s3.New(o)
}

// Options are the client options for endpoint; tests may adjust them.
// Checksums are sent only when an operation requires them, which the
// server supports.
func Options(endpoint string) s3.Options {
	return s3.Options{
		Region:                     Region,
		BaseEndpoint:               aws.String(endpoint),
		Credentials:                credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		UsePathStyle:               true,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
}

// Setenv points the AWS_* environment variables an S3 client built from
// the environment reads (region, AWS_ENDPOINT_URL_S3, static credentials)
// at the server, for the rest of t, and returns the endpoint. Like
// t.Setenv, it cannot be used in parallel tests. It skips t as [Endpoint]
// does.
func Setenv(t *testing.T) string {
	t.Helper()
	ep := Endpoint(t)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", ep)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	return ep
}

// Bucket creates a bucket under a random name and deletes it, with its
// objects, when the test ends. It returns the name.
func Bucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "weir-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
		if err == nil {
			for _, o := range out.Contents {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key})
			}
		}
		_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	})
	return name
}

// Put writes body to the object bucket/key, failing t on error.
func Put(t testing.TB, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		t.Fatalf("s3test: put s3://%s/%s: %v", bucket, key, err)
	}
}
