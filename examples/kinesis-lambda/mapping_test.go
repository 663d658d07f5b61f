package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/lambdatest"
	"github.com/weirhq/weir/internal/testenv"
)

// This file plays the parts around the function: a producer that puts
// records into kinesis-local (some aggregated by the Kinesis Producer
// Library's format), and Lambda's Kinesis event source mapping, which
// reads each shard with GetShardIterator and GetRecords and invokes the
// function with the batches it reads.

// kinesisClient returns a client of kinesis-local (started by make test).
func kinesisClient(t testing.TB) *kinesis.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(testenv.Endpoint(t, "WEIR_KINESIS_ENDPOINT", "kinesis-local")),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Transport: tr},
	})
}

// createStream creates a stream of shards shards and returns its ARN; the
// other calls address it by ARN, as the event source mapping does.
func createStream(t testing.TB, c *kinesis.Client, shards int32) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("weir-kinesis-lambda-%d", time.Now().UnixNano())
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

// entry is a record to put.
type entry struct {
	pk   string
	data []byte
}

// entries turns user records into the records a producer puts: user
// record i has partition key "pk-i"; those for which agg(i) holds are
// packed, consecutive ones together, into KPL aggregated records of at
// most maxSize bytes (the aggregated record takes its first user record's key, as the KPL does).
func entries(t testing.TB, users [][]byte, agg func(int) bool, maxSize int) []entry {
	t.Helper()
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{MaxSize: maxSize})
	require.NoError(t, err)
	var out []entry
	emit := func() {
		if a.Len() > 0 {
			out = append(out, entry{pk: a.PartitionKey(), data: a.Append(nil)})
			a.Reset()
		}
	}
	for i, u := range users {
		if !agg(i) {
			emit()
			out = append(out, entry{pk: fmt.Sprint("pk-", i), data: u})
			continue
		}
		r := aggregate.KPLRecord{PartitionKey: fmt.Sprint("pk-", i), Data: u}
		if err := a.Add(r); err == aggregate.ErrKPLFull {
			emit()
			require.NoError(t, a.Add(r))
		} else {
			require.NoError(t, err)
		}
	}
	emit()
	return out
}

// put writes the entries to the stream with PutRecords, 500 entries (and
// at most 4 MB) a call, putting again the entries a call failed, until
// every one is in.
func put(t testing.TB, c *kinesis.Client, arn string, es []entry) {
	t.Helper()
	ctx := context.Background()
	for len(es) > 0 {
		var req []types.PutRecordsRequestEntry
		size := 0
		for _, e := range es {
			if len(req) == 500 || size+len(e.data)+len(e.pk) > 4<<20 {
				break
			}
			req = append(req, types.PutRecordsRequestEntry{PartitionKey: aws.String(e.pk), Data: e.data})
			size += len(e.data) + len(e.pk)
		}
		sent := es[:len(req)]
		es = es[len(req):]
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: aws.String(arn), Records: req})

		require.NoError(t, err)
		require.Len(t, out.Records, len(req))
		var again []entry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				again = append(again, sent[i])
			}
		}
		require.Equal(t, int(aws.ToInt32(out.FailedRecordCount)), len(again))
		es = append(again, es...)
	}
}

// mapping plays Lambda's Kinesis event source mapping for one stream
// (starting position TRIM_HORIZON, ReportBatchItemFailures): each shard is
// read in order with GetRecords and handed to the function in batches of
// at most BatchSize records whose event stays under Lambda's 6 MB payload
// limit. When the function reports a record, the shard is read again from
// that record's sequence number (AT_SEQUENCE_NUMBER): the next batch starts
// with it and goes on with the records after it. A record reported
// MaximumRetryAttempts+1 times is discarded (sent to the on-failure
// destination) and the shard is read from after it (AFTER_SEQUENCE_NUMBER).
type mapping struct {
	c         *kinesis.Client
	fn        *lambdatest.Function
	arn       string
	batchSize int
	retries   int // MaximumRetryAttempts

	// What happened, for the test to check.
	stream      map[string][]streamRecord // per shard, every record read, in order
	index       map[string]recordPos      // where each sequence number is in stream
	invocations int
	batches     map[string][][]string // per shard, the sequence numbers of each batch, in order
	reported    []string              // the sequence numbers reported, in order
	discarded   []string
}

// maxPayload is Lambda's limit on a synchronous invocation's request, 6 MB.
const maxPayload = 6 << 20

// shardReader is the mapping's position in one shard.
type shardReader struct {
	id       string
	iterator *string
	buf      []types.Record // read, not yet handed to the function
	done     bool           // read to the end (no new record)
	failures map[string]int // per sequence number, the times it was reported
}

// run delivers every record of the stream, a batch of each shard in turn
// (Lambda invokes the shards' batches concurrently; the emulator runs one
// invocation at a time), until every shard is read to its end.
func (m *mapping) run(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	m.batches = map[string][][]string{}
	m.stream, m.index = map[string][]streamRecord{}, map[string]recordPos{}
	shards, err := m.c.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: aws.String(m.arn)})
	require.NoError(t, err)
	var rs []*shardReader
	for _, sh := range shards.Shards {
		r := &shardReader{id: aws.ToString(sh.ShardId), failures: map[string]int{}}
		r.seek(t, m, types.ShardIteratorTypeTrimHorizon, "")
		rs = append(rs, r)
	}
	for active := true; active; {
		active = false
		for _, r := range rs {
			if r.done && len(r.buf) == 0 {
				continue
			}
			active = true
			m.deliver(t, r)
		}
	}
}

