package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ErrNoRegion is the error of [Source.Config] when neither the settings nor
// the base configuration name a region. Callers turn it into an error that
// names their own setting; the operator sets a region in the resource's
// ARN, the caller's region setting, AWS_REGION, or the profile.
var ErrNoRegion = errors.New("awsenv: no region: set one in the settings, AWS_REGION or the shared config profile")

// Settings are what a client's configuration says about AWS: a Substation
// config's "aws" object, plus what Weir adds to it. The zero value means the
// base configuration's region and credentials, unchanged.
type Settings struct {
	// Region, if set, replaces the base configuration's region.
	Region string
	// RoleARN, if set, is a role to assume: the client's credentials are
	// the role's temporary credentials, which STS issues for the base
	// credentials.
	RoleARN string
	// ExternalID is passed to STS with RoleARN, for roles whose trust
	// policy requires one. It needs RoleARN.
	ExternalID string
	// SessionName names the role session (CloudTrail shows it). Empty
	// means "weir-" followed by the Unix time in nanoseconds when the
	// session's credentials provider is made. It needs RoleARN.
	SessionName string
}

// SettingsFromARN returns the settings of a Substation "aws" object: the
// region of resourceARN, when it is an ARN that names one (a DynamoDB
// table's, a Lambda function's), and the role assumeRoleARN. ARNs of
// global resources, such as S3 buckets', name no region; neither does a
// plain name, which is not an ARN. Either way Region is left empty, for the
// base configuration's.
func SettingsFromARN(resourceARN, assumeRoleARN string) Settings {
	s := Settings{RoleARN: assumeRoleARN}
	if a, err := arn.Parse(resourceARN); err == nil {
		s.Region = a.Region
	}
	return s
}

// A Source gives AWS clients their configuration.
//
// Config returns the configuration for a client with settings s: the
// Source's base configuration, with the region and credentials that s asks
// for. It fails with [ErrNoRegion] when no region is known, and with an
// error naming the setting when s is malformed. The returned Config is the
// caller's to change (it is a copy), though the credentials provider and
// HTTP client in it may be shared with other configurations from the same
// Source. The Sources of this package make no network call in Config:
// credentials, the assumed role's included, are fetched when a client
// first needs them, so a wrong role shows in the first request's error.
//
// A Source must be safe for concurrent use.
type Source interface {
	Config(ctx context.Context, s Settings) (aws.Config, error)
}

// SourceFunc adapts a function to a [Source].
type SourceFunc func(ctx context.Context, s Settings) (aws.Config, error)

// Config implements [Source] by calling f.
func (f SourceFunc) Config(ctx context.Context, s Settings) (aws.Config, error) {
	return f(ctx, s)
}

// Default returns a new Source whose base is the SDK's default configuration,
// as config.LoadDefaultConfig reads it from the environment, the shared
// config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
// AWS_PROFILE), SSO, web identity, and container and instance roles.
//
// The base is loaded on the first call of Config, once: later calls reuse
// it, and changes to the environment or files after that are not seen. A
// load that fails is not remembered: that call returns its error (prefixed
// "awsenv: ") and the next call loads again, so that an operator who fixes
// a profile need not restart the program. Each Source from Default loads
// and caches role sessions on its own.
func Default() Source {
	return &source{load: func(ctx context.Context) (aws.Config, error) {
		return config.LoadDefaultConfig(ctx)
	}}
}

// FromConfig returns a Source whose base is cfg: clients get a copy of it,
// with the settings' region, and with the settings' role assumed through
// an STS client built from cfg. The endpoint variables (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_DYNAMODB, …) are seen only if cfg came from
// config.LoadDefaultConfig, which reads them.
func FromConfig(cfg aws.Config) Source {
	return &source{base: cfg.Copy(), loaded: true}
}

// Resolve returns the Source that v, the value of transform.Env.AWS, stands
// for: nil (or a nil *aws.Config) means [Default]; an aws.Config or
// *aws.Config means [FromConfig] of it; a Source is returned as it is. Any
// other type is an error that lists these.
//
// Resolve returns a new Source for each call with nil or a config, and
// each Source loads and caches on its own: resolve once per program or
// pipeline and keep the result, so that clients share role sessions.
func Resolve(v any) (Source, error) {
	switch v := v.(type) {
	case nil:
		return Default(), nil
	case Source:
		return v, nil
	case aws.Config:
		return FromConfig(v), nil
	case *aws.Config:
		if v == nil {
			return Default(), nil
		}
		return FromConfig(*v), nil
	}
	return nil, fmt.Errorf("awsenv: AWS configuration of type %T: want nil, aws.Config, *aws.Config or awsenv.Source", v)
}

// source is the Source of Default and FromConfig.
type source struct {
	load func(context.Context) (aws.Config, error) // nil when loaded from the start

	mu     sync.Mutex
	base   aws.Config
	loaded bool
	roles  map[roleKey]aws.CredentialsProvider
}

// roleKey names a role session: the clients whose settings and region are
// the same share one.
type roleKey struct {
	role, externalID, sessionName, region string
}

// Config implements [Source].
func (src *source) Config(ctx context.Context, s Settings) (aws.Config, error) {
	if err := s.check(); err != nil {
		return aws.Config{}, err
	}
	base, err := src.baseConfig(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := base.Copy()
	if s.Region != "" {
		cfg.Region = s.Region
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	if s.RoleARN != "" {
		cfg.Credentials = src.role(cfg, s)
	}
	return cfg, nil
}

// check reports settings that cannot work.
func (s Settings) check() error {
	if s.RoleARN == "" {
		switch {
		case s.ExternalID != "":
			return errors.New("awsenv: an external ID without a role ARN")
		case s.SessionName != "":
			return errors.New("awsenv: a session name without a role ARN")
		}
		return nil
	}
	if _, err := arn.Parse(s.RoleARN); err != nil {
		return fmt.Errorf("awsenv: role ARN %q: %w", s.RoleARN, err)
	}
	return nil
}

// baseConfig returns the base configuration, loading it if it is not yet.
// The lock is held while loading, so that concurrent first calls load once;
// loading reads files and the environment, not the network.
func (src *source) baseConfig(ctx context.Context) (aws.Config, error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if !src.loaded {
		cfg, err := src.load(ctx)
		if err != nil {
			return aws.Config{}, fmt.Errorf("awsenv: load the default AWS configuration: %w", err)
		}
		src.base, src.loaded = cfg, true
	}
	return src.base, nil
}

// role returns the credentials of the role session that s names in the
// region of cfg, making its provider on first use: an STS AssumeRole
// provider over a client built from cfg, behind a credentials cache, which
// every later configuration with the same key shares.
func (src *source) role(cfg aws.Config, s Settings) aws.CredentialsProvider {
	k := roleKey{role: s.RoleARN, externalID: s.ExternalID, sessionName: s.SessionName, region: cfg.Region}
	src.mu.Lock()
	defer src.mu.Unlock()
	if p, ok := src.roles[k]; ok {
		return p
	}
	name := s.SessionName
	if name == "" {
		name = "weir-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), s.RoleARN,
		func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = name
			if s.ExternalID != "" {
				o.ExternalID = aws.String(s.ExternalID)
			}
		}))
	if src.roles == nil {
		src.roles = make(map[roleKey]aws.CredentialsProvider)
	}
	src.roles[k] = p
	return p
}
