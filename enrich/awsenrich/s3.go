package awsenrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/internal/awsclient"
)

// S3GetObjectAPI is the part of *s3.Client that [S3Opener] uses.
// GetObject is called concurrently.
type S3GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Opener is the [enrich.Opener] of s3://bucket/key locations: register
// it as Openers["s3"] of an enrich.Source. It gets the object with S3
// GetObject; NoSuchKey, NoSuchBucket and NotFound match fs.ErrNotExist.
//
// With no Client, each Open builds a client from the environment (the
// region from AWS_REGION or AWS_DEFAULT_REGION; the endpoint from
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, addressed path-style as
// S3-compatible servers expect) and closes its connections when done.
type S3Opener struct {
	// Client gets the objects; nil means a client built for each Open.
	Client S3GetObjectAPI
}

// Open implements [enrich.Opener].
func (o S3Opener) Open(ctx context.Context, _ *enrich.Source, location string) (io.ReadCloser, int64, error) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(location, "s3://"), "/")
	if bucket == "" || key == "" {
		return nil, 0, errors.New("want s3://bucket/key")
	}
	c := o.Client
	closeClient := func() {}
	if c == nil {
		nc, done, err := newS3Client()
		if err != nil {
			return nil, 0, err
		}
		c, closeClient = nc, done
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		closeClient()
		code := 0
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			code = re.HTTPStatusCode()
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NoSuchKey", "NoSuchBucket", "NotFound":
				return nil, 0, &enrich.SourceError{Location: location, StatusCode: code, Err: fmt.Errorf("%w: %w", fs.ErrNotExist, err)}
			}
		}
		return nil, 0, &enrich.SourceError{Location: location, StatusCode: code, Err: err}
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return &closingBody{ReadCloser: out.Body, done: closeClient}, size, nil
}

// closingBody closes the client made for one Open with the body.
type closingBody struct {
	io.ReadCloser
	done func()
}

func (b *closingBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// newS3Client builds a client from the environment and returns a function
// that releases its connections.
func newS3Client() (*s3.Client, func(), error) {
	c, err := awsclient.Resolve(awsclient.Settings{EndpointEnv: []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}})
	switch {
	case errors.Is(err, awsclient.ErrNoRegion):
		return nil, nil, errors.New("no S3 region: set AWS_REGION or AWS_DEFAULT_REGION, or give a client")
	case errors.Is(err, awsclient.ErrNoCredentials):
		return nil, nil, errors.New("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a client")
	case err != nil:
		return nil, nil, err
	}
	hc := awsclient.HTTPClient()
	return s3.New(s3.Options{
		Region:       c.Region,
		Credentials:  c.Credentials,
		BaseEndpoint: c.Endpoint,
		UsePathStyle: c.Endpoint != nil,
		HTTPClient:   hc,
	}), hc.CloseIdleConnections, nil
}
