package awsenrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich"
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
// With no Client, each Open builds a client from the Source's AWS
// configuration (enrich.Source.AWS: the SDK's default chain when nil; see
// awsenv.ClientConfig) and closes its connections when done.
type S3Opener struct {
	// Client gets the objects; nil means a client built for each Open.
	Client S3GetObjectAPI
}

// Open implements [enrich.Opener].
func (o S3Opener) Open(ctx context.Context, src *enrich.Source, location string) (io.ReadCloser, int64, error) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(location, "s3://"), "/")
	if bucket == "" || key == "" {
		return nil, 0, errors.New("want s3://bucket/key")
	}
	c := o.Client
	closeClient := func() {}
	if c == nil {
		nc, done, err := newS3Client(ctx, src)
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

// newS3Client builds a client from the Source's AWS configuration (see
// awsenv.ClientConfig) and returns a function that releases its
// connections. When AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL points the
// client at another server, it addresses buckets path-style, as
// S3-compatible servers expect.
func newS3Client(ctx context.Context, src *enrich.Source) (*s3.Client, func(), error) {
	var env any
	if src != nil {
		env = src.AWS
	}
	cfg, hc, err := awsenv.ClientConfig(ctx, env, weir.AWSSettings{})
	if err != nil {
		return nil, nil, err
	}
	pathStyle := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), hc.CloseIdleConnections, nil
}
