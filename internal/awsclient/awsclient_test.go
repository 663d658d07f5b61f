package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/awsclient"
)

// TestResolve changes the environment, so it does not run in parallel.
func TestResolve(t *testing.T) {
	env := func(kv map[string]string) {
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "EP_A", "EP_B"} {
			t.Setenv(k, kv[k])
		}
	}
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok"}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(creds)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name         string
		env          map[string]string
		s            awsclient.Settings
		wantRegion   string
		wantEndpoint string
		wantErr      error
	}{
		{"given", with(map[string]string{"AWS_REGION": "eu-west-1"}), awsclient.Settings{Region: "us-east-1", Endpoint: "http://x"}, "us-east-1", "http://x", nil},
		{"AWS_REGION first", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}), awsclient.Settings{}, "eu-west-1", "", nil},
		{"AWS_DEFAULT_REGION", with(map[string]string{"AWS_DEFAULT_REGION": "eu-west-2"}), awsclient.Settings{}, "eu-west-2", "", nil},
		{"endpoint from env", with(map[string]string{"AWS_REGION": "r", "EP_B": "http://b"}), awsclient.Settings{EndpointEnv: []string{"EP_A", "EP_B"}}, "r", "http://b", nil},
		{"no region", creds, awsclient.Settings{}, "", "", awsclient.ErrNoRegion},
		{"no credentials", map[string]string{"AWS_REGION": "r", "AWS_ACCESS_KEY_ID": "id"}, awsclient.Settings{}, "", "", awsclient.ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(tt.env)
			c, err := awsclient.Resolve(tt.s)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRegion, c.Region)
			if tt.wantEndpoint == "" {
				assert.Nil(t, c.Endpoint)
			} else {
				require.NotNil(t, c.Endpoint)
				assert.Equal(t, tt.wantEndpoint, *c.Endpoint)
			}
			v, err := c.Credentials.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "id", v.AccessKeyID)
			assert.Equal(t, "tok", v.SessionToken)
		})
	}
}

func TestHTTPClientRedirects(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/301", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusMovedPermanently) })
	mux.HandleFunc("/307", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := awsclient.HTTPClient()
	defer c.CloseIdleConnections()
	for path, want := range map[string]int{"/301": http.StatusMovedPermanently, "/307": http.StatusOK} {
		resp, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
}

func TestThrottled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&types.ProvisionedThroughputExceededException{}, true},
		{fmt.Errorf("wrapped: %w", &types.RequestLimitExceeded{}), true},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&types.ResourceNotFoundException{}, false},
		{errors.New("ThrottlingException"), false},
		{nil, false},
	} {
		assert.Equal(t, tt.want, awsclient.Throttled(tt.err), "%v", tt.err)
	}
}
