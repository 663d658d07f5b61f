package weir

import (
	"fmt"
	"time"
)

// Settings shapes that several packages' configs share, as Substation
// writes them.

// Defaults of [RetrySettings].
const (
	DefaultRetryDelay    = time.Second
	DefaultRetryMaxDelay = 30 * time.Second
)

// AWSSettings is the "aws" setting of the AWS transforms.
type AWSSettings struct {
	// ARN is the resource: for enrich_aws_lambda, the function's ARN (a
	// plain function name works too). Its region is the client's region.
	ARN string `json:"arn"`
	// AssumeRoleARN is a role to assume through STS, with the credentials
	// of the configuration as the base.
	AssumeRoleARN string `json:"assume_role_arn,omitempty"`
	// Region is used when ARN has none; otherwise AWS_REGION or
	// AWS_DEFAULT_REGION. (A Weir extension.)
	Region string `json:"region,omitempty"`
	// Endpoint overrides the service endpoint, e.g. a local emulator's
	// "http://127.0.0.1:4566". (A Weir extension.)
	Endpoint string `json:"endpoint,omitempty"`
}

// RetrySettings is the "retry" setting: how often and how long to wait
// before trying again.
//
// Waits grow exponentially with full jitter: before retry n (1, 2, …) the
// wait is a random duration between zero and min(MaxDelay, Delay·2ⁿ⁻¹).
// Substation waits exactly Delay every time; Weir's randomized, growing waits
// spread the retries of many workers hitting one struggling service.
type RetrySettings struct {
	// Count is the most retries after the first attempt, so a message is
	// tried at most Count+1 times. Zero, as in Substation, means no limit:
	// retry until success or until the context is done.
	Count int `json:"count,omitempty"`
	// Delay is a Go duration ("1s"): the base of the exponential backoff.
	// Empty means 1s; "0s" retries at once.
	Delay string `json:"delay,omitempty"`
	// MaxDelay is a Go duration that caps the backoff (a Weir extension).
	// Empty means 30s, or Delay if that is longer.
	MaxDelay string `json:"max_delay,omitempty"`
}

// Policy returns the effective settings (count, the base of the backoff and
// its cap) or a *ConfigError naming the setting.
func (r RetrySettings) Policy() (count int, base, ceil time.Duration, err error) {
	if r.Count < 0 {
		return 0, 0, 0, &ConfigError{Field: "retry.count", Err: fmt.Errorf("%d is negative", r.Count)}
	}
	base = DefaultRetryDelay
	if r.Delay != "" {
		if base, err = time.ParseDuration(r.Delay); err != nil {
			return 0, 0, 0, &ConfigError{Field: "retry.delay", Err: err}
		}
		if base < 0 {
			return 0, 0, 0, &ConfigError{Field: "retry.delay", Err: fmt.Errorf("%s is negative", r.Delay)}
		}
	}
	ceil = max(DefaultRetryMaxDelay, base)
	if r.MaxDelay != "" {
		if ceil, err = time.ParseDuration(r.MaxDelay); err != nil {
			return 0, 0, 0, &ConfigError{Field: "retry.max_delay", Err: err}
		}
		if ceil < base {
			return 0, 0, 0, &ConfigError{Field: "retry.max_delay", Err: fmt.Errorf("%s is less than retry.delay", r.MaxDelay)}
		}
	}
	return r.Count, base, ceil, nil
}
