package sendtransform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
	"github.com/weirhq/weir/transform/transformtest"
)

// kinesisEndpoint returns kinesis-local's URL (started by make test).
func kinesisEndpoint(t testing.TB) string {
	t.Helper()
	return testenv.Endpoint(t, "WEIR_KINESIS_ENDPOINT", "kinesis-local")
}

// kinesisClient returns a client of kinesis-local whose HTTP goes through
// rt (nil: the default transport), without SDK retries.
func kinesisClient(t testing.TB, rt http.RoundTripper) *kinesis.Client {
	t.Helper()
	o := kinesis.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(kinesisEndpoint(t)),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}
	if rt != nil {
		o.HTTPClient = &http.Client{Transport: rt}
	}
	return kinesis.New(o)
}

// createStream creates a stream of shards shards and returns its ARN.
func createStream(t testing.TB, c *kinesis.Client, shards int32) string {
	t.Helper()
	ctx := context.Background()
	name := randName("weir-")
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
	require.NoError(t, err)
	var arn string
	require.Eventually(t, func() bool {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil || out.StreamDescriptionSummary.StreamStatus != types.StreamStatusActive {
			return false
		}
		arn = aws.ToString(out.StreamDescriptionSummary.StreamARN)
		return true
	}, 30*time.Second, 20*time.Millisecond)
	t.Cleanup(func() {
		_, _ = c.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamARN: aws.String(arn), EnforceConsumerDeletion: aws.Bool(true)})
	})
	return arn
}

// readStream reads every record of the stream from the start, shard by
// shard, and returns the user records after deaggregation and how many
// Kinesis records held them.
func readStream(t testing.TB, c *kinesis.Client, arn string) (users []aggregate.KPLRecord, records int) {
	t.Helper()
	ctx := context.Background()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		require.NoError(t, err)
		iter := it.ShardIterator
		for iter != nil {
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: aws.String(arn), ShardIterator: iter, Limit: aws.Int32(10000)})
			require.NoError(t, err)
			for _, r := range out.Records {
				records++
				us, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data})
				require.NoError(t, err)
				users = append(users, us...)
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return users, records
}

// indexes returns the "i" of each event, sorted.
func indexes(data [][]byte) []int {
	out := make([]int, len(data))
	for k, d := range data {
		out[k] = int(gjson.GetBytes(d, "i").Int())
	}
	slices.Sort(out)
	return out
}

func userData(users []aggregate.KPLRecord) [][]byte {
	out := make([][]byte, len(users))
	for i, u := range users {
		out[i] = u.Data
	}
	return out
}

func TestKinesisFromConfig(t *testing.T) {
	setAWSEnv(t)
	c := kinesisClient(t, nil)
	ctx := context.Background()
	for _, agg := range []bool{true, false} {
		t.Run(map[bool]string{true: "aggregated", false: "plain"}[agg], func(t *testing.T) {
			arn := createStream(t, c, 2)
			tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_kinesis_data_stream", Settings: map[string]any{
				"aws":                            map[string]any{"arn": arn, "endpoint": kinesisEndpoint(t)},
				"enable_record_aggregation":      agg,
				"use_batch_key_as_partition_key": true,
				"object":                         map[string]any{"batch_key": "host"},
				"batch":                          map[string]any{"count": 700},
			}})
			require.NoError(t, err)
			defer tf.(interface{ Close() error }).Close()
			in := events(3000, 300)
			for i := range in {
				in[i], _ = sjsonSet(in[i], "host", []string{"alpha", "beta", "gamma"}[i%3])
			}
			errs := sendAll(ctx, t, tf, in)
			require.Empty(t, errs)
			users, records := readStream(t, c, arn)
			assert.Equal(t, indexes(in), indexes(userData(users)))
			for _, u := range users {
				assert.Equal(t, gjson.GetBytes(u.Data, "host").String(), u.PartitionKey, "the batch key is the partition key")
			}
			if agg {
				assert.Less(t, records, 20, "aggregated records hold many events")
			} else {
				assert.Equal(t, 3000, records)
			}
		})
	}
}

