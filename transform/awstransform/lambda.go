package awstransform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/internal/awsclient"
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
	// Client invokes the function; nil means a client built from AWS, with
	// static credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN, whose idle connections Close releases.
	Client enrich.LambdaInvoker `json:"-"`
}

// EnrichAWSLambda invokes an AWS Lambda function synchronously with a
// value of each message and writes the function's response into it. A
// message without the value passes unchanged; a value that is not JSON and
// a function error (its errorMessage) are the message's errors. It is safe
// for concurrent use.
type EnrichAWSLambda struct {
	id       string
	src, dst string
	fn       *enrich.Lambda
	own      *http.Client // the HTTP client of a client built here, or nil
}

// errNoAWSCredentials is the cause of a client that cannot be built.
var errNoAWSCredentials = errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a client")

// NewEnrichAWSLambda returns an EnrichAWSLambda.
func NewEnrichAWSLambda(cfg EnrichAWSLambdaConfig) (*EnrichAWSLambda, error) {
	const typ = "enrich_aws_lambda"
	switch {
	case cfg.Object.SourceKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "object.source_key", Err: errObjectRequired}
	case cfg.Object.TargetKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "object.target_key", Err: errObjectRequired}
	case cfg.AWS.ARN == "":
		return nil, &weir.ConfigError{Type: typ, Field: "aws.arn", Err: errObjectRequired}
	}
	client := cfg.Client
	var own *http.Client
	if client == nil {
		c, hc, err := newLambdaClient(cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		client, own = c, hc
	}
	fn, err := enrich.NewLambda(enrich.LambdaConfig{Client: client, Function: cfg.AWS.ARN})
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

// closeIdle closes the idle connections of an HTTP client a transform or
// store built for itself, if any.
func closeIdle(c *http.Client) {
	if c != nil {
		c.CloseIdleConnections()
	}
}

// newLambdaClient builds a Lambda client from the aws settings and the
// environment (see [awsClientConfig]), over an HTTP client of its own.
func newLambdaClient(s weir.AWSSettings) (*lambda.Client, *http.Client, error) {
	c, err := awsClientConfig(s)
	if err != nil {
		return nil, nil, err
	}
	hc := awsclient.HTTPClient()
	return lambda.New(lambda.Options{Region: c.Region, Credentials: c.Credentials, BaseEndpoint: c.Endpoint, HTTPClient: hc}), hc, nil
}

// awsClientConfig resolves the settings of an AWS client built from the
// aws settings: the region of aws.arn, else aws.region, else AWS_REGION or
// AWS_DEFAULT_REGION; the endpoint aws.endpoint, if any; static
// credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. Errors are *weir.ConfigErrors naming the setting.
func awsClientConfig(s weir.AWSSettings) (awsclient.Config, error) {
	if s.AssumeRoleARN != "" {
		return awsclient.Config{}, &weir.ConfigError{Field: "aws.assume_role_arn",
			Err: errors.New("assuming roles is not built in: give the transform a client with the role's credentials")}
	}
	region := s.Region
	if a, err := arn.Parse(s.ARN); err == nil && a.Region != "" {
		region = a.Region
	}
	c, err := awsclient.Resolve(awsclient.Settings{Region: region, Endpoint: s.Endpoint})
	switch {
	case errors.Is(err, awsclient.ErrNoRegion):
		return c, &weir.ConfigError{Field: "aws.region", Err: errors.New("no region in aws.arn, aws.region, AWS_REGION or AWS_DEFAULT_REGION")}
	case errors.Is(err, awsclient.ErrNoCredentials):
		return c, &weir.ConfigError{Field: "aws", Err: errNoAWSCredentials}
	}
	return c, err
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
