package awstransform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/awstransform"
)

// invokeAPI implements the Lambda Invoke REST API: function "classify"
// answers {"class":"ok","in":<payload>}; "boom" fails as a function.
func invokeAPI(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
		name, ok2 := strings.CutSuffix(name, "/invocations")
		if !ok || !ok2 || r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Authorization"), "AKIDTEST") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		switch name {
		case "arn:aws:lambda:us-west-2:123456789012:function:classify", "classify":
			_, _ = io.WriteString(w, `{"class":"ok","in":`+string(body)+`}`)
		case "boom":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = io.WriteString(w, `{"errorType":"Exception","errorMessage":"it broke"}`)
		default:
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"not found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestEnrichAWSLambda(t *testing.T) {
	t.Parallel()
	srv := invokeAPI(t)
	client := lambda.New(lambda.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
	})
	ctx := context.Background()
	tests := []struct {
		name, function, in, want, wantErr string
	}{
		{name: "object", function: "arn:aws:lambda:us-west-2:123456789012:function:classify",
			in: `{"e":{"a":1}}`, want: `{"e":{"a":1},"r":{"class":"ok","in":{"a":1}}}`},
		{name: "string holding JSON", function: "classify",
			in: `{"e":"[1,2]"}`, want: `{"e":"[1,2]","r":{"class":"ok","in":[1,2]}}`},
		{name: "missing passes", function: "classify", in: `{"x":1}`, want: `{"x":1}`},
		{name: "not JSON", function: "classify", in: `{"e":"plain"}`, wantErr: "not JSON"},
		{name: "function error", function: "boom", in: `{"e":{}}`, wantErr: "it broke"},
		{name: "service error", function: "nope", in: `{"e":{}}`, wantErr: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := awstransform.NewEnrichAWSLambda(context.Background(), nil, awstransform.EnrichAWSLambdaConfig{
				Object: transform.ObjectSettings{SourceKey: "e", TargetKey: "r"},
				AWS:    weir.AWSSettings{ARN: tt.function},
				Client: client,
			})
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(tt.in)))
			if tt.wantErr != "" {
				var te *transform.Error
				require.ErrorAs(t, err, &te)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out[0].Data()))
		})
	}
}

// TestEnrichAWSLambdaFromSettings builds the client from settings (with the
// endpoint override) and static credentials from the environment.
func TestEnrichAWSLambdaFromSettings(t *testing.T) {
	srv := invokeAPI(t)
	dynamotest.SetAWSEnv(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	ctx := context.Background()
	tf, err := testEnv().New(ctx, weir.Config{Type: "enrich_aws_lambda", Settings: map[string]any{
		"object": map[string]any{"source_key": "e", "target_key": "r"},
		"aws":    map[string]any{"arn": "arn:aws:lambda:us-west-2:123456789012:function:classify", "endpoint": srv.URL},
	}})
	require.NoError(t, err)
	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"e":{"a":1}}`)))
	require.NoError(t, err)
	assert.Equal(t, `{"e":{"a":1},"r":{"class":"ok","in":{"a":1}}}`, string(out[0].Data()))

	ctl := weir.NewControl()
	out, err = tf.Transform(ctx, ctl)
	require.NoError(t, err)
	assert.Equal(t, []*weir.Message{ctl}, out)

	for _, tt := range []struct {
		settings map[string]any
		field    string
	}{
		{map[string]any{"object": map[string]any{"target_key": "r"}, "aws": map[string]any{"arn": "f"}}, "object.source_key"},
		{map[string]any{"object": map[string]any{"source_key": "e"}, "aws": map[string]any{"arn": "f"}}, "object.target_key"},
		{map[string]any{"object": map[string]any{"source_key": "e", "target_key": "r"}}, "aws.arn"},
		{map[string]any{"object": map[string]any{"source_key": "e", "target_key": "r"}, "aws": map[string]any{"arn": "f"}}, "aws.region"},
		{map[string]any{"object": map[string]any{"source_key": "e", "target_key": "r"},
			"aws": map[string]any{"arn": "f", "region": "us-east-1", "assume_role_arn": "not-an-arn"}}, "aws.assume_role_arn"},
	} {
		_, err := testEnv().New(ctx, weir.Config{Type: "enrich_aws_lambda", Settings: tt.settings})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, "%v", tt.settings)
		assert.Equal(t, tt.field, ce.Field)
	}

	// A valid role is assumed when the first call needs credentials, not
	// when the transform is built.
	tf, err = testEnv().New(ctx, weir.Config{Type: "enrich_aws_lambda", Settings: map[string]any{
		"object": map[string]any{"source_key": "e", "target_key": "r"},
		"aws":    map[string]any{"arn": "f", "region": "us-east-1", "assume_role_arn": "arn:aws:iam::123456789012:role/x"}}})
	require.NoError(t, err)
	require.NoError(t, tf.(io.Closer).Close())
}

// BenchmarkEnrichAWSLambda invokes a function per op through a real
// aws-sdk-go-v2 client against a loopback Invoke API.
func BenchmarkEnrichAWSLambda(b *testing.B) {
	srv := invokeAPI(b)
	client := lambda.New(lambda.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
	})
	tf, err := awstransform.NewEnrichAWSLambda(context.Background(), nil, awstransform.EnrichAWSLambdaConfig{
		Object: transform.ObjectSettings{SourceKey: "e", TargetKey: "r"},
		AWS:    weir.AWSSettings{ARN: "classify"},
		Client: client,
	})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"e":{"a":1}}`))); err != nil {
			b.Fatal(err)
		}
	}
}
