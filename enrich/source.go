package enrich

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/weirhq/weir/internal/awsclient"
)

// The defaults of [Source].
const (
	// DefaultMaxSize is the largest remote file a Source reads when its
	// MaxSize is 0: 1 GiB.
	DefaultMaxSize = 1 << 30
	// DefaultFetchTimeout bounds one remote fetch when a Source's Timeout
	// is 0.
	DefaultFetchTimeout = time.Minute
)

// Source says how the files of tables and MMDBs are fetched. A location
// is one of
//
//   - a local path, read with os.ReadFile: no size limit, no timeout;
//   - an http:// or https:// URL, fetched with a GET that must answer
//     2xx;
//   - s3://bucket/key, an object fetched with S3 GetObject.
//
// as Substation's file-backed kv stores accept them. The whole file is
// read into memory; a reload fetches it again. The zero value is ready to
// use: http.DefaultClient, an S3 client built from the environment,
// [DefaultMaxSize] and [DefaultFetchTimeout].
//
// A Source is a value that is not changed once in use; it is safe for
// concurrent use if its clients are.
type Source struct {
	// HTTPClient fetches http(s) URLs; nil means http.DefaultClient.
	HTTPClient *http.Client

	// S3 fetches s3:// objects. If nil, [NewTable] and [NewMMDB] build
	// one client when their path is an s3:// URL (and Fetch one per
	// call), with
	//   - the region S3Region, or else AWS_REGION or AWS_DEFAULT_REGION
	//     (one is required);
	//   - the endpoint S3Endpoint, or else AWS_ENDPOINT_URL_S3 or
	//     AWS_ENDPOINT_URL, if any: an endpoint that is set is addressed
	//     path-style (http://host/bucket/key), as S3-compatible servers
	//     expect;
	//   - static credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
	//     and AWS_SESSION_TOKEN (the first two are required).
	// For other credentials (roles, profiles), give a client built with
	// them: an *s3.Client satisfies [S3GetObjectAPI].
	S3 S3GetObjectAPI
	// S3Region is the region of the S3 client built when S3 is nil.
	S3Region string
	// S3Endpoint is the endpoint of the S3 client built when S3 is nil,
	// e.g. "http://127.0.0.1:4568".
	S3Endpoint string

	// MaxSize is the largest remote file read, in bytes; 0 means
	// [DefaultMaxSize]. A larger one fails with [ErrTooLarge]. Local
	// files have no limit.
	MaxSize int64
	// Timeout bounds each remote fetch, including reading the body; 0
	// means [DefaultFetchTimeout].
	Timeout time.Duration
}

// S3GetObjectAPI is the part of *s3.Client a [Source] uses. GetObject is
// called concurrently.
type S3GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ErrTooLarge: a remote file is larger than Source.MaxSize. Raise the
// limit or use a smaller file.
var ErrTooLarge = errors.New("enrich: file too large")

// SourceError is the error of fetching a remote location (a local path
// fails with an *os.PathError). A file that does not exist (HTTP 404 or
// 410, S3 NoSuchKey or NoSuchBucket) matches fs.ErrNotExist, as a missing
// local file does; one larger than Source.MaxSize matches [ErrTooLarge].
type SourceError struct {
	Location   string // the URL
	StatusCode int    // the HTTP status of the response at fault, or 0
	Err        error  // the cause
}

