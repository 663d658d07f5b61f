package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/lambdatest"
	"github.com/weirhq/weir/internal/s3test"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
)

func TestMain(m *testing.M) {
	testenv.Main(m, true)
}

const (
	n       = 100_000
	badAt   = 61_234
	batch   = 2_500 // about 5 MB of event payload: under Lambda's 6 MB
	shardID = "shardId-000000000006"
)

// records returns n records: W1's CloudTrail records in turn, and at
// badAt one without eventName, which the pipeline fails.
func records(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../../testdata/w1/cloudtrail.ndjson")
	require.NoError(t, err)
	defer f.Close()
	var w1 [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		w1 = append(w1, bytes.Clone(sc.Bytes()))
	}
	require.NoError(t, sc.Err())
	recs := make([][]byte, n)
	for i := range recs { // shared slices: the test reads them only
		recs[i] = w1[i%len(w1)]
	}
	recs[badAt] = []byte(`{"note":"no eventName"}`)
	return recs
}

func seq(i int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913658%06d", i)
}

// index is the position of a sequence number seq returned.
func index(t *testing.T, s string) int {
	t.Helper()
	i, err := strconv.Atoi(s[len(s)-6:])
	require.NoError(t, err)
	require.Equal(t, seq(i), s)
	return i
}

// kinesisEvent is the event Lambda's Kinesis event source mapping invokes
// the function with, for records [from, to) of one shard.
func kinesisEvent(recs [][]byte, from, to int) []byte {
	var parts []string
	for i := from; i < to; i++ {
		parts = append(parts, fmt.Sprintf(`{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"pk-%d","sequenceNumber":"%s",`+
			`"data":"%s","approximateArrivalTimestamp":1765000000.%03d},"eventSource":"aws:kinesis","eventVersion":"1.0",`+
			`"eventID":"%s:%s","eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::123456789012:role/weir-kinesis",`+
			`"awsRegion":"us-east-1","eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/cloudtrail"}`,
			i, seq(i), base64.StdEncoding.EncodeToString(recs[i]), i%1000, shardID, seq(i)))
	}
	return []byte(`{"Records":[` + strings.Join(parts, ",") + `]}`)
}

