package sendtransform

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// LambdaMaxPayload is the largest payload of an asynchronous invocation
// that this send accepts: 256 KiB (262,144 bytes), the limit the AWS Lambda
// Developer Guide ("Lambda quotas", Invocation payload) long gave for
// asynchronous invocations. (AWS has since raised it for some accounts;
// the smaller value is never refused by the service.)
const LambdaMaxPayload = 256 << 10

// LambdaAPI is the part of the Lambda client the send uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// SendAWSLambdaConfig configures [SendAWSLambda], the send_aws_lambda
// transform.
//
//	{"type": "send_aws_lambda", "settings": {
//	    "aws": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:handle"}}}
type SendAWSLambdaConfig struct {
	Common
	// Client invokes the function; nil means a client built from AWS. The
	// function is AWS.ARN (required).
	Client LambdaAPI
	// Sync invokes with RequestResponse instead of Event (asynchronous,
	// Substation's choice), so that function errors are reported. A Weir
	// extension; tests use it with emulators that only run synchronously.
	Sync bool
}

// SendAWSLambda invokes an AWS Lambda function asynchronously with each
// message of a batch as the payload and passes every message on
// unchanged. See the package documentation.
type SendAWSLambda struct {
	sendBase
	client LambdaAPI
	fn     string
	sync   bool
}

type lambdaSettings struct {
	commonSettings
	Sync bool `json:"sync,omitempty"`
}

func buildLambda(ctx context.Context, env *transform.Env, s lambdaSettings) (*SendAWSLambda, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSLambda, error) {
		return NewSendAWSLambda(ctx, env, SendAWSLambdaConfig{Common: c, Sync: s.Sync})
	})
}

// NewSendAWSLambda returns a SendAWSLambda. It takes ownership of the
// auxiliary transforms.
func NewSendAWSLambda(ctx context.Context, env *transform.Env, cfg SendAWSLambdaConfig) (*SendAWSLambda, error) {
	const typ = "send_aws_lambda"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSLambda{client: cfg.Client, fn: cfg.AWS.ARN, sync: cfg.Sync}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = lambda.NewFromConfig(ac, func(o *lambda.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *SendAWSLambda) send(ctx context.Context, _ string, data [][]byte) error {
	var p plan
	for i, d := range data {
		if len(d) > LambdaMaxPayload {
			p.tooLarge(data, i, len(d), LambdaMaxPayload, "Lambda payload")
			continue
		}
		p.entries = append(p.entries, entry{items: []int{i}, size: len(d)})
	}
	p.greedy(1, 0)
	kind := types.InvocationTypeEvent
	if t.sync {
		kind = types.InvocationTypeRequestResponse
	}
	return p.run(ctx, &t.sendBase, "lambda", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		e := idx[0]
		out, err := t.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(t.fn), InvocationType: kind, Payload: data[p.entries[e].items[0]]})
		if err != nil {
			return nil, err
		}
		if out.FunctionError != nil {
			code := aws.ToString(out.FunctionError)
			return map[int]sendretry.Failure{e: {Code: code, Err: errors.New("function error: " + string(out.Payload))}}, nil
		}
		return nil, nil
	})
}
