package sendtransform

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of Firehose PutRecordBatch (Amazon Data Firehose API Reference,
// PutRecordBatch): "Each PutRecordBatch request supports up to 500 records.
// Each record in the request can be as large as 1,000 KB (before base64
// encoding), up to a limit of 4 MB for the entire request."
const (
	FirehoseMaxRecords     = 500
	FirehoseMaxRecordSize  = 1000 * 1024 // 1,000 KiB
	FirehoseMaxRequestSize = 4 << 20     // 4 MiB
)

// FirehoseAPI is the part of the Firehose client the send uses.
type FirehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, opts ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// SendAWSDataFirehoseConfig configures [SendAWSDataFirehose], the
// send_aws_data_firehose transform.
//
//	{"type": "send_aws_data_firehose", "settings": {
//	    "aws": {"arn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/events"}}}
type SendAWSDataFirehoseConfig struct {
	Common
	// Client puts the records; nil means a client built from AWS. The
	// delivery stream is the name at the end of AWS.ARN (required).
	Client FirehoseAPI
}

// SendAWSDataFirehose puts batches of messages into an Amazon Data
// Firehose delivery stream with PutRecordBatch, one record per message,
// and passes every message on unchanged. See the package documentation.
type SendAWSDataFirehose struct {
	sendBase
	client FirehoseAPI
	name   string
}

func buildFirehose(ctx context.Context, env *transform.Env, s commonSettings) (*SendAWSDataFirehose, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSDataFirehose, error) {
		return NewSendAWSDataFirehose(ctx, env, SendAWSDataFirehoseConfig{Common: c})
	})
}

// resourceName returns the part of an ARN after its last "/" (or ":"), or
// s itself when it is not an ARN.
func resourceName(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	if i := strings.LastIndexAny(s, "/:"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// NewSendAWSDataFirehose returns a SendAWSDataFirehose. It takes ownership
// of the auxiliary transforms.
func NewSendAWSDataFirehose(ctx context.Context, env *transform.Env, cfg SendAWSDataFirehoseConfig) (*SendAWSDataFirehose, error) {
	const typ = "send_aws_data_firehose"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSDataFirehose{client: cfg.Client, name: resourceName(cfg.AWS.ARN)}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = firehose.NewFromConfig(ac, func(o *firehose.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *SendAWSDataFirehose) send(ctx context.Context, _ string, data [][]byte) error {
	var p plan
	for i, d := range data {
		if len(d) > FirehoseMaxRecordSize {
			p.tooLarge(data, i, len(d), FirehoseMaxRecordSize, "Firehose record")
			continue
		}
		p.entries = append(p.entries, entry{items: []int{i}, size: len(d)})
	}
	p.greedy(FirehoseMaxRecords, FirehoseMaxRequestSize)
	return p.run(ctx, &t.sendBase, "firehose", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(t.name), Records: make([]types.Record, len(idx))}
		for j, e := range idx {
			in.Records[j] = types.Record{Data: data[p.entries[e].items[0]]}
		}
		out, err := t.client.PutRecordBatch(ctx, in)
		if err != nil {
			return nil, err
		}
		if aws.ToInt32(out.FailedPutCount) == 0 {
			return nil, nil
		}
		failed := map[int]sendretry.Failure{}
		for j, r := range out.RequestResponses {
			if j < len(idx) && r.ErrorCode != nil {
				code := aws.ToString(r.ErrorCode)
				failed[idx[j]] = sendretry.Failure{Code: code, Err: errors.New(code + ": " + aws.ToString(r.ErrorMessage)), Retryable: true}
			}
		}
		for _, e := range idx[min(len(out.RequestResponses), len(idx)):] {
			failed[e] = sendretry.Failure{Code: "MissingResult", Err: errors.New("no result for the record"), Retryable: true}
		}
		return failed, nil
	})
}
