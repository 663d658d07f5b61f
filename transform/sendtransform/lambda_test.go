package sendtransform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform/sendtransform"
)

// invocations is a loopback Lambda Invoke API (the REST route the SDK
// calls: POST /2015-03-31/functions/{name}/invocations) that keeps each
// payload with its invocation type. AWS's runtime interface emulator
// (aws-lambda-rie) would run a real handler; it is not wired into
// with-services.sh yet, so this loopback server stands in for it.
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
