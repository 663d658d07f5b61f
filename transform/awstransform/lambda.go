package awstransform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/transform"
)

// EnrichAWSLambdaConfig configures [EnrichAWSLambda], the
// enrich_aws_lambda transform.
//
//	{"type": "enrich_aws_lambda", "settings": {
//	    "object": {"source_key": "event", "target_key": "result"},
//	    "aws": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:classify"}}}
type EnrichAWSLambdaConfig struct {
	// Object.SourceKey is the payload (a JSON value; a string holding
	// JSON is sent as that JSON); Object.TargetKey receives the response.
	// Both are required.
	Object transform.ObjectSettings `json:"object"`
	// AWS.ARN names the function. Required.
	AWS weir.AWSSettings `json:"aws"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Client invokes the function; nil means a client built from AWS and
	// the Env's AWS configuration, whose idle connections Close releases.
	Client awsenrich.LambdaInvoker `json:"-"`
}

// EnrichAWSLambda invokes an AWS Lambda function synchronously with a
// value of each message and writes the function's response into it. A
// message without the value passes unchanged; a value that is not JSON and
// a function error (its errorMessage) are the message's errors. It is safe
// for concurrent use.
type EnrichAWSLambda struct {
	id       string
	src, dst string
	fn       *awsenrich.Lambda
	own      *http.Client // the HTTP client of a client built here, or nil
}

// NewEnrichAWSLambda returns an EnrichAWSLambda. Without cfg.Client it
// builds one from env.AWS (see [awsenv.ClientConfig]); env may be nil.
func NewEnrichAWSLambda(ctx context.Context, env *transform.Env, cfg EnrichAWSLambdaConfig) (*EnrichAWSLambda, error) {
	const typ = "enrich_aws_lambda"
	switch {
	case cfg.Object.SourceKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "object.source_key", Err: weir.ErrMissingSetting}
	case cfg.Object.TargetKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "object.target_key", Err: weir.ErrMissingSetting}
	case cfg.AWS.ARN == "":
		return nil, &weir.ConfigError{Type: typ, Field: "aws.arn", Err: weir.ErrMissingSetting}
	}
	client := cfg.Client
	var own *http.Client
	if client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		client = lambda.NewFromConfig(ac, func(o *lambda.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		own = hc
	}
	fn, err := awsenrich.NewLambda(awsenrich.LambdaConfig{Client: client, Function: cfg.AWS.ARN})
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Err: err}
	}
	return &EnrichAWSLambda{id: cfg.ID, src: cfg.Object.SourceKey, dst: cfg.Object.TargetKey, fn: fn, own: own}, nil
}

// Close closes the idle connections of the client the transform built; it
// does nothing to a Client given in the config. The transform stays
// usable.
func (t *EnrichAWSLambda) Close() error {
	closeIdle(t.own)
	return nil
}

// Transform implements [transform.Transformer].
func (t *EnrichAWSLambda) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "enrich_aws_lambda"
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	v := msg.Get(t.src)
	if !v.Exists() {
		return msg.AsSlice(), nil
	}
	payload := v.Bytes()
	if !json.Valid(payload) {
		return nil, &transform.Error{Type: typ, ID: t.id, Err: fmt.Errorf("%s is not JSON: %w", t.src, weir.ErrInvalidData)}
	}
	out, err := t.fn.Invoke(ctx, payload)
	if err != nil {
		return nil, &transform.Error{Type: typ, ID: t.id, Err: err}
	}
	if err := msg.Set(t.dst, out); err != nil {
		return nil, &transform.Error{Type: typ, ID: t.id, Err: err}
	}
	return msg.AsSlice(), nil
}
