package kumotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/sivchari/kumo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
)

func TestMain(m *testing.M) {
	// kumo starts goroutines of its own when it is linked (init): no
	// goroutine check here; the transforms start none (sendtransform
	// checks that).
	testenv.Main(m, false)
}

var creds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

// counting wraps a transport: it counts PutRecordBatch / PutEvents calls
// and can refuse some with a throttling answer, or stop altogether.
type counting struct {
	next     http.RoundTripper
	mu       sync.Mutex
	calls    int
	throttle func(int) bool
	stopAt   int
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	if c.stopAt > 0 && n >= c.stopAt {
		return nil, fmt.Errorf("injected: connection refused (server stopped)")
	}
	if c.throttle != nil && c.throttle(n) {
		body := `{"__type":"ThrottlingException","message":"injected"}`
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
			Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
	return c.next.RoundTrip(r)
}

func events(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"i":%d,"kind":"test"}`, i))
	}
	return out
}

// sendAll sends data, then a control message, through tf. It returns the
// items the send reported failed and the data of the messages it reported
// not delivered (transform.Undelivered: the failed items' messages, and
// each message that started the batch after a failed one).
func sendAll(ctx context.Context, t *testing.T, tf transform.Transformer, data [][]byte) (failed []transform.FailedItem, lost [][]byte) {
	t.Helper()
	var walk func(err error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *transform.SendError:
			failed = append(failed, e.Failed...)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	collect := func(err error) {
		walk(err)
		d, partial := transform.Undelivered(err)
		require.False(t, partial)
		lost = append(lost, d...)
	}
	for _, d := range data {
		msg := weir.NewMessage(d)
		out, err := tf.Transform(ctx, msg)
		collect(err)
		if err == nil {
			require.Equal(t, []*weir.Message{msg}, out)
		}
	}
	_, err := tf.Transform(ctx, weir.NewControl())
	collect(err)
	return failed, lost
}

func TestEventBridge(t *testing.T) {
	srv := kumo.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})
	bus := "weir-bus"
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	require.NoError(t, err)
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["substation"]}`)})
	require.NoError(t, err)
	// A Kinesis target: kumo records the delivery without sending it anywhere.
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/sink")}}})
	require.NoError(t, err)

	hc := &counting{next: http.DefaultTransport, throttle: func(n int) bool { return n%4 == 0 }}
	tf, err := sendtransform.NewSendAWSEventBridge(ctx, nil, sendtransform.SendAWSEventBridgeConfig{
		Common:      sendtransform.Common{AWS: weir.AWSSettings{ARN: bus}, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
		Description: "weir test",
		Client: eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds,
			HTTPClient: &http.Client{Transport: hc}, RetryMaxAttempts: 1}),
	})
	require.NoError(t, err)
	defer tf.Close()
	in := events(95)
	in = append(in, []byte(`"not an object"`), []byte(`{"pad":"`+strings.Repeat("x", 300000)+`"}`))
	failed, lost := sendAll(ctx, t, tf, in)
	require.Len(t, failed, 2)
	require.Len(t, lost, 2)
	assert.ErrorIs(t, failed[0].Err, weir.ErrInvalidData)
	assert.ErrorIs(t, failed[1].Err, weir.ErrTooLarge)

	resp, err := http.Get(srv.URL + "/kumo/eventbridge/delivered-events")
	require.NoError(t, err)
	defer resp.Body.Close()
	var delivered []struct{ Source, DetailType, Detail, EventBusName string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&delivered))
	var got []string
	for _, d := range delivered {
		if d.EventBusName != bus {
			continue
		}
		assert.Equal(t, "substation", d.Source)
		assert.Equal(t, "weir test", d.DetailType)
		got = append(got, d.Detail)
	}
	var want []string
	for _, d := range in[:95] {
		want = append(want, string(d))
	}
	assert.ElementsMatch(t, want, got)
	assert.Greater(t, hc.calls, 10, "10 entries per call, and the throttled calls again")
}

// TestFirehose puts records through kumo's Firehose, with throttled calls
// and then a stopped server. kumo keeps the records but offers no API to
// read them back, so the check is on what the service acknowledged: every
// event is acknowledged once (PutRecordBatch gives each a record ID) or
// reported.
func TestFirehose(t *testing.T) {
	srv := kumo.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})
	_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("weir-fh")})
	require.NoError(t, err)
	// 100,000 events, as the no-loss requirement states it (5,000 with
	// -short): 500 records per call (the API's limit), a sixth of the calls
	// throttled, and the server stops about 80% of the way through.
	n := 100_000
	if testing.Short() {
		n = 5000
	}
	stopAt := n / 500
	hc := &counting{next: http.DefaultTransport, throttle: func(n int) bool { return n%6 == 0 }, stopAt: stopAt}
	acked := &ackCounter{}
	client := firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds,
		HTTPClient: &http.Client{Transport: acked.wrap(hc)}, RetryMaxAttempts: 1})
	tf, err := sendtransform.NewSendAWSDataFirehose(ctx, nil, sendtransform.SendAWSDataFirehoseConfig{
		Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/weir-fh"},
			Batch: transform.BatchSettings{Count: 1000}, Retry: &weir.RetrySettings{Count: 3},
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
		Client: client,
	})
	require.NoError(t, err)
	defer tf.Close()
	in := events(n)
	failed, undelivered := sendAll(ctx, t, tf, in)
	t.Logf("calls %d (stopped from call %d): acknowledged %d + reported %d (%d failed items) = %d of %d sent", hc.calls, stopAt, acked.records, len(undelivered), len(failed), acked.records+len(undelivered), n)
	assert.Equal(t, n, acked.records+len(undelivered), "acknowledged + reported = sent")
	assert.Positive(t, len(failed))
	var lost []string
	for _, d := range undelivered {
		lost = append(lost, string(d))
	}
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(lost))), len(lost), "each reported once")
	var want []string
	for _, d := range in {
		want = append(want, string(d))
	}
	assert.Equal(t, slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(append(acked.data, lost...))), "each event acknowledged or reported, once")
}

// ackCounter counts the records of successful PutRecordBatch answers and
// keeps their data: the records of the request at the indexes the answer
// gives a record ID without an error code.
type ackCounter struct {
	mu      sync.Mutex
	records int
	data    []string
}

func (a *ackCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		var req struct{ Records []struct{ Data []byte } }
		if r.Body != nil && strings.HasSuffix(r.Header.Get("X-Amz-Target"), "PutRecordBatch") {
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(body, &req); err != nil {
				return nil, err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := next.RoundTrip(r)
		if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "PutRecordBatch") {
			return resp, err
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var out struct {
			RequestResponses []struct{ RecordId, ErrorCode string }
		}
		if json.Unmarshal(b, &out) == nil && len(out.RequestResponses) == len(req.Records) {
			a.mu.Lock()
			for i, r := range out.RequestResponses {
				if r.RecordId != "" && r.ErrorCode == "" {
					a.records++
					a.data = append(a.data, string(req.Records[i].Data))
				}
			}
			a.mu.Unlock()
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return resp, nil
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
