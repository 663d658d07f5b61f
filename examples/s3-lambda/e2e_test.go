package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// records returns CloudTrail records: the 300 of testdata/w1 and the 25 of
// testdata/sample (two of which the pipeline drops), and one record
// without eventName, which the pipeline fails.
func records(t *testing.T) []json.RawMessage {
	t.Helper()
	var recs []json.RawMessage
	for _, name := range []string{"../../testdata/w1/cloudtrail.ndjson", "../../testdata/sample/cloudtrail.ndjson"} {
		f, err := os.Open(name)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			recs = append(recs, bytes.Clone(sc.Bytes()))
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	require.Len(t, recs, 325)
	return append(recs, json.RawMessage(`{"eventVersion":"1.08","note":"no eventName"}`))
}

// cloudTrailFile encodes recs as CloudTrail writes them: {"Records":
// [...]}, gzip-compressed when zip is set.
func cloudTrailFile(t *testing.T, recs []json.RawMessage, zip bool) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	if !zip {
		return b
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// expected runs the pipeline on each record alone and returns the lines
// it should write, and the numbers of dropped and failed records.
func expected(t *testing.T, recs []json.RawMessage) (lines []string, dropped, failed int) {
	t.Helper()
	f, err := os.Open("pipeline.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := transform.Load(context.Background(), nil, f)
	require.NoError(t, err)
	defer p.Close()
	for _, r := range recs {
		out, err := p.Transform(context.Background(), weir.NewMessage(bytes.Clone(r)))
		switch {
		case err != nil:
			failed++
		case len(out) == 0:
			dropped++
		}
		for _, m := range out {
			lines = append(lines, string(m.Data()))
		}
	}
	return lines, dropped, failed
}

// s3Event is an S3 event notification in S3's format, for objects created
// in bucket. Keys are URL-encoded as S3 encodes them ("+" for a space).
func s3Event(bucket string, keys ...string) []byte {
	var recs []string
	for i, k := range keys {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",`+
			`"eventTime":"2026-12-06T12:05:%02d.000Z","eventName":"ObjectCreated:Put",`+
			`"userIdentity":{"principalId":"AWS:AROAEXAMPLE:regionalDeliverySession"},`+
			`"requestParameters":{"sourceIPAddress":"198.51.100.7"},`+
			`"responseElements":{"x-amz-request-id":"C3D13FE58DE4C81%d","x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},`+
			`"s3":{"s3SchemaVersion":"1.0","configurationId":"weir-cloudtrail",`+
			`"bucket":{"name":%q,"ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::%s"},`+
			`"object":{"key":%q,"size":1024,"eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"0055AED6DCD9028%d"}}}`,
			i, i, bucket, bucket, url.QueryEscape(k), i))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// getLines reads a gzip NDJSON object.
func getLines(t *testing.T, c *s3.Client, bucket, key string) []string {
	t.Helper()
	obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, "s3://%s/%s", bucket, key)
	defer obj.Body.Close()
	zr, err := gzip.NewReader(obj.Body)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

const (
	gzKey    = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/06/123456789012_CloudTrail_us-east-1_20261206T1205Z_a b+c.json.gz"
	plainKey = "manual/upload.json"
)

// TestEndToEnd builds the function as deployed, runs it under the Lambda
// runtime interface emulator with s3rver as S3, and invokes it with an S3
// event notification for two CloudTrail files (gzip and plain): every
// record comes out normalized, dropped or in the errors object.
func TestEndToEnd(t *testing.T) {
	c := s3test.Client(t)
	ep := s3test.Endpoint(t)
	in, out := s3test.Bucket(t, c), s3test.Bucket(t, c)
	recs := records(t)
	lines, dropped, failed := expected(t, recs)
	require.Equal(t, 2, dropped)
	require.Equal(t, 1, failed)
	s3test.Put(t, c, in, gzKey, cloudTrailFile(t, recs, true))
	s3test.Put(t, c, in, plainKey, cloudTrailFile(t, recs[:10], false))

	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	fn := lambdatest.Start(t, lambdatest.Build(t, "."), lambdatest.Options{Env: []string{
		"WEIR_CONFIG=" + config,
		"WEIR_OUTPUT_BUCKET=" + out,
		"WEIR_S3_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_S3=" + ep,
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
		"AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	}})

	// S3 delivers notifications at least once: the second delivery
	// overwrites the same objects.
	for range 2 {
		status, body := fn.Invoke(t, s3Event(in, gzKey, plainKey))
		require.Equal(t, http.StatusOK, status, "%s", body)
		_, isErr := lambdatest.IsFunctionError(body)
		require.False(t, isErr, "%s", body)

		got := getLines(t, c, out, "normalized/"+strings.TrimSuffix(gzKey, ".json.gz")+".ndjson.gz")
		assert.Equal(t, len(recs)-dropped-failed, len(got), "326 in = 323 out + 2 dropped + 1 failed")
		assert.True(t, assert.ObjectsAreEqual(lines, got), "every event, in order")

		errs := getLines(t, c, out, "errors/"+strings.TrimSuffix(gzKey, ".json.gz")+".ndjson.gz")
		require.Len(t, errs, 1)
		assert.JSONEq(t, `{"error":"transform meta_switch: transform utility_err: not a CloudTrail record: no eventName",
			"record":{"eventVersion":"1.08","note":"no eventName"}}`, errs[0])

		plain := getLines(t, c, out, "normalized/manual/upload.ndjson.gz")
		assert.Equal(t, lines[:10], plain)
	}
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(out)})
	require.NoError(t, err)
	assert.Len(t, list.Contents, 3, "two results and one errors object, after two deliveries")
	assert.Eventually(t, func() bool {
		return strings.Contains(fn.Logs(), `"msg":"object done","bucket":"`+in+`","key":"`+gzKey+`","in":326,"out":323,"dropped":2,"failed":1,"events":323`)
	}, 10*time.Second, 10*time.Millisecond, "the per-object log line")

	t.Run("missing object", func(t *testing.T) {
		status, body := fn.Invoke(t, s3Event(in, "no/such/object.json.gz"))
		msg, isErr := lambdatest.IsFunctionError(body)
		require.True(t, isErr, "status %d: %s", status, body)
		assert.Contains(t, msg, "s3-lambda: get s3://"+in+"/no/such/object.json.gz")
	})
}

// TestHandle runs the handler in-process (goleak checks that it leaves no
// goroutine) on the same file.
func TestHandle(t *testing.T) {
	c := s3test.Client(t)
	in, out := s3test.Bucket(t, c), s3test.Bucket(t, c)
	recs := records(t)
	lines, _, _ := expected(t, recs)
	s3test.Put(t, c, in, gzKey, cloudTrailFile(t, recs, true))

	f, err := os.Open("pipeline.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := transform.Load(context.Background(), nil, f)
	require.NoError(t, err)
	defer p.Close()
	h, err := NewHandler(c, p, Options{OutputBucket: out, OutputPrefix: "x/"})
	require.NoError(t, err)

	counts, err := h.Object(context.Background(), in, gzKey)
	require.NoError(t, err)
	assert.Equal(t, Counts{In: 326, Out: 323, Dropped: 2, Failed: 1, Events: 323}, counts)
	assert.Equal(t, lines, getLines(t, c, out, "x/"+strings.TrimSuffix(gzKey, ".json.gz")+".ndjson.gz"))

	var ev events.S3Event
	require.NoError(t, json.Unmarshal(s3Event(in, gzKey), &ev))
	require.NoError(t, h.Handle(context.Background(), ev))

	s3test.Put(t, c, in, "bad.json", []byte(`{"Records": 42}`))
	_, err = h.Object(context.Background(), in, "bad.json")
	assert.ErrorIs(t, err, weir.ErrInvalidData)

	_, err = NewHandler(c, p, Options{})
	assert.ErrorIs(t, err, weir.ErrMissingSetting)
}
