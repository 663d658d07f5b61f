package sendtransform

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of SNS PublishBatch (Amazon SNS API Reference, PublishBatch): up
// to 10 messages per call; "The total aggregate size of all messages in a
// single PublishBatch request can't exceed 262,144 bytes (256 KiB)", which
// is also the largest message (Publish: "up to 256 KB").
const (
	SNSMaxMessages    = 10
	SNSMaxMessageSize = 256 << 10
	SNSMaxRequestSize = 256 << 10
)

// SNSAPI is the part of the SNS client the send uses.
type SNSAPI interface {
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// SendAWSSNSConfig configures [SendAWSSNS], the send_aws_sns transform.
//
//	{"type": "send_aws_sns", "settings": {
//	    "aws": {"arn": "arn:aws:sns:us-east-1:123456789012:events"}}}
type SendAWSSNSConfig struct {
	Common
	// Client publishes; nil means a client built from AWS. The topic is
	// AWS.ARN (required).
	Client SNSAPI
}

// SendAWSSNS publishes batches of messages to an SNS topic with
// PublishBatch, one SNS message per message, and passes every message on
// unchanged. A FIFO topic (".fifo") gets the batch key, or "weir", as the
// message group ID. See the package documentation.
type SendAWSSNS struct {
	sendBase
	client SNSAPI
	arn    string
	fifo   bool
}

func buildSNS(ctx context.Context, env *transform.Env, s commonSettings) (*SendAWSSNS, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSSNS, error) {
		return NewSendAWSSNS(ctx, env, SendAWSSNSConfig{Common: c})
	})
}

// NewSendAWSSNS returns a SendAWSSNS. It takes ownership of the auxiliary
// transforms.
func NewSendAWSSNS(ctx context.Context, env *transform.Env, cfg SendAWSSNSConfig) (*SendAWSSNS, error) {
	const typ = "send_aws_sns"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSSNS{client: cfg.Client, arn: cfg.AWS.ARN, fifo: strings.HasSuffix(cfg.AWS.ARN, ".fifo")}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = sns.NewFromConfig(ac, func(o *sns.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *SendAWSSNS) send(ctx context.Context, key string, data [][]byte) error {
	var p plan
	for i, d := range data {
		if len(d) > SNSMaxMessageSize {
			p.tooLarge(data, i, len(d), SNSMaxMessageSize, "SNS message")
			continue
		}
		p.entries = append(p.entries, entry{items: []int{i}, size: len(d)})
	}
	p.greedy(SNSMaxMessages, SNSMaxRequestSize)
	group := key
	if group == "" {
		group = "weir"
	}
	return p.run(ctx, &t.sendBase, "sns", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		in := &sns.PublishBatchInput{TopicArn: aws.String(t.arn), PublishBatchRequestEntries: make([]types.PublishBatchRequestEntry, len(idx))}
		for j, e := range idx {
			in.PublishBatchRequestEntries[j] = types.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(e)), Message: aws.String(string(data[p.entries[e].items[0]]))}
			if t.fifo {
				in.PublishBatchRequestEntries[j].MessageGroupId = aws.String(group)
			}
		}
		out, err := t.client.PublishBatch(ctx, in)
		if err != nil {
			return nil, err
		}
		return batchResultFailures(out.Failed, func(f types.BatchResultErrorEntry) (*string, *string, *string, bool) {
			return f.Id, f.Code, f.Message, f.SenderFault
		}), nil
	})
}