// Error implements error.
func (e *SourceError) Error() string {
	return fmt.Sprintf("enrich: fetch %s: %v", e.Location, e.Err)
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// The kinds of location.
const (
	locLocal = iota
	locHTTP
	locS3
)

// parseLocation returns the kind of a location and, for s3://, its bucket
// and key.
func parseLocation(loc string) (kind int, bucket, key string, err error) {
	switch {
	case strings.HasPrefix(loc, "http://"), strings.HasPrefix(loc, "https://"):
		return locHTTP, "", "", nil
	case strings.HasPrefix(loc, "s3://"):
		bucket, key, _ = strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
		if bucket == "" || key == "" {
			return 0, "", "", errors.New("want s3://bucket/key")
		}
		return locS3, bucket, key, nil
	}
	return locLocal, "", "", nil
}

// isRemote reports whether loc is a URL rather than a local path.
func isRemote(loc string) bool {
	k, _, _, _ := parseLocation(loc)
	return k != locLocal
}

// forLocation checks loc and returns s ready to fetch it: with an S3
// client built once if loc is s3:// and s has none.
func (s Source) forLocation(loc string) (Source, error) {
	kind, _, _, err := parseLocation(loc)
	if err != nil {
		return s, &SourceError{Location: loc, Err: err}
	}
	if kind == locS3 && s.S3 == nil {
		c, err := s.newS3Client()
		if err != nil {
			return s, &SourceError{Location: loc, Err: err}
		}
		s.S3 = c
	}
	return s, nil
}

// newS3Client builds the default S3 client (see Source.S3).
func (s Source) newS3Client() (*s3.Client, error) {
	c, err := awsclient.Resolve(awsclient.Settings{
		Region:      s.S3Region,
		Endpoint:    s.S3Endpoint,
		EndpointEnv: []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"},
	})
	switch {
	case errors.Is(err, awsclient.ErrNoRegion):
		return nil, errors.New("no S3 region: set Source.S3Region, AWS_REGION or AWS_DEFAULT_REGION, or give a client")
	case errors.Is(err, awsclient.ErrNoCredentials):
		return nil, errors.New("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a client")
	case err != nil:
		return nil, err
	}
	return s3.New(s3.Options{
		Region:       c.Region,
		Credentials:  c.Credentials,
		BaseEndpoint: c.Endpoint,
		UsePathStyle: c.Endpoint != nil, // as S3-compatible servers expect
	}), nil
}

// Fetch returns the contents of the file at location: a local path, an
// http(s):// URL or s3://bucket/key (see [Source]). Remote fetches are
// bounded by ctx and Source.Timeout; their errors are *[SourceError]s.
// With no S3 client, each s3:// fetch builds one.
func (s Source) Fetch(ctx context.Context, location string) ([]byte, error) {
	kind, bucket, key, err := parseLocation(location)
	if err != nil {
		return nil, &SourceError{Location: location, Err: err}
	}
	if kind == locLocal {
		return os.ReadFile(location)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		b    []byte
		code int
	)
	if kind == locHTTP {
		b, code, err = s.fetchHTTP(ctx, location)
	} else {
		b, code, err = s.fetchS3(ctx, bucket, key)
	}
	if err != nil {
		return nil, &SourceError{Location: location, StatusCode: code, Err: err}
	}
	return b, nil
}

// fetchHTTP GETs url; on error it also returns the response's status, if
// any.
func (s Source) fetchHTTP(ctx context.Context, url string) ([]byte, int, error) {
	c := s.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // let a short body's connection be reused
		_ = resp.Body.Close()
	}()
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound || code == http.StatusGone:
		return nil, code, fmt.Errorf("%w (HTTP %s)", fs.ErrNotExist, resp.Status)
	case code < 200 || code > 299:
		return nil, code, fmt.Errorf("HTTP %s", resp.Status)
	}
	b, err := s.readAll(resp.Body, resp.ContentLength)
	return b, 0, err
}

// fetchS3 gets an object; on error it also returns the response's status,
// if any.
func (s Source) fetchS3(ctx context.Context, bucket, key string) ([]byte, int, error) {
	c := s.S3
	if c == nil {
		nc, err := s.newS3Client()
		if err != nil {
			return nil, 0, err
		}
		c = nc
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		code := 0
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			code = re.HTTPStatusCode()
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NoSuchKey", "NoSuchBucket", "NotFound":
				return nil, code, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
			}
		}
		return nil, code, err
	}
	defer out.Body.Close()
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	b, err := s.readAll(out.Body, size)
	return b, 0, err
}

// readAll reads r, whose length is size if size >= 0, up to MaxSize.
func (s Source) readAll(r io.Reader, size int64) ([]byte, error) {
	limit := s.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, size, limit)
	}
	var buf bytes.Buffer
	if size >= 0 {
		buf.Grow(int(size) + bytes.MinRead) // one read past the end sees EOF
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}
