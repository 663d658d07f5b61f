package awsenrich

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lambdaServer implements the Lambda Invoke REST API
// (POST /2015-03-31/functions/{name}/invocations): function "echo" returns
// its payload wrapped in {"echo": …}, "fail" fails as a function, anything
// else is 404 ResourceNotFoundException.
func lambdaServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		const prefix, suffix = "/2015-03-31/functions/", "/invocations"
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, suffix) ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), suffix)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch name {
		case "echo", "arn:aws:lambda:us-east-1:123456789012:function:echo":
			w.Header().Set("X-Amz-Executed-Version", "$LATEST")
			_, _ = io.WriteString(w, `{"echo":`+string(body)+`}`)
		case "fail":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = io.WriteString(w, `{"errorType":"ValueError","errorMessage":"bad input"}`)
		default:
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"Type":"User","message":"Function not found: `+name+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// lambdaClient is a real SDK client pointed at srv.
func lambdaClient(srv *httptest.Server) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
	})
}

func TestLambdaInvoke(t *testing.T) {
	t.Parallel()
	srv, calls := lambdaServer(t)
	client := lambdaClient(srv)
	ctx := context.Background()

	tests := []struct {
		function string
		payload  string
		want     string
		wantErr  string
	}{
		{function: "echo", payload: `{"a":1}`, want: `{"echo":{"a":1}}`},
		{function: "arn:aws:lambda:us-east-1:123456789012:function:echo", payload: `[1,2]`, want: `{"echo":[1,2]}`},
		{function: "fail", payload: `{}`, wantErr: "enrich: lambda fail: ValueError: bad input"},
		{function: "missing", payload: `{}`, wantErr: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			l, err := NewLambda(LambdaConfig{Client: client, Function: tt.function})
			require.NoError(t, err)
			out, err := l.Invoke(ctx, []byte(tt.payload))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(out))
		})
	}
	t.Run("function error is typed", func(t *testing.T) {
		t.Parallel()
		l, err := NewLambda(LambdaConfig{Client: client, Function: "fail"})
		require.NoError(t, err)
		_, err = l.Invoke(ctx, []byte(`{}`))
		var fe *FunctionError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, FunctionError{Function: "fail", Kind: "Unhandled", Type: "ValueError", Message: "bad input"}, *fe)
	})
	t.Cleanup(func() { assert.Positive(t, calls.Load()) })
}

func TestNewLambdaRejects(t *testing.T) {
	t.Parallel()
	_, err := NewLambda(LambdaConfig{Function: "f"})
	assert.Error(t, err)
	srv, _ := lambdaServer(t)
	_, err = NewLambda(LambdaConfig{Client: lambdaClient(srv)})
	assert.Error(t, err)
}
