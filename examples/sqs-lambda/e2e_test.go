package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/lambdatest"
	"github.com/weirhq/weir/internal/s3test"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
)

func TestMain(m *testing.M) {
	testenv.Main(m, true)
}

// bodies returns n message bodies, W1's records in turn; those at bad are
// not CloudTrail, which the pipeline fails.
func bodies(t *testing.T, n int, bad ...int) []string {
	t.Helper()
	f, err := os.Open("../../testdata/w1/cloudtrail.ndjson")
	require.NoError(t, err)
	defer f.Close()
	var w1 []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		w1 = append(w1, sc.Text())
	}
	require.NoError(t, sc.Err())
	out := make([]string, n)
	for i := range out {
		out[i] = w1[i%len(w1)]
	}
	for _, i := range bad {
		out[i] = `{"note":"no eventName"}`
	}
	return out
}

func msgID(i int) string { return fmt.Sprintf("059f36b4-87a3-44ab-83d2-661975830a%02d", i) }

// sqsEvent is the event Lambda's SQS event source mapping invokes the
// function with, for the messages idx of bodies.
func sqsEvent(queueARN string, bodies []string, idx []int) []byte {
	var parts []string
	for _, i := range idx {
		b, _ := json.Marshal(bodies[i])
		parts = append(parts, fmt.Sprintf(`{"messageId":"%s","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a%d",`+
			`"body":%s,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1765000000000",`+
			`"SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1765000000001"},`+
			`"messageAttributes":{},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs",`+
			`"eventSourceARN":"%s","awsRegion":"us-east-1"}`, msgID(i), i, b, queueARN))
	}
	return []byte(`{"Records":[` + strings.Join(parts, ",") + `]}`)
}

func loadPipeline(t *testing.T) *transform.Pipeline {
	t.Helper()
	f, err := os.Open("pipeline.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := transform.Load(context.Background(), nil, f)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// allLines returns the lines of every object in bucket, sorted.
func allLines(t *testing.T, c *s3.Client, bucket string) ([]string, int) {
	t.Helper()
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	var lines []string
	for _, o := range list.Contents {
		obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		require.NoError(t, err)
		zr, err := gzip.NewReader(obj.Body)
		require.NoError(t, err)
		b, err := io.ReadAll(zr)
		require.NoError(t, err)
		obj.Body.Close()
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	sort.Strings(lines)
	return lines, len(list.Contents)
}

func ids(r events.SQSEventResponse) []string {
	var out []string
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

// TestEndToEnd runs the function under the Lambda runtime interface
// emulator with s3rver as S3. A standard queue's batch of 10 messages with
// two that fail: the eight others are written, the two reported; when SQS
// delivers the two again (now fixed by the producer, in this test), they
// are written; every message's events are in S3 once. A FIFO queue's batch
// reports the first failure and everything after it, and writes only what
// came before.
func TestEndToEnd(t *testing.T) {
	c := s3test.Client(t)
	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	bootstrap := lambdatest.Build(t, ".")
	p := loadPipeline(t)
	want := func(bodies []string, idx ...int) []string {
		var out []string
		for _, i := range idx {
			msgs, err := p.Transform(context.Background(), weir.NewMessage([]byte(bodies[i])))
			require.NoError(t, err)
			for _, m := range msgs {
				out = append(out, string(m.Data()))
			}
		}
		sort.Strings(out)
		return out
	}
	start := func(bucket string) *lambdatest.Function {
		return lambdatest.Start(t, bootstrap, lambdatest.Options{Env: []string{
			"WEIR_CONFIG=" + config, "WEIR_OUTPUT_BUCKET=" + bucket, "WEIR_S3_PATH_STYLE=true",
			"AWS_ENDPOINT_URL_S3=" + s3test.Endpoint(t),
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
			"AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
		}})
	}
	invoke := func(fn *lambdatest.Function, payload []byte) events.SQSEventResponse {
		status, body := fn.Invoke(t, payload)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var resp events.SQSEventResponse
		require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
		return resp
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}

	t.Run("standard", func(t *testing.T) {
		out := s3test.Bucket(t, c)
		fn := start(out)
		const queue = "arn:aws:sqs:us-east-1:123456789012:cloudtrail"
		broken := bodies(t, 10, 3, 7)
		assert.Equal(t, []string{msgID(3), msgID(7)}, ids(invoke(fn, sqsEvent(queue, broken, all))))
		got, objs := allLines(t, c, out)
		assert.Equal(t, 1, objs)
		assert.Equal(t, want(broken, 0, 1, 2, 4, 5, 6, 8, 9), got, "the eight that succeeded, once")

		fixed := bodies(t, 10)
		assert.Empty(t, ids(invoke(fn, sqsEvent(queue, fixed, []int{3, 7}))), "the redelivered two succeed")
		got, objs = allLines(t, c, out)
		assert.Equal(t, 2, objs)
		assert.Equal(t, want(fixed, all...), got, "every message once")
	})

	t.Run("fifo", func(t *testing.T) {
		out := s3test.Bucket(t, c)
		fn := start(out)
		const queue = "arn:aws:sqs:us-east-1:123456789012:cloudtrail.fifo"
		broken := bodies(t, 10, 6)
		assert.Equal(t, []string{msgID(6), msgID(7), msgID(8), msgID(9)}, ids(invoke(fn, sqsEvent(queue, broken, all))))
		got, _ := allLines(t, c, out)
		assert.Equal(t, want(broken, 0, 1, 2, 3, 4, 5), got, "only what came before the failure")
	})
}
