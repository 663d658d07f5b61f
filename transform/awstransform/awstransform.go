// Package awstransform holds the transforms of Substation configs that call
// AWS services: enrich_aws_lambda and enrich_aws_dynamodb_query. It lives
// apart from package transform so that programs that use none of them do
// not link the AWS SDK; package transform/all registers them with every
// other type.
//
// Clients are built from the Env's AWS configuration (transform.Env.AWS,
// resolved by package awsenv: the SDK's default chain when nil), with the
// region of the config's aws.arn and the role of aws.assume_role_arn, or
// given in the Go configs.
package awstransform

import (
	"errors"
	"net/http"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// Register adds the types of this package to r.
func Register(r *transform.Registry) error {
	return errors.Join(
		r.Register("enrich_aws_lambda", transform.TypedEnv(NewEnrichAWSLambda)),
		r.Register("enrich_aws_dynamodb_query", transform.TypedEnv(NewEnrichAWSDynamoDBQuery)),
	)
}

// awsOf returns the AWS configuration of env (nil for a nil env).
func awsOf(env *transform.Env) any {
	if env == nil {
		return nil
	}
	return env.AWS
}

// closeIdle closes the idle connections of an HTTP client a transform
// built for itself, if any.
func closeIdle(c *http.Client) {
	if c != nil {
		c.CloseIdleConnections()
	}
}

// configErr names typ in a constructor's error.
func configErr(typ string, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return err
	}
	return &weir.ConfigError{Type: typ, Err: err}
}
