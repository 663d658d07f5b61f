package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
)

func TestMain(m *testing.M) {
	testenv.Main(m, true)
}

// response is Firehose's reading of the answer.
type response struct {
	Records []struct {
		RecordID string `json:"recordId"`
		Result   string `json:"result"`
		Data     []byte `json:"data"`
	} `json:"records"`
}

// batch is the test batch: the 25 CloudTrail records of the sample (two of
// them DescribeInstanceInformation, which the pipeline drops), a record
// that is not JSON (which it fails), and a copy of the first record.
func batch(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../../testdata/sample/cloudtrail.ndjson")
	require.NoError(t, err)
	defer f.Close()
	var recs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		recs = append(recs, bytes.Clone(sc.Bytes()))
	}
	require.NoError(t, sc.Err())
	require.Len(t, recs, 25)
	return append(recs, []byte("this is not JSON"), recs[0])
}

// loadPipeline builds the example's pipeline.
func loadPipeline(t testing.TB) *transform.Pipeline {
	t.Helper()
	f, err := os.Open("pipeline.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := transform.Load(context.Background(), nil, f)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// want returns the answer expected for each record, computed by running
// the pipeline on one record at a time: the result and the data.
func want(t *testing.T, recs [][]byte) ([]string, [][]byte) {
	t.Helper()
	p := loadPipeline(t)
	results := make([]string, len(recs))
	data := make([][]byte, len(recs))
	for i, r := range recs {
		out, err := p.Transform(context.Background(), weir.NewMessage(bytes.Clone(r)))
		switch {
		case err != nil:
			results[i], data[i] = ResultProcessingFailed, r
		case len(out) == 0:
			results[i], data[i] = ResultDropped, []byte{}
		default:
			results[i] = ResultOk
			for _, m := range out {
				data[i] = append(append(data[i], m.Data()...), '\n')
			}
		}
	}
	return results, data
}

func event(recs [][]byte) events.KinesisFirehoseEvent {
	ev := events.KinesisFirehoseEvent{InvocationID: "inv-1", Region: "us-east-1",
		DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/weir"}
	for i, r := range recs {
		ev.Records = append(ev.Records, events.KinesisFirehoseEventRecord{
			RecordID:                    "rec-" + strconv.Itoa(i),
			ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: time.UnixMilli(1765000000000 + int64(i))},
			Data:                        bytes.Clone(r),
		})
	}
	return ev
}

func TestHandle(t *testing.T) {
	recs := batch(t)
	results, data := want(t, recs)
	assert.Equal(t, ResultDropped, results[5], "the sample's sixth and seventh records are DescribeInstanceInformation")
	assert.Equal(t, ResultProcessingFailed, results[25])

	h := NewHandler(loadPipeline(t), Options{})
	raw, err := h.Handle(context.Background(), event(recs))
	require.NoError(t, err)
	var resp response
	require.NoError(t, json.Unmarshal(raw, &resp))
	require.Len(t, resp.Records, len(recs), "one answer per record")
	n := map[string]int{}
	for i, r := range resp.Records {
		assert.Equal(t, "rec-"+strconv.Itoa(i), r.RecordID)
		assert.Equal(t, results[i], r.Result, "record %d", i)
		assert.Equal(t, string(data[i]), string(r.Data), "record %d", i)
		n[r.Result]++
	}
	assert.Equal(t, map[string]int{ResultOk: 24, ResultDropped: 2, ResultProcessingFailed: 1}, n)
}

// TestHandleMetadata: the pipeline reads the record ID and arrival time
// from the metadata, and a pipeline returning two messages for a record
// answers them together, newline-delimited.
func TestHandleMetadata(t *testing.T) {
	p, err := transform.Parse(context.Background(), nil, []byte(`{"transforms":[
		{"type":"object_copy","settings":{"object":{"source_key":"meta recordId","target_key":"id"}}},
		{"type":"object_copy","settings":{"object":{"source_key":"meta approximateArrivalTimestamp","target_key":"at"}}}]}`))
	require.NoError(t, err)
	defer p.Close()
	twice := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		out, err := p.Transform(ctx, msg)
		if err != nil || msg.IsControl() {
			return out, err
		}
		return append(out, out[0].Clone()), nil
	})
	raw, err := NewHandler(twice, Options{}).Handle(context.Background(), event([][]byte{[]byte(`{"a":1}`)}))
	require.NoError(t, err)
	var resp response
	require.NoError(t, json.Unmarshal(raw, &resp))
	require.Len(t, resp.Records, 1)
	line := `{"a":1,"id":"rec-0","at":1765000000000}`
	assert.Equal(t, line+"\n"+line+"\n", string(resp.Records[0].Data))
}

// TestHandleResponseLimit: with a limit that holds only part of the
// output, the response stays within it, the records that fit are answered
// in order, and the others fail (with their original data) rather than
// being lost.
func TestHandleResponseLimit(t *testing.T) {
	recs := batch(t)
	results, data := want(t, recs)
	for _, limit := range []int{4_000, 12_000, 30_000} {
		h := NewHandler(loadPipeline(t), Options{MaxResponseBytes: limit})
		raw, err := h.Handle(context.Background(), event(recs))
		require.NoError(t, err, "limit %d", limit)
		assert.LessOrEqual(t, len(raw)+1, limit, "the response and the encoder's newline fit")
		var resp response
		require.NoError(t, json.Unmarshal(raw, &resp))
		require.Len(t, resp.Records, len(recs))
		ok, cut := 0, 0
		for i, r := range resp.Records {
			if r.Result == results[i] && r.Result != ResultProcessingFailed {
				assert.Equal(t, string(data[i]), string(r.Data))
				if r.Result == ResultOk {
					ok++
				}
				continue
			}
			// A failed record, or an answer that did not fit, is
			// ProcessingFailed; its data is the record or, when even that
			// did not fit, empty.
			assert.Equal(t, ResultProcessingFailed, r.Result)
			assert.Contains(t, []string{string(recs[i]), ""}, string(r.Data))
			if results[i] != ResultProcessingFailed {
				cut++
			}
		}
		assert.Positive(t, cut, "limit %d cuts some answers", limit)
		t.Logf("limit %d: %d Ok, %d cut, response %d bytes", limit, ok, cut, len(raw)+1)
	}

	_, err := NewHandler(loadPipeline(t), Options{MaxResponseBytes: 100}).Handle(context.Background(), event(recs))
	assert.ErrorIs(t, err, ErrResponseTooLarge)
}

// TestHandleDeadline: a pipeline that does not finish before the deadline
// (less the margin) makes the invocation fail, so that Firehose retries
// it, instead of Lambda killing the function mid-answer.
func TestHandleDeadline(t *testing.T) {
	stuck := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return msg.AsSlice(), nil
		}
		<-ctx.Done()
		return nil, context.Cause(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := NewHandler(stuck, Options{}).Handle(ctx, event(batch(t)))
	assert.ErrorIs(t, err, ErrDeadline)
	assert.NoError(t, ctx.Err(), "the handler answered before the invocation's deadline")
}

// TestHandleFlushReleases: messages a pipeline releases at the final flush
// belong to no record, so the invocation fails rather than losing them.
func TestHandleFlushReleases(t *testing.T) {
	holder := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{weir.NewMessage([]byte(`{"held":1}`)), msg}, nil
		}
		return msg.AsSlice(), nil
	})
	_, err := NewHandler(holder, Options{}).Handle(context.Background(), event(batch(t)))
	assert.ErrorContains(t, err, "released 1 messages at the end of the batch")
}
