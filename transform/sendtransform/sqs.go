package sendtransform

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of SQS SendMessageBatch (Amazon SQS API Reference,
// SendMessageBatch): up to 10 messages per call; "The maximum allowed
// individual message size and the maximum total payload size (the sum of
// the individual lengths of all of the batched messages) are both 1 MiB
// (1,048,576 bytes)."
const (
	SQSMaxMessages    = 10
	SQSMaxMessageSize = 1 << 20
	SQSMaxRequestSize = 1 << 20
)

// SQSAPI is the part of the SQS client the send uses.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SendAWSSQSConfig configures [SendAWSSQS], the send_aws_sqs transform.
//
//	{"type": "send_aws_sqs", "settings": {
//	    "aws": {"arn": "arn:aws:sqs:us-east-1:123456789012:events"}}}
type SendAWSSQSConfig struct {
	Common
	// Client sends the messages; nil means a client built from AWS. The
	// queue is AWS.ARN (required): its URL is looked up on first use.
	Client SQSAPI
}

// SendAWSSQS sends batches of messages to an SQS queue with
// SendMessageBatch, one SQS message per message, and passes every message
// on unchanged. A FIFO queue (name ending in ".fifo") gets the batch key,
// or "weir", as the message group ID. See the package documentation.
type SendAWSSQS struct {
	sendBase
	client        SQSAPI
	name, account string
	fifo          bool
	url           string // looked up on first send (sends are serialized)
}

func buildSQS(ctx context.Context, env *transform.Env, s commonSettings) (*SendAWSSQS, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSSQS, error) {
		return NewSendAWSSQS(ctx, env, SendAWSSQSConfig{Common: c})
	})
}

// NewSendAWSSQS returns a SendAWSSQS. It takes ownership of the auxiliary
// transforms.
func NewSendAWSSQS(ctx context.Context, env *transform.Env, cfg SendAWSSQSConfig) (*SendAWSSQS, error) {
	const typ = "send_aws_sqs"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSSQS{client: cfg.Client, name: resourceName(cfg.AWS.ARN)}
	if parts := strings.Split(cfg.AWS.ARN, ":"); len(parts) == 6 && parts[0] == "arn" {
		t.account = parts[4]
	}
	t.fifo = strings.HasSuffix(t.name, ".fifo")
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = sqs.NewFromConfig(ac, func(o *sqs.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

// queueURL returns the queue's URL, looking it up once.
func (t *SendAWSSQS) queueURL(ctx context.Context) (string, error) {
	if t.url != "" {
		return t.url, nil
	}
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(t.name)}
	if t.account != "" {
		in.QueueOwnerAWSAccountId = aws.String(t.account)
	}
	out, err := t.client.GetQueueUrl(ctx, in)
	if err != nil {
		return "", err
	}
	t.url = aws.ToString(out.QueueUrl)
	return t.url, nil
}

// batchResultFailures maps the failed entries of an SQS or SNS batch
// (their Id is the plan entry's index) to retry failures; entry gives an
// entry's id, error code, message and sender fault.
func batchResultFailures[E any](entries []E, entry func(E) (id, code, msg *string, senderFault bool)) map[int]sendretry.Failure {
	failed := map[int]sendretry.Failure{}
	for _, f := range entries {
		id, code, msg, sender := entry(f)
		e, err := strconv.Atoi(aws.ToString(id))
		if err != nil {
			continue
		}
		c := aws.ToString(code)
		failed[e] = sendretry.Failure{Code: c, Err: errors.New(c + ": " + aws.ToString(msg)), Retryable: !sender || retryableCode(c)}
	}
	return failed
}

// retryableCode reports whether a per-entry error code is worth retrying.
func retryableCode(code string) bool {
	switch code {
	case "InternalFailure", "InternalError", "ServiceUnavailable", "ThrottlingException", "Throttling",
		"ProvisionedThroughputExceededException", "RequestThrottled", "KMSThrottlingException":
		return true
	}
	return false
}

func (t *SendAWSSQS) send(ctx context.Context, key string, data [][]byte) error {
	var p plan
	for i, d := range data {
		if len(d) > SQSMaxMessageSize {
			p.tooLarge(data, i, len(d), SQSMaxMessageSize, "SQS message")
			continue
		}
		p.entries = append(p.entries, entry{items: []int{i}, size: len(d)})
	}
	p.greedy(SQSMaxMessages, SQSMaxRequestSize)
	group := key
	if group == "" {
		group = "weir"
	}
	return p.run(ctx, &t.sendBase, "sqs", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		url, err := t.queueURL(ctx)
		if err != nil {
			return nil, err
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: make([]types.SendMessageBatchRequestEntry, len(idx))}
		for j, e := range idx {
			in.Entries[j] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(e)), MessageBody: aws.String(string(data[p.entries[e].items[0]]))}
			if t.fifo {
				in.Entries[j].MessageGroupId = aws.String(group)
			}
		}
		out, err := t.client.SendMessageBatch(ctx, in)
		if err != nil {
			return nil, err
		}
		return batchResultFailures(out.Failed, func(f types.BatchResultErrorEntry) (*string, *string, *string, bool) {
			return f.Id, f.Code, f.Message, f.SenderFault
		}), nil
	})
}
