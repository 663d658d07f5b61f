package awsenv

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/weirhq/weir"
)

// ClientConfig returns the configuration of a client that a transform,
// store or opener builds for a Substation "aws" setting s: from the Source
// that env resolves to (see [Resolve]: the value of transform.Env.AWS),
// with the region of s.ARN, else s.Region, else the Source's, and the role
// s.AssumeRoleARN. The configuration gets an HTTP client of its own
// ([HTTPClient]), returned too so that the caller can release its
// connections when done. s.Endpoint is not applied: it is a service
// option (BaseEndpoint), which the caller sets.
//
// Errors are *weir.ConfigErrors that name the setting at fault ("aws",
// "aws.region", "aws.assume_role_arn").
func ClientConfig(ctx context.Context, env any, s weir.AWSSettings) (aws.Config, *http.Client, error) {
	src, err := Resolve(env)
	if err != nil {
		return aws.Config{}, nil, &weir.ConfigError{Field: "aws", Err: err}
	}
	set := SettingsFromARN(s.ARN, s.AssumeRoleARN)
	if set.Region == "" {
		set.Region = s.Region
	}
	cfg, err := src.Config(ctx, set)
	switch {
	case errors.Is(err, ErrNoRegion):
		return aws.Config{}, nil, &weir.ConfigError{Field: "aws.region",
			Err: errors.New("no region in aws.arn, aws.region, AWS_REGION or the shared config profile")}
	case err != nil && s.AssumeRoleARN != "":
		return aws.Config{}, nil, &weir.ConfigError{Field: "aws.assume_role_arn", Err: err}
	case err != nil:
		return aws.Config{}, nil, &weir.ConfigError{Field: "aws", Err: err}
	}
	hc := HTTPClient()
	cfg.HTTPClient = hc
	return cfg, hc, nil
}

// Endpoint returns the endpoint override of s, for a service's
// BaseEndpoint option: nil when s names none (the SDK then honours
// AWS_ENDPOINT_URL and the per-service variables).
func Endpoint(s weir.AWSSettings) *string {
	if s.Endpoint == "" {
		return nil
	}
	return aws.String(s.Endpoint)
}
