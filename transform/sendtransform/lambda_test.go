package sendtransform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform/sendtransform"
)

// invocations is a loopback Lambda Invoke API (the REST route the SDK
// calls: POST /2015-03-31/functions/{name}/invocations) that keeps each
// payload with its invocation type and can answer a function error:
// aws-lambda-rie (TestLambdaRIE) runs a real handler but reports neither
// the invocation type nor X-Amz-Function-Error.
type invocations struct {
	mu       sync.Mutex
	payloads []string
	kinds    []string
}

func (iv *invocations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(name, "/invocations")
	if !ok || !ok2 || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if name == "boom" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_, _ = io.WriteString(w, `{"errorMessage":"it broke"}`)
		return
	}
	iv.mu.Lock()
	iv.payloads = append(iv.payloads, string(body))
	iv.kinds = append(iv.kinds, r.Header.Get("X-Amz-Invocation-Type"))
	iv.mu.Unlock()
	if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	_, _ = io.WriteString(w, `null`)
}

func TestLambda(t *testing.T) {
	iv := &invocations{}
	srv := httptest.NewServer(iv)
	defer srv.Close()
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: srv.Client()})
	ctx := context.Background()
	tf, err := sendtransform.NewSendAWSLambda(ctx, nil, sendtransform.SendAWSLambdaConfig{
		Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "arn:aws:lambda:us-east-1:123456789012:function:handle"}}, Client: client,
	})
	require.NoError(t, err)
	defer tf.Close()
	in := events(30, 80)
	big := []byte(`{"pad":"` + strings.Repeat("x", sendtransform.LambdaMaxPayload) + `"}`)
	errs := sendAll(ctx, t, tf, append(in, big))
	failed := failedItems(errs)
	require.Len(t, failed, 1)
	assert.ErrorIs(t, failed[0].Err, weir.ErrTooLarge)
	assert.ElementsMatch(t, strs(in), iv.payloads)
	for _, k := range iv.kinds {
		assert.Equal(t, "Event", k, "asynchronous, as Substation invokes")
	}

	sync, err := sendtransform.NewSendAWSLambda(ctx, nil, sendtransform.SendAWSLambdaConfig{
		Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "boom"}}, Client: client, Sync: true,
	})
	require.NoError(t, err)
	defer sync.Close()
	failed = failedItems(sendAll(ctx, t, sync, [][]byte{[]byte(`{"a":1}`)}))
	require.Len(t, failed, 1)
	assert.Equal(t, "Unhandled", failed[0].Code)
}

// TestLambdaRIE invokes a real aws-lambda-go handler under AWS's runtime
// interface emulator (started by make test), which serves one function
// named "function", and reads back the payloads the handler recorded.
func TestLambdaRIE(t *testing.T) {
	ep := testenv.Endpoint(t, "WEIR_LAMBDA_ENDPOINT", "aws-lambda-rie")
	record := os.Getenv("WEIR_LAMBDA_RECORD")
	setAWSEnv(t)
	ctx := context.Background()
	tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_lambda", Settings: map[string]any{
		"aws":   map[string]any{"arn": "function", "endpoint": ep},
		"batch": map[string]any{"count": 7},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	in := events(20, 60)
	for i := range in {
		in[i] = append([]byte(`{"run":"`+t.Name()+`",`), in[i][1:]...)
	}
	require.Empty(t, sendAll(ctx, t, tf, in))
	b, err := os.ReadFile(record)
	require.NoError(t, err)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(line, `"run":"`+t.Name()+`"`) {
			got = append(got, line)
		}
	}
	assert.ElementsMatch(t, strs(in), got)
}