// sjsonSet sets a string field of a JSON object.
func sjsonSet(d []byte, key, v string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(d, &m); err != nil {
		return nil, err
	}
	m[key] = v
	return json.Marshal(m)
}

func TestKinesisTooLarge(t *testing.T) {
	c := kinesisClient(t, nil)
	arn := createStream(t, c, 1)
	ctx := context.Background()
	for _, agg := range []bool{true, false} {
		tf, err := sendtransform.NewSendAWSKinesisDataStream(ctx, nil, sendtransform.SendAWSKinesisDataStreamConfig{
			Common:                  sendtransform.Common{AWS: weir.AWSSettings{ARN: arn}, Batch: transform.BatchSettings{Size: 8 << 20}},
			EnableRecordAggregation: agg,
			Client:                  c,
		})
		require.NoError(t, err)
		big := append(append([]byte(`{"i":1,"pad":"`), strings.Repeat("x", 1<<20)...), '"', '}')
		errs := sendAll(ctx, t, tf, [][]byte{[]byte(`{"i":0}`), big, []byte(`{"i":2}`)})
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], weir.ErrTooLarge)
		assert.Contains(t, errs[0].Error(), "1048576")
		failed := failedItems(errs)
		require.Len(t, failed, 1)
		assert.Equal(t, 1, failed[0].Index)
		assert.Equal(t, big, failed[0].Data)
		require.NoError(t, tf.Close())
	}
	users, _ := readStream(t, c, arn)
	assert.Equal(t, []int{0, 0, 2, 2}, indexes(userData(users)), "the others are delivered")
}

