package awsenv

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// maxRedirects is how many redirects an [HTTPClient] follows for one
// request.
const maxRedirects = 10

// HTTPClient returns a new HTTP client for an AWS service client whose
// owner will release its connections: it has a transport of its own, with
// the SDK's default settings, so that CloseIdleConnections closes that
// client's idle connections and no one else's. Like the SDK's own client it
// follows only the redirects that keep the request's method and body (307
// and 308), at most 10, and drops the X-Amz-Security-Token header when a
// redirect leaves the host.
//
// Set it as the HTTPClient of the aws.Config a client is built from, or of
// the service's options.
func HTTPClient() *http.Client {
	return &http.Client{
		Transport:     awshttp.NewBuildableClient().GetTransport(),
		CheckRedirect: followSameMethod,
	}
}

// followSameMethod is the CheckRedirect of an [HTTPClient].
func followSameMethod(r *http.Request, via []*http.Request) error {
	if r.Response == nil {
		return http.ErrUseLastResponse
	}
	switch r.Response.StatusCode {
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errors.New("awsenv: stopped after 10 redirects")
	}
	if r.URL.Host != via[len(via)-1].URL.Host {
		r.Header.Del("X-Amz-Security-Token")
	}
	return nil
}

// Throttled reports whether err is, or wraps, DynamoDB's answer that a
// request was throttled (ProvisionedThroughputExceededException,
// RequestLimitExceeded or ThrottlingException): the request may succeed if
// retried after a wait.
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