// seek gets a shard iterator of type typ (at or after seq).
func (r *shardReader) seek(t *testing.T, m *mapping, typ types.ShardIteratorType, seq string) {
	t.Helper()
	in := &kinesis.GetShardIteratorInput{StreamARN: aws.String(m.arn), ShardId: aws.String(r.id), ShardIteratorType: typ}
	if seq != "" {
		in.StartingSequenceNumber = aws.String(seq)
	}
	out, err := m.c.GetShardIterator(context.Background(), in)
	require.NoError(t, err)
	r.iterator, r.buf, r.done = out.ShardIterator, nil, false
}

// fill reads until a batch is full or the shard is read to its end.
func (r *shardReader) fill(t *testing.T, m *mapping) {
	t.Helper()
	for !r.done && len(r.buf) < m.batchSize {
		out, err := m.c.GetRecords(context.Background(), &kinesis.GetRecordsInput{
			StreamARN: aws.String(m.arn), ShardIterator: r.iterator, Limit: aws.Int32(int32(m.batchSize - len(r.buf))),
		})
		require.NoError(t, err)
		r.buf = append(r.buf, out.Records...)
		for _, rec := range out.Records {
			m.note(t, r.id, rec)
		}
		r.iterator = out.NextShardIterator
		// An open shard has a next iterator forever: no record and no
		// lag means the end of what was put.
		r.done = r.iterator == nil || (len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0)
	}
}

// streamRecord is a record of the stream as the mapping read it: its
// sequence number and the user records it holds (their indexes, from
// their partition keys "pk-i").
type streamRecord struct {
	seq   string
	users []int
}

// recordPos is the place of a record in its shard.
type recordPos struct {
	shard string
	i     int
}

// note adds a record read for the first time to m.stream.
func (m *mapping) note(t *testing.T, shard string, rec types.Record) {
	t.Helper()
	seq := aws.ToString(rec.SequenceNumber)
	if _, ok := m.index[seq]; ok {
		return
	}
	users, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: aws.ToString(rec.PartitionKey), Data: rec.Data})
	require.NoError(t, err)
	sr := streamRecord{seq: seq}
	for _, u := range users {
		i, err := strconv.Atoi(strings.TrimPrefix(u.PartitionKey, "pk-"))
		require.NoError(t, err, u.PartitionKey)
		sr.users = append(sr.users, i)
	}
	m.index[seq] = recordPos{shard, len(m.stream[shard])}
	m.stream[shard] = append(m.stream[shard], sr)
}

// deliver invokes the function with the shard's next batch.
func (m *mapping) deliver(t *testing.T, r *shardReader) {
	t.Helper()
	r.fill(t, m)
	if len(r.buf) == 0 {
		return
	}
	var ev events.KinesisEvent
	size := len(`{"Records":[]}`)
	for _, rec := range r.buf[:min(len(r.buf), m.batchSize)] {
		er := eventRecord(m.arn, r.id, rec)
		b, err := json.Marshal(er)
		require.NoError(t, err)
		if size+len(b)+1 > maxPayload {
			break
		}
		size += len(b) + 1 // and a comma
		ev.Records = append(ev.Records, er)
	}
	require.NotEmpty(t, ev.Records, "one record's event is over Lambda's payload limit")
	payload, err := json.Marshal(ev)
	require.NoError(t, err)
	require.LessOrEqual(t, len(payload), maxPayload)
	seqs := make([]string, len(ev.Records))
	for i, e := range ev.Records {
		seqs[i] = e.Kinesis.SequenceNumber
	}
	m.batches[r.id] = append(m.batches[r.id], seqs)
	m.invocations++
	status, body := m.fn.Invoke(t, payload)
	require.Equal(t, http.StatusOK, status, "%s", body)
	_, isErr := lambdatest.IsFunctionError(body)
	require.False(t, isErr, "the function never fails a batch whole: %s", body)
	var resp events.KinesisEventResponse
	require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
	if len(resp.BatchItemFailures) == 0 {
		r.buf = r.buf[len(ev.Records):]
		return
	}
	// Lambda resumes from the lowest sequence number reported; the
	// function reports one.
	require.Len(t, resp.BatchItemFailures, 1, "a shard reports its first failure only")
	seq := resp.BatchItemFailures[0].ItemIdentifier
	require.Contains(t, seqs, seq, "the reported record is in the batch")
	m.reported = append(m.reported, seq)
	r.failures[seq]++
	if r.failures[seq] > m.retries {
		m.discarded = append(m.discarded, seq)
		r.seek(t, m, types.ShardIteratorTypeAfterSequenceNumber, seq)
		return
	}
	r.seek(t, m, types.ShardIteratorTypeAtSequenceNumber, seq)
}

// eventRecord is a record of the event Lambda invokes the function with.
func eventRecord(arn, shard string, r types.Record) events.KinesisEventRecord {
	return events.KinesisEventRecord{
		AwsRegion:         "us-east-1",
		EventID:           shard + ":" + aws.ToString(r.SequenceNumber),
		EventName:         "aws:kinesis:record",
		EventSource:       "aws:kinesis",
		EventSourceArn:    arn,
		EventVersion:      "1.0",
		InvokeIdentityArn: "arn:aws:iam::000000000000:role/weir-kinesis",
		Kinesis: events.KinesisRecord{
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: aws.ToTime(r.ApproximateArrivalTimestamp)},
			Data:                        r.Data,
			PartitionKey:                aws.ToString(r.PartitionKey),
			SequenceNumber:              aws.ToString(r.SequenceNumber),
			KinesisSchemaVersion:        "1.0",
		},
	}
}
