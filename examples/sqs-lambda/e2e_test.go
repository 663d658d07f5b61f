package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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

// TestEndToEnd sends messages to goaws's SQS queues and plays Lambda's
// SQS event source mapping (BatchSize 100, ReportBatchItemFailures; the
// queues' redrive policy moves a message received twice to the dead-letter
// queue): it receives batches with ReceiveMessage and invokes the function,
// running under the Lambda runtime interface emulator with s3rver as S3,
// with each batch as an SQS event; it deletes the messages not reported and
// makes the reported ones visible again.
//
// Some messages are not CloudTrail: the pipeline fails them. From the
// standard queue, the function reports exactly those, and everything else
// is written once; from the FIFO queue, it reports the first failure of a
// batch and every message after it, and writes only what came before. In
// both, every message but the failing ones is in S3 exactly once, the
// failing ones are in the dead-letter queue, and a message is delivered
// again only when the function reported it.
func TestEndToEnd(t *testing.T) {
	c := s3test.Client(t)
	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	bootstrap := lambdatest.Build(t, ".")
	p := loadPipeline(t)
	want := func(bodies []string, skip map[int]bool) []string {
		var out []string
		memo := map[string][]string{}
		for i, b := range bodies {
			if skip[i] {
				continue
			}
			w, ok := memo[b]
			if !ok {
				msgs, err := p.Transform(context.Background(), weir.NewMessage([]byte(b)))
				require.NoError(t, err)
				for _, m := range msgs {
					w = append(w, string(m.Data()))
				}
				memo[b] = w
			}
			out = append(out, w...)
		}
		sort.Strings(out)
		return out
	}
	sc := sqsClient(t, startGoaws(t))
	for _, tc := range []struct {
		queue string
		n     int
		bad   []int
		group func(int) string
	}{
		{queue: queueStd, n: 5_000, bad: []int{1_234, 2_500, 4_321}},
		{queue: queueFIFO, n: 1_000, bad: []int{421}, group: func(i int) string { return fmt.Sprint("g", i%4) }},
	} {
		t.Run(tc.queue, func(t *testing.T) {
			out := s3test.Bucket(t, c)
			fn := lambdatest.Start(t, bootstrap, lambdatest.Options{Env: []string{
				"WEIR_CONFIG=" + config, "WEIR_OUTPUT_BUCKET=" + out, "WEIR_S3_PATH_STYLE=true",
				"AWS_ENDPOINT_URL_S3=" + s3test.Endpoint(t),
				"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
				"AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
			}})
			bodies := bodies(t, tc.n, tc.bad...)
			ids := send(t, sc, tc.queue, bodies, tc.group)
			bad := map[int]bool{}
			badID := map[string]bool{}
			for _, i := range tc.bad {
				bad[i], badID[ids[i]] = true, true
			}
			m := &mapping{c: sc, fn: fn, queue: tc.queue, batchSize: 100}
			m.run(t)

			// The function's answers: from a standard queue, the failing
			// messages of the batch; from a FIFO queue, the first of them
			// and every message after it.
			for k, batch := range m.batches {
				var w []string
				for j, id := range batch {
					if badID[id] {
						if tc.group == nil {
							w = append(w, id)
							continue
						}
						w = batch[j:]
						break
					}
				}
				assert.Equal(t, w, m.answers[k], "the answer to batch %d", k)
			}
			// A message reported maxReceiveCount times is in the dead-letter
			// queue; every other one is delivered once, and again only after
			// it was reported.
			dead := drain(t, sc, dlq(tc.queue))
			isDead := map[string]bool{}
			for _, id := range dead {
				isDead[id] = true
			}
			assert.Empty(t, drain(t, sc, tc.queue), "the queue is empty")
			deliveries, again, wantDead := 0, 0, 0
			skip := map[int]bool{}
			for i, id := range ids {
				d := len(m.deliveries[id])
				deliveries += d
				again += d - 1
				if m.reported[id] == maxReceiveCount {
					wantDead++
					skip[i] = true
					require.True(t, isDead[id], "message %d, reported %d times, is in the dead-letter queue", i, maxReceiveCount)
					require.Equal(t, maxReceiveCount, d, "message %d", i)
					continue
				}
				require.False(t, bad[i], "failing message %d is not in the dead-letter queue", i)
				require.False(t, isDead[id], "message %d is in the dead-letter queue", i)
				require.Equal(t, m.reported[id]+1, d, "message %d is delivered once, and again only when reported", i)
			}
			require.Len(t, dead, wantDead, "the dead-letter queue holds only messages of the queue")
			if tc.group == nil {
				assert.Len(t, dead, len(tc.bad), "from a standard queue, only the failing messages are in the dead-letter queue")
			}

			got, objs := allLines(t, c, out)
			w := want(bodies, skip)
			require.Equal(t, len(w), len(got), "events in S3")
			assert.True(t, assert.ObjectsAreEqual(w, got), "every message but the failing ones, once")
			t.Logf("%s: %d messages sent (%d failing); %d invocations delivered %d messages, %d of them again (each reported before); "+
				"S3: %d objects, %d events from %d messages, each once; dead-letter queue: %d messages, each delivered and reported %d times; "+
				"ReceiveMessage answers lost: %d",
				tc.queue, tc.n, len(tc.bad), m.invocations, deliveries, again, objs, len(got), tc.n-len(dead), len(dead), maxReceiveCount, m.lostReceives)
		})
	}
}
