package sendtransform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
	"github.com/weirhq/weir/transform/transformtest"
)

// goaws (github.com/Admiral-Piett/goaws v0.5.4) serves the SQS and SNS
// APIs. Its command listens on 0.0.0.0 with no setting for the address,
// so the tests run its router in-process on an httptest server, which
// listens on 127.0.0.1 only. Its state is global: one server for the
// package, configured from a YAML file as the command is.
const goawsAccount = "100010001000"

var goaws struct {
	once sync.Once
	url  string
	err  error
}

// goawsQueues and goawsTopics are created at start: each test uses its own.
var (
	goawsQueues = []string{"weir-sqs", "weir-sqs-faults", "weir-sqs-contract", "weir-sns-sub", "weir-sns-faults-sub"}
	goawsTopics = map[string]string{"weir-sns": "weir-sns-sub", "weir-sns-faults": "weir-sns-faults-sub"}
)

// goawsURL starts goaws once (it lives until the test binary ends) and
// returns its URL.
func goawsURL(t testing.TB) string {
	t.Helper()
	goaws.once.Do(func() {
		logrus.SetOutput(io.Discard)
		srv := httptest.NewServer(router.New())
		u, _ := url.Parse(srv.URL)
		var b strings.Builder
		fmt.Fprintf(&b, "Local:\n  Host: %s\n  Port: %s\n  Region: us-east-1\n  AccountId: %q\n", u.Hostname(), u.Port(), goawsAccount)
		b.WriteString("  QueueAttributeDefaults:\n    VisibilityTimeout: 300\n    ReceiveMessageWaitTimeSeconds: 0\n    MaximumMessageSize: 1048576\n")
		b.WriteString("  Queues:\n")
		for _, q := range goawsQueues {
			fmt.Fprintf(&b, "    - Name: %s\n", q)
		}
		b.WriteString("  Topics:\n")
		for topic, q := range goawsTopics {
			fmt.Fprintf(&b, "    - Name: %s\n      Subscriptions:\n        - QueueName: %s\n          Raw: true\n", topic, q)
		}
		dir, err := os.MkdirTemp("", "goaws")
		if err != nil {
			goaws.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "goaws.yaml")
		if goaws.err = os.WriteFile(path, []byte(b.String()), 0o600); goaws.err != nil {
			return
		}
		conf.LoadYamlConfig(path, "Local")
		goaws.url = srv.URL
	})
	require.NoError(t, goaws.err)
	return goaws.url
}

func sqsClient(t testing.TB, rt http.RoundTripper) *sqs.Client {
	o := sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(goawsURL(t)),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), RetryMaxAttempts: 1}
	if rt == nil {
		// A fault test may close the server's connections under a pooled
		// client: reading back uses a connection per request.
		rt = &http.Transport{DisableKeepAlives: true}
	}
	o.HTTPClient = &http.Client{Transport: rt}
	return sqs.New(o)
}

func snsClient(t testing.TB, rt http.RoundTripper) *sns.Client {
	o := sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(goawsURL(t)),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), RetryMaxAttempts: 1}
	if rt == nil {
		// A fault test may close the server's connections under a pooled
		// client: reading back uses a connection per request.
		rt = &http.Transport{DisableKeepAlives: true}
	}
	o.HTTPClient = &http.Client{Transport: rt}
	return sns.New(o)
}

