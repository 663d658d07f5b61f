// Package awssecrets resolves utility_secret's secrets from AWS Secrets
// Manager: the aws_secrets_manager secret type of Substation configs, and
// [Store], a transform.SecretStore of Secrets Manager for Go callers. It
// lives apart from package transform so that programs that use no AWS
// service do not link the AWS SDK; package transform/all registers it.
//
// In a config:
//
//	{"type": "utility_secret", "settings": {"secret": {
//	    "type": "aws_secrets_manager",
//	    "settings": {"id": "API_KEY",
//	                 "aws": {"arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"},
//	                 "ttl_offset": "15m"}}}}
//
// The secret's value is the SecretString of its current version
// (AWSCURRENT); later transforms refer to it as ${SECRET:API_KEY}. As with
// every utility_secret, it is fetched when the transform is built (a
// secret that cannot be fetched fails construction) and again by the first
// data message after each ttl_offset (default 15m); a failed refresh is
// that message's error, and the last value stays in use.
//
// Differences from Substation v2.8.0, on purpose:
//   - Substation stores the SDK's *string in its secret cache, and its
//     interpolation asserts a string: a ${SECRET:…} reference to an
//     aws_secrets_manager secret fails there. Weir uses the string.
//   - Substation computes the expiry once, when the transform is built,
//     and never moves it: after the first ttl_offset it fetches the secret
//     for every message. Weir fetches once per ttl_offset.
//   - A secret that holds only binary data (SecretBinary) is an error
//     ([ErrNotString]); Substation would store a nil value.
//   - aws.region and aws.endpoint are accepted, as in every Weir "aws"
//     setting.
package awssecrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/transform"
)

// TypeName is the secret type this package registers.
const TypeName = "aws_secrets_manager"

// ErrNotString is matched by the error of a secret that has no string value
// (it holds SecretBinary only). Store the secret as a string.
var ErrNotString = errors.New("awssecrets: secret has no string value")

// Register adds aws_secrets_manager to r.
func Register(r *transform.SecretRegistry) error {
	return r.Register(TypeName, newSecret)
}

// API is the Secrets Manager operation a Store calls;
// *secretsmanager.Client implements it.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Store is a [transform.SecretStore] of AWS Secrets Manager: Get(ctx,
// name) returns the SecretString of the current version of the secret
// name, an ARN or a secret's name. A secret that does not exist is an
// error matching [transform.ErrSecretNotFound]; errors carry the service's
// error, never a value. A Store is safe for concurrent use.
type Store struct {
	client API
	own    *http.Client // the HTTP client of a client built here, or nil
}

// NewStore returns a Store that calls client.
func NewStore(client API) *Store { return &Store{client: client} }

// Get implements [transform.SecretStore].
func (s *Store) Get(ctx context.Context, name string) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
			return "", fmt.Errorf("secrets manager: secret %q: %w: %w", name, transform.ErrSecretNotFound, err)
		}
		return "", fmt.Errorf("secrets manager: secret %q: %w", name, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secrets manager: secret %q: %w", name, ErrNotString)
	}
	return *out.SecretString, nil
}

// Close releases the connections of the client the Store built for itself
// (from a config); it does nothing to a client given to NewStore.
func (s *Store) Close() error {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	return nil
}

// Settings is the JSON shape of an aws_secrets_manager secret's settings.
type Settings struct {
	// ID is the id later transforms refer to the secret by, as
	// ${SECRET:<ID>}. Required.
	ID string `json:"id"`
	// AWS.ARN is the secret: its ARN (whose region is the client's) or
	// its name. Required. AWS.AssumeRoleARN is a role to assume.
	AWS weir.AWSSettings `json:"aws"`
	// TTLOffset is a Go duration: how long a fetched value is used before
	// it is fetched again. Empty means 15m.
	TTLOffset string `json:"ttl_offset,omitempty"`
}

// newSecret is the factory of aws_secrets_manager secrets.
func newSecret(ctx context.Context, env *transform.Env, cfg weir.Config) (transform.UtilitySecretConfig, error) {
	var s Settings
	if err := cfg.Decode(&s); err != nil {
		return transform.UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings", Err: err}
	}
	if s.AWS.ARN == "" {
		return transform.UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings.aws.arn", Err: weir.ErrMissingSetting}
	}
	ttl, err := transform.ParseSecretTTL(s.TTLOffset)
	if err != nil {
		return transform.UtilitySecretConfig{}, &weir.ConfigError{Field: "secret.settings.ttl_offset", Err: err}
	}
	var envAWS any
	if env != nil {
		envAWS = env.AWS
	}
	ac, hc, err := awsenv.ClientConfig(ctx, envAWS, s.AWS)
	if err != nil {
		if ce, ok := errors.AsType[*weir.ConfigError](err); ok && ce.Type == "" {
			ce.Field = strings.TrimSuffix("secret.settings."+ce.Field, ".")
		}
		return transform.UtilitySecretConfig{}, err
	}
	client := secretsmanager.NewFromConfig(ac, func(o *secretsmanager.Options) { o.BaseEndpoint = awsenv.Endpoint(s.AWS) })
	return transform.UtilitySecretConfig{
		SecretID: s.ID,
		Name:     s.AWS.ARN,
		TTL:      ttl,
		Store:    &Store{client: client, own: hc},
		OwnStore: true,
	}, nil
}