// expected is the pipeline's output for each record ("" when dropped or
// failed).
func expected(t *testing.T, recs [][]byte) []string {
	t.Helper()
	p := loadPipeline(t)
	out := make([]string, len(recs))
	memo := map[string]string{} // W1's 300 records repeat
	for i, r := range recs {
		w, ok := memo[string(r)]
		if !ok {
			msgs, err := p.Transform(context.Background(), weir.NewMessage(bytes.Clone(r)))
			if err == nil && len(msgs) == 1 {
				w = string(msgs[0].Data())
			}
			memo[string(r)] = w
		}
		out[i] = w
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

// objects returns every object's lines, by key.
func objects(t *testing.T, c *s3.Client, bucket string) map[string][]string {
	t.Helper()
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	out := map[string][]string{}
	for _, o := range list.Contents {
		obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		require.NoError(t, err)
		zr, err := gzip.NewReader(obj.Body)
		require.NoError(t, err)
		b, err := io.ReadAll(zr)
		require.NoError(t, err)
		obj.Body.Close()
		out[*o.Key] = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	return out
}

// TestEndToEnd runs the function under the Lambda runtime interface
// emulator with s3rver as S3 and delivers one shard's 100,000 records as
// Lambda's event source mapping would, in batches of 2,500 with real
// Kinesis event payloads: a reported record makes the next batch start at
// it; reported twice (MaximumRetryAttempts 1), it is discarded and the
// next batch starts after it. The record at 61,234 fails, so its batch
// writes the records before it, the retry from it writes nothing, and the
// batch after it goes on. Every other record's event is in S3 exactly once,
// in order.
func TestEndToEnd(t *testing.T) {
	c := s3test.Client(t)
	out := s3test.Bucket(t, c)
	recs := records(t)
	want := expected(t, recs)
	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	fn := lambdatest.Start(t, lambdatest.Build(t, "."), lambdatest.Options{Env: []string{
		"WEIR_CONFIG=" + config, "WEIR_OUTPUT_BUCKET=" + out, "WEIR_S3_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_S3=" + s3test.Endpoint(t),
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	}})

	// The event source mapping's part.
	var reported []int
	attempts := map[int]int{}
	invocations := 0
	for pos := 0; pos < n; {
		end := min(pos+batch, n)
		payload := kinesisEvent(recs, pos, end)
		require.Less(t, len(payload), 6_000_000, "Lambda's request limit")
		status, body := fn.Invoke(t, payload)
		invocations++
		require.Equal(t, http.StatusOK, status, "%s", body)
		var resp events.KinesisEventResponse
		require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
		if len(resp.BatchItemFailures) == 0 {
			pos = end
			continue
		}
		require.Len(t, resp.BatchItemFailures, 1, "a stream reports its first failure only")
		i := index(t, resp.BatchItemFailures[0].ItemIdentifier)
		require.True(t, i >= pos && i < end)
		reported = append(reported, i)
		attempts[i]++
		if attempts[i] == 2 {
			pos = i + 1 // discarded to the on-failure destination
		} else {
			pos = i
		}
	}
	assert.Equal(t, []int{badAt, badAt}, reported, "only the bad record is reported, and retried once")

	// Every object holds the events of the range its key names; the ranges
	// cover every record but the bad one, once.
	prefix := "kinesis/" + shardID + "/"
	covered := make([]int, n)
	written := 0
	for key, lines := range objects(t, c, out) {
		require.True(t, strings.HasPrefix(key, prefix) && strings.HasSuffix(key, ".ndjson.gz"), key)
		r := strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, prefix), ".ndjson.gz"), "-")
		require.Len(t, r, 2, key)
		from, to := index(t, r[0]), index(t, r[1])
		var w []string
		for i := from; i <= to; i++ {
			covered[i]++
			if want[i] != "" {
				w = append(w, want[i])
			}
		}
		require.Equal(t, len(w), len(lines), key)
		require.True(t, assert.ObjectsAreEqual(w, lines), "%s: the events of records %d-%d, in order", key, from, to)
		written += len(lines)
	}
	for i, k := range covered {
		if i == badAt {
			assert.Zero(t, k, "the bad record is written nowhere")
			continue
		}
		if k != 1 {
			t.Fatalf("record %d is in %d objects", i, k)
		}
	}
	t.Logf("%d records in %d invocations: %d events in S3, each record but %d exactly once; record %d reported twice, then discarded",
		n, invocations, written, badAt, badAt)
}

// TestHandleAggregated: a KPL-aggregated record is deaggregated and each of
// its user records runs through the pipeline, in place, in-process
// (goleak checks the handler leaves no goroutine).
func TestHandleAggregated(t *testing.T) {
	c := s3test.Client(t)
	out := s3test.Bucket(t, c)
	h, err := NewHandler(c, loadPipeline(t), Options{OutputBucket: out})
	require.NoError(t, err)
	all := records(t)[:4]
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
	require.NoError(t, err)
	for i, r := range all[1:3] {
		require.NoError(t, a.Add(aggregate.KPLRecord{PartitionKey: fmt.Sprint("pk", i), Data: r}))
	}
	recs := [][]byte{all[0], a.Append(nil), all[3]}
	var ev events.KinesisEvent
	require.NoError(t, json.Unmarshal(kinesisEvent(recs, 0, 3), &ev))
	resp, err := h.Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	var got int
	for _, events := range objects(t, c, out) {
		got += len(events)
	}
	want := 0
	for _, r := range all {
		o, err := loadPipeline(t).Transform(context.Background(), weir.NewMessage(r))
		require.NoError(t, err)
		want += len(o)
	}
	assert.Equal(t, want, got, "every user record of the aggregated record was written")
}
