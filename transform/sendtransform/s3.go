package sendtransform

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// S3MaxObjectSize is the largest object one PutObject call uploads: "Upload
// an object in a single operation by using the AWS SDKs, REST API, or AWS
// CLI – With a single PUT operation, you can upload a single object up to
// 5 GB in size" (Amazon S3 User Guide, Uploading objects).
const S3MaxObjectSize = 5 << 30

// S3API is the part of the S3 client the send uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// SendAWSS3Config configures [SendAWSS3], the send_aws_s3 transform.
//
//	{"type": "send_aws_s3", "settings": {
//	    "aws": {"arn": "arn:aws:s3:::my-bucket"},
//	    "file_path": {"prefix": "logs", "time_format": "2006/01/02", "uuid": true, "suffix": ".jsonl.gz"},
//	    "storage_class": "STANDARD", "checksum_algorithm": "SHA256",
//	    "use_batch_key_as_prefix": false,
//	    "auxiliary_transforms": [{"type": "format_to_gzip"}]}}
type SendAWSS3Config struct {
	Common
	// FilePath names each object (see transform.FilePath); the zero value
	// means a random UUID, as in Substation.
	FilePath transform.FilePath
	// UseBatchKeyAsPrefix replaces FilePath.Prefix with the batch key when
	// it is not empty.
	UseBatchKeyAsPrefix bool
	// StorageClass is the objects' storage class; empty means STANDARD.
	StorageClass string
	// ChecksumAlgorithm, if set, has S3 verify the upload with that
	// checksum: CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.
	ChecksumAlgorithm string
	// Client uploads; nil means a client built from AWS. The bucket is the
	// name in AWS.ARN (required): "arn:aws:s3:::bucket" or "bucket".
	Client S3API
}

// SendAWSS3 writes each batch of messages to a new S3 object and passes
// every message on unchanged. The object holds the data of the batch's
// messages after the auxiliary transforms, concatenated with nothing in
// between, as send_file writes (add separators or compression with the
// auxiliary transforms). See the package documentation.
type SendAWSS3 struct {
	sendBase
	client    S3API
	bucket    string
	path      transform.FilePath
	keyPrefix bool
	class     types.StorageClass
	checksum  types.ChecksumAlgorithm
	now       func() time.Time
}

type s3Settings struct {
	commonSettings
	FilePath            transform.FilePath `json:"file_path"`
	UseBatchKeyAsPrefix bool               `json:"use_batch_key_as_prefix,omitempty"`
	StorageClass        string             `json:"storage_class,omitempty"`
	ChecksumAlgorithm   string             `json:"checksum_algorithm,omitempty"`
}

func buildS3(ctx context.Context, env *transform.Env, s s3Settings) (*SendAWSS3, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSS3, error) {
		return NewSendAWSS3(ctx, env, SendAWSS3Config{Common: c, FilePath: s.FilePath, UseBatchKeyAsPrefix: s.UseBatchKeyAsPrefix,
			StorageClass: s.StorageClass, ChecksumAlgorithm: s.ChecksumAlgorithm})
	})
}

// NewSendAWSS3 returns a SendAWSS3. It takes ownership of the auxiliary
// transforms.
func NewSendAWSS3(ctx context.Context, env *transform.Env, cfg SendAWSS3Config) (*SendAWSS3, error) {
	const typ = "send_aws_s3"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSS3{client: cfg.Client, bucket: resourceName(cfg.AWS.ARN), path: cfg.FilePath, keyPrefix: cfg.UseBatchKeyAsPrefix, now: cfg.Now}
	if t.path == (transform.FilePath{}) {
		t.path.UUID = true
	}
	if t.now == nil {
		t.now = time.Now
	}
	if cfg.StorageClass != "" {
		t.class = types.StorageClass(cfg.StorageClass)
		if !validEnum(t.class, t.class.Values()) {
			return nil, &weir.ConfigError{Type: typ, Field: "storage_class", Err: fmt.Errorf("%q is not one of %v", cfg.StorageClass, t.class.Values())}
		}
	}
	if cfg.ChecksumAlgorithm != "" {
		t.checksum = types.ChecksumAlgorithm(strings.ToUpper(cfg.ChecksumAlgorithm))
		if !validEnum(t.checksum, t.checksum.Values()) {
			return nil, &weir.ConfigError{Type: typ, Field: "checksum_algorithm", Err: fmt.Errorf("%q is not one of %v", cfg.ChecksumAlgorithm, t.checksum.Values())}
		}
	}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = s3.NewFromConfig(ac, func(o *s3.Options) {
			o.BaseEndpoint = awsenv.Endpoint(cfg.AWS)
			o.UsePathStyle = cfg.AWS.Endpoint != "" // emulators on loopback
		})
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

func validEnum[T comparable](v T, values []T) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// Key returns the object key of a batch of key written at now.
func (t *SendAWSS3) objectKey(key string, now time.Time) (string, error) {
	prefix := t.path.Prefix
	if t.keyPrefix && key != "" {
		prefix = key
	}
	name := strings.TrimPrefix(path.Clean("/"+t.path.Name(prefix, now)), "/")
	if name == "" || name == "." {
		return "", fmt.Errorf("file_path is empty for a batch without a key: %w", weir.ErrInvalidData)
	}
	return name, nil
}

func (t *SendAWSS3) send(ctx context.Context, key string, data [][]byte) error {
	body := aggregate.AppendJoin(nil, data, nil)
	all := make([]int, len(data))
	for i := range all {
		all[i] = i
	}
	var p plan
	objKey, err := t.objectKey(key, t.now())
	switch {
	case err != nil:
		for i := range data {
			p.failed = append(p.failed, transform.FailedItem{Index: i, Data: data[i], Code: "InvalidData", Err: err})
		}
	case len(body) > S3MaxObjectSize:
		for i := range data {
			p.tooLarge(data, i, len(body), S3MaxObjectSize, "S3 object")
		}
	default:
		p.entries = []entry{{items: all, size: len(body)}}
		p.calls = [][]int{{0}}
	}
	return p.run(ctx, &t.sendBase, "s3", data, func(ctx context.Context, _ []int) (map[int]sendretry.Failure, error) {
		in := &s3.PutObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(objKey), Body: bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body)))}
		if t.class != "" {
			in.StorageClass = t.class
		}
		if t.checksum != "" {
			in.ChecksumAlgorithm = t.checksum
		}
		_, err := t.client.PutObject(ctx, in)
		return nil, err
	})
}