func TestKinesisContract(t *testing.T) {
	c := kinesisClient(t, nil)
	arn := createStream(t, c, 1)
	transformtest.Run(t, func() (transform.Transformer, error) {
		return sendtransform.NewSendAWSKinesisDataStream(context.Background(), nil, sendtransform.SendAWSKinesisDataStreamConfig{
			Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: arn}, Batch: transform.BatchSettings{Count: 50}}, EnableRecordAggregation: true, Client: c,
		})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`), []byte(`{"b":"x"}`)}, SkipLarge: true})
}

// kinesisPartial drops every dropEvery-th record of a PutRecords request
// before the server sees it and reports it as failed in the answer.
func kinesisPartial(dropEvery int) func(int, []byte) ([]byte, func([]byte) []byte) {
	return func(call int, body []byte) ([]byte, func([]byte) []byte) {
		var req map[string]any
		if json.Unmarshal(body, &req) != nil || req["Records"] == nil {
			return body, nil
		}
		recs := req["Records"].([]any)
		var kept []any
		var dropped []int
		for i, r := range recs {
			if (i+call)%dropEvery == 0 {
				dropped = append(dropped, i)
				continue
			}
			kept = append(kept, r)
		}
		if len(dropped) == 0 || len(kept) == 0 {
			return body, nil
		}
		req["Records"] = kept
		nb, _ := json.Marshal(req)
		return nb, func(ans []byte) []byte {
			var out map[string]any
			if json.Unmarshal(ans, &out) != nil {
				return ans
			}
			got, _ := out["Records"].([]any)
			all := make([]any, 0, len(recs))
			k := 0
			for i := range recs {
				if slices.Contains(dropped, i) {
					all = append(all, map[string]any{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "injected"})
					continue
				}
				if k < len(got) {
					all = append(all, got[k])
				}
				k++
			}
			out["Records"] = all
			fc, _ := out["FailedRecordCount"].(float64)
			out["FailedRecordCount"] = int(fc) + len(dropped)
			b, _ := json.Marshal(out)
			return b
		}
	}
}

// TestKinesisFaults sends 100,000 events through faults and checks that
// every one is delivered or reported: throttled calls, partial failures
// and lost answers are retried; after the server stops, what is left is
// reported, and nothing is lost.
func TestKinesisFaults(t *testing.T) {
	const n = 100_000
	ctx := context.Background()
	reader := kinesisClient(t, nil)
	in := events(n, 60)
	// kinesis-local takes about a second per MiB, and more per record:
	// the events go as aggregated records of 16 KiB, about 25 per call.
	run := func(t *testing.T, f *faults, count int) (delivered []aggregate.KPLRecord, failed []transform.FailedItem, lost [][]byte, resent int) {
		arn := createStream(t, reader, 4)
		f.next = http.DefaultTransport
		tf, err := sendtransform.NewSendAWSKinesisDataStream(ctx, nil, sendtransform.SendAWSKinesisDataStreamConfig{
			Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: arn}, Batch: transform.BatchSettings{Count: count, Size: 8 << 20},
				Retry: &weir.RetrySettings{Count: 6}, Sleep: noSleep},
			EnableRecordAggregation: true,
			AggregationSize:         16 << 10,
			Client:                  kinesisClient(t, f),
		})
		require.NoError(t, err)
		defer tf.Close()
		errs := sendAll(ctx, t, tf, in)
		failed = failedItems(errs)
		lost = undelivered(t, errs)
		st := tf.Stats()
		// A message that started the batch after a failed one fails with
		// it, unsent: it is undelivered, not a failed item.
		assert.Equal(t, int64(n-(len(lost)-len(failed))), st.Items)
		assert.Equal(t, int64(len(failed)), st.Failed)
		delivered, _ = readStream(t, reader, arn)
		return delivered, failed, lost, int(st.Resent)
	}
	t.Run("retried", func(t *testing.T) {
		f := &faults{
			throttle: func(c int) bool { return c%7 == 0 },
			lose:     func(c int) bool { return c%11 == 0 },
			partial:  kinesisPartial(5),
		}
		delivered, failed, lost, resent := run(t, f, 5000)
		require.Empty(t, failed)
		require.Empty(t, lost)
		got := indexes(userData(delivered))
		unique := slices.Compact(slices.Clone(got))
		assert.Equal(t, indexes(in), unique, "every event delivered")
		dups := len(got) - len(unique)
		t.Logf("calls %d: throttled %d, lost answers %d; delivered %d (%d duplicates, %d resent)", f.calls, f.throttled, f.lost, len(got), dups, resent)
		assert.Positive(t, f.throttled)
		assert.Positive(t, f.lost)
		assert.LessOrEqual(t, dups, resent, "duplicates come only from resent records")
	})
	t.Run("server stops", func(t *testing.T) {
		for _, count := range []int{5000, 200} {
			f := &faults{throttle: func(c int) bool { return c%7 == 0 }, partial: kinesisPartial(5)}
			f.stopAt = (n / count) * 6 / 10
			delivered, failed, undelivered, resent := run(t, f, count)
			got := indexes(userData(delivered))
			for _, fi := range failed {
				assert.ErrorIs(t, fi.Err, errStopped)
			}
			// The messages of the failed items, and each that started the
			// batch after a failed one.
			var lost []int
			for _, d := range undelivered {
				lost = append(lost, int(gjson.GetBytes(d, "i").Int()))
			}
			t.Logf("batches of %d: calls %d (stopped %d); delivered %d + reported %d = %d of %d sent", count, f.calls, f.stopped, len(got), len(lost), len(got)+len(lost), n)
			_ = count
			assert.Equal(t, n, len(got)+len(lost), "delivered + reported = sent")
			assert.Equal(t, indexes(in), slices.Sorted(slices.Values(append(got, lost...))), "each event once")
			_ = resent // calls refused by the stopped server count as resent: an upper bound
			assert.Positive(t, len(lost))
		}
	})
}
