// Package awsclient holds what Weir's AWS clients share: how a client
// built from settings finds its region, endpoint and credentials in the
// environment, the HTTP client such a client gets (so that its owner can
// release its connections), and DynamoDB's throttling errors.
//
// Credentials are static only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN): for roles, profiles and the rest of the SDK's
// credential chain, callers give Weir a client of their own.
package awsclient

import (
	"errors"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// The errors of [Resolve]; callers turn them into errors that name their
// own settings.
var (
	// ErrNoRegion: no region was given and neither AWS_REGION nor
	// AWS_DEFAULT_REGION is set.
	ErrNoRegion = errors.New("awsclient: no region")
	// ErrNoCredentials: AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not
	// set.
	ErrNoCredentials = errors.New("awsclient: no credentials")
)

// Settings are what a caller knows of a client before the environment is
// read.
type Settings struct {
	// Region is used if set; otherwise AWS_REGION, then
	// AWS_DEFAULT_REGION.
	Region string
	// Endpoint overrides the service's endpoint if set; otherwise the
	// first of EndpointEnv that is set does (none: the service default).
	Endpoint    string
	EndpointEnv []string
}

// Config is a client's resolved settings, ready for a service's Options.
type Config struct {
	Region      string
	Credentials aws.CredentialsProvider
	// Endpoint is the endpoint override, or nil for the service default:
	// the form of the Options' BaseEndpoint.
	Endpoint *string
}

// Resolve reads the environment for what s leaves out. It fails with
// [ErrNoRegion] or [ErrNoCredentials].
func Resolve(s Settings) (Config, error) {
	region := firstSet(s.Region, "AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return Config{}, ErrNoRegion
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return Config{}, ErrNoCredentials
	}
	c := Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}
	if ep := firstSet(s.Endpoint, s.EndpointEnv...); ep != "" {
		c.Endpoint = aws.String(ep)
	}
	return c, nil
}

// firstSet returns v if it is not empty, else the first of the variables
// that is set.
func firstSet(v string, env ...string) string {
	for _, e := range env {
		if v != "" {
			break
		}
		v = os.Getenv(e)
	}
	return v
}

// HTTPClient returns an HTTP client for an SDK client that its owner will
// close: a transport of its own with the SDK's default settings, whose idle
// connections CloseIdleConnections releases, and, as the SDK's own client
// does, no redirects followed but 307 and 308.
func HTTPClient() *http.Client {
	return &http.Client{
		Transport:     awshttp.NewBuildableClient().GetTransport(),
		CheckRedirect: keepMethodRedirects,
	}
}

// keepMethodRedirects follows only redirects that keep the request's
// method and body (307, 308), dropping the session token when the host
// changes.
func keepMethodRedirects(r *http.Request, via []*http.Request) error {
	if r.Response == nil || (r.Response.StatusCode != http.StatusTemporaryRedirect && r.Response.StatusCode != http.StatusPermanentRedirect) {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("awsclient: stopped after 10 redirects")
	}
	if r.URL.Host != via[len(via)-1].URL.Host {
		r.Header.Del("X-Amz-Security-Token")
	}
	return nil
}

// Throttled reports whether err is DynamoDB throttling a request
// (ProvisionedThroughputExceededException, RequestLimitExceeded or
// ThrottlingException): worth retrying after a wait.
func Throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ProvisionedThroughputExceededException", "RequestLimitExceeded", "ThrottlingException":
		return true
	}
	return false
}