// receiveAll receives every message of queue until it is empty.
func receiveAll(t testing.TB, c *sqs.Client, queue string) []string {
	t.Helper()
	ctx := context.Background()
	u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	require.NoError(t, err)
	var out []string
	for {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u.QueueUrl, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(r.Messages) == 0 {
			return out
		}
		for _, m := range r.Messages {
			out = append(out, aws.ToString(m.Body))
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: u.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}

// drainQueue takes every message out of goaws's queue, reading its
// in-process store under its lock, and returns the bodies. goaws's
// ReceiveMessage and DeleteMessage scan and copy the whole queue on each
// call, so reading 100,000 messages back through the API takes minutes
// under -race; the fault tests read the server's store instead (the other
// tests read back with receiveAll).
func drainQueue(t testing.TB, queue string) []string {
	t.Helper()
	models.SyncQueues.Lock()
	defer models.SyncQueues.Unlock()
	q, ok := models.SyncQueues.Queues[queue]
	require.True(t, ok, "goaws has no queue %q", queue)
	out := make([]string, len(q.Messages))
	for i, m := range q.Messages {
		out[i] = m.MessageBody
	}
	q.Messages = nil
	return out
}

func queueARN(q string) string { return "arn:aws:sqs:us-east-1:" + goawsAccount + ":" + q }
func topicARN(q string) string { return "arn:aws:sns:us-east-1:" + goawsAccount + ":" + q }

func strs(data [][]byte) []string {
	out := make([]string, len(data))
	for i, d := range data {
		out[i] = string(d)
	}
	return out
}

func TestSQS(t *testing.T) {
	setAWSEnv(t)
	ctx := context.Background()
	tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_sqs", Settings: map[string]any{
		"aws":   map[string]any{"arn": queueARN("weir-sqs"), "endpoint": goawsURL(t)},
		"batch": map[string]any{"size": 4 << 20},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	in := events(25, 100)
	big := []byte(`{"pad":"` + strings.Repeat("x", sendtransform.SQSMaxMessageSize) + `"}`)
	errs := sendAll(ctx, t, tf, append(slices.Clone(in), big))
	failed := failedItems(errs)
	require.Len(t, failed, 1)
	assert.Equal(t, 25, failed[0].Index)
	assert.ErrorIs(t, failed[0].Err, weir.ErrTooLarge)
	got := receiveAll(t, sqsClient(t, nil), "weir-sqs")
	assert.ElementsMatch(t, strs(in), got)
}

func TestSNS(t *testing.T) {
	setAWSEnv(t)
	ctx := context.Background()
	tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_sns", Settings: map[string]any{
		"aws": map[string]any{"arn": topicARN("weir-sns"), "endpoint": goawsURL(t)},
		// goaws v0.5.4 counts the entries of a PublishBatch before it drops
		// the empty entry its decoder adds, so it refuses 10 (the API's
		// limit) as "more than 10": batches of 9 keep calls under that.
		"batch": map[string]any{"count": 9},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	in := events(25, 100)
	big := []byte(`{"pad":"` + strings.Repeat("x", sendtransform.SNSMaxMessageSize) + `"}`)
	errs := sendAll(ctx, t, tf, append(slices.Clone(in), big))
	failed := failedItems(errs)
	require.Len(t, failed, 1)
	assert.ErrorIs(t, failed[0].Err, weir.ErrTooLarge)
	assert.Contains(t, failed[0].Err.Error(), "262144")
	got := receiveAll(t, sqsClient(t, nil), "weir-sns-sub")
	assert.ElementsMatch(t, strs(in), got)
}

// TestSQSSNSFaults sends events through throttling, lost answers and
// finally a stopped server: every event is delivered once or reported.
func TestSQSSNSFaults(t *testing.T) {
	n := faultEvents(t)
	ctx := context.Background()
	in := events(n, 50)
	for _, svc := range []string{"sqs", "sns"} {
		t.Run(svc, func(t *testing.T) {
			// 9 events per call: n/9 calls, and an eighth more for the
			// throttled ones; the server stops 90% of the way through.
			f := &faults{next: http.DefaultTransport, throttle: func(c int) bool { return c%9 == 0 }, stopAt: n / 9 * 9 / 10}
			var tf interface {
				transform.Transformer
				Close() error
				Stats() sendtransform.Stats
			}
			var err error
			queue := "weir-sqs-faults"
			// Batches of 9: see TestSNS.
			common := sendtransform.Common{Batch: transform.BatchSettings{Count: 9}, Retry: &weir.RetrySettings{Count: 4}, Sleep: noSleep}
			if svc == "sqs" {
				common.AWS.ARN = queueARN(queue)
				tf, err = sendtransform.NewSendAWSSQS(ctx, nil, sendtransform.SendAWSSQSConfig{Common: common, Client: sqsClient(t, f)})
			} else {
				queue = "weir-sns-faults-sub"
				common.AWS.ARN = topicARN("weir-sns-faults")
				tf, err = sendtransform.NewSendAWSSNS(ctx, nil, sendtransform.SendAWSSNSConfig{Common: common, Client: snsClient(t, f)})
			}
			require.NoError(t, err)
			defer tf.Close()
			errs := sendAll(ctx, t, tf, in)
			failed := failedItems(errs)
			got := drainQueue(t, queue)
			var lost []string
			for _, d := range undelivered(t, errs) {
				lost = append(lost, string(d))
			}
			t.Logf("%s: calls %d (throttled %d, stopped %d): delivered %d + reported %d = %d of %d sent", svc, f.calls, f.throttled, f.stopped, len(got), len(lost), len(got)+len(lost), n)
			assert.Equal(t, n, len(got)+len(lost), "delivered + reported = sent")
			// Sorted, not ElementsMatch: that compares every pair.
			assert.Equal(t, slices.Sorted(slices.Values(strs(in))), slices.Sorted(slices.Values(append(got, lost...))), "each event once")
			assert.Positive(t, len(lost))
			assert.Equal(t, int64(len(failed)), tf.Stats().Failed)
		})
	}
}

func TestSQSContract(t *testing.T) {
	c := sqsClient(t, nil)
	transformtest.Run(t, func() (transform.Transformer, error) {
		return sendtransform.NewSendAWSSQS(context.Background(), nil, sendtransform.SendAWSSQSConfig{
			Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: queueARN("weir-sqs-contract")}, Batch: transform.BatchSettings{Count: 20}}, Client: c,
		})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`)}, SkipLarge: true})
}
