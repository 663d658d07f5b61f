package awsenv_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/awsenv"
)

// TestHTTPClientRedirects checks that only 307 and 308 are followed, that
// the session token does not follow a redirect to another host, and that
// redirects stop after 10.
func TestHTTPClientRedirects(t *testing.T) {
	t.Parallel()
	var (
		mu           sync.Mutex
		tokenAtOther []string
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokenAtOther = append(tokenAtOther, r.Header.Get("X-Amz-Security-Token"))
		mu.Unlock()
		_, _ = fmt.Fprint(w, "other")
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/final":
			_, _ = fmt.Fprintf(w, "final %s", r.Header.Get("X-Amz-Security-Token"))
		case r.URL.Path == "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case r.URL.Path == "/other":
			http.Redirect(w, r, other.URL+"/", http.StatusTemporaryRedirect)
		default: // /<code>
			var code int
			_, _ = fmt.Sscanf(r.URL.Path, "/%d", &code)
			http.Redirect(w, r, "/final", code)
		}
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/301", http.StatusMovedPermanently, ""},
		{"/302", http.StatusFound, ""},
		{"/303", http.StatusSeeOther, ""},
		{"/307", http.StatusOK, "final tok"},
		{"/308", http.StatusOK, "final tok"},
		{"/other", http.StatusOK, "other"},
	}
	c := awsenv.HTTPClient()
	t.Cleanup(c.CloseIdleConnections)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader("{}"))
			require.NoError(t, err)
			req.Header.Set("X-Amz-Security-Token", "tok")
			resp, err := c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			if tt.wantBody != "" {
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, tt.wantBody, string(body))
			}
		})
	}
	mu.Lock()
	assert.Equal(t, []string{""}, tokenAtOther, "the token stays with its host")
	mu.Unlock()

	_, err := c.Post(srv.URL+"/loop", "application/json", strings.NewReader("{}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "awsenv: stopped after 10 redirects")
}

func TestThrottled(t *testing.T) {
	t.Parallel()
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"provisioned throughput", api("ProvisionedThroughputExceededException"), true},
		{"request limit", api("RequestLimitExceeded"), true},
		{"throttling", api("ThrottlingException"), true},
		{"wrapped", fmt.Errorf("get item: %w", api("ThrottlingException")), true},
		{"other API error", api("ResourceNotFoundException"), false},
		{"not an API error", errors.New("ThrottlingException"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, awsenv.Throttled(tt.err))
		})
	}
}
