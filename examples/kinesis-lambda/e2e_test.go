package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
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

const (
	n         = 100_000 // user records
	badAt     = 61_334  // a plain record without eventName: the pipeline fails it
	batchSize = 1_000   // the event source mapping's BatchSize
	shards    = 4
	retries   = 1 // the mapping's MaximumRetryAttempts
)

// aggregated tells which user records the producer packs into KPL
// aggregated records (of at most 51,200 bytes, the KPL's default
// AggregationMaxSize): in blocks of 100, all but every tenth block, which
// it puts as plain records (10,000 of the 100,000).
func aggregated(i int) bool { return (i/100)%10 != 3 }

// kplMaxSize is the KPL's default AggregationMaxSize.
const kplMaxSize = 51_200

// records returns n user records: W1's CloudTrail records in turn, and at
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

// TestEndToEnd puts 100,000 user records into a 4-shard stream of
// kinesis-local (90,000 of them in KPL aggregated records), and plays
// Lambda's event source mapping (BatchSize 1,000, MaximumRetryAttempts 1,
// ReportBatchItemFailures): it reads each shard with GetShardIterator and
// GetRecords and invokes the function, running under the Lambda runtime
// interface emulator with s3rver as S3, with each batch as a Kinesis event.
//
// The user record at 61,334 fails in the pipeline. Its batch writes the
// records before it and reports it; the mapping reads its shard again from
// it (the retry writes nothing and reports it again), then discards it to
// the on-failure destination and reads on after it. Every other user
// record's event is in S3 exactly once, in an object whose key names the
// range of sequence numbers it holds, in order; only the records of that
// shard from the failed one to the end of its retried batch are delivered
// to the function more than once.
func TestEndToEnd(t *testing.T) {
	c := s3test.Client(t)
	out := s3test.Bucket(t, c)
	users := records(t)
	require.False(t, aggregated(badAt))
	want := expected(t, users)
	kc := kinesisClient(t)
	arn := createStream(t, kc, shards)
	es := entries(t, users, aggregated, kplMaxSize)
	t0 := time.Now()
	put(t, kc, arn, es)
	putTook := time.Since(t0)

	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	fn := lambdatest.Start(t, lambdatest.Build(t, "."), lambdatest.Options{Env: []string{
		"WEIR_CONFIG=" + config, "WEIR_OUTPUT_BUCKET=" + out, "WEIR_S3_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_S3=" + s3test.Endpoint(t),
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	}})
	m := &mapping{c: kc, fn: fn, arn: arn, batchSize: batchSize, retries: retries}
	m.run(t)
	deliverTook := time.Since(t0) - putTook

	// The mapping read every user record from the stream, once.
	require.Len(t, m.stream, shards, "the partition keys spread over every shard")
	seen := make([]int, n)
	var badSeq string
	aggRecords, aggUsers := 0, 0
	for _, rs := range m.stream {
		for _, r := range rs {
			if len(r.users) > 1 || aggregated(r.users[0]) {
				aggRecords++
				aggUsers += len(r.users)
			}
			for _, u := range r.users {
				seen[u]++
			}
			if r.users[0] == badAt {
				badSeq = r.seq
			}
		}
	}
	for i, k := range seen {
		require.Equal(t, 1, k, "user record %d is in the stream %d times", i, k)
	}
	require.Len(t, m.index, len(es), "the stream holds the records put")

	// Only the bad record is reported: twice (the batch, its retry), then
	// discarded.
	assert.Equal(t, []string{badSeq, badSeq}, m.reported, "only the bad record is reported, and retried once")
	assert.Equal(t, []string{badSeq}, m.discarded)

	// Deliveries: every record once, but in the bad record's shard from it
	// to the end of its retry. The batch that failed ends at e1 and holds
	// the bad record b; the retry starts at b and ends at e2; the batch
	// after the discard starts at b+1. So b is delivered twice, (b, e1]
	// three times, (e1, e2] twice.
	badShard, b := m.index[badSeq].shard, m.index[badSeq].i
	var withBad [][]string
	for _, seqs := range m.batches[badShard] {
		if slices.Contains(seqs, badSeq) {
			withBad = append(withBad, seqs)
		}
	}
	require.Len(t, withBad, 2, "the batch that failed and its retry")
	require.Equal(t, badSeq, withBad[1][0], "the retry starts at the failed record")
	e1, e2 := m.index[withBad[0][len(withBad[0])-1]].i, m.index[withBad[1][len(withBad[1])-1]].i
	delivered := map[string]int{}
	deliveries := 0
	for _, bs := range m.batches {
		for _, seqs := range bs {
			for _, s := range seqs {
				delivered[s]++
				deliveries++
			}
		}
	}
	redelivered := 0
	for shard, rs := range m.stream {
		for i, r := range rs {
			w := 1
			if shard == badShard {
				switch {
				case i == b:
					w = 2
				case i > b && i <= e1:
					w = 3
				case i > e1 && i <= e2:
					w = 2
				}
			}
			require.Equal(t, w, delivered[r.seq], "deliveries of record %d of %s", i, shard)
			redelivered += w - 1
		}
	}

	// Every object holds the events of the range its key names; the ranges
	// cover every record but the bad one, once.
	covered := map[string]int{}
	written, userWritten, objs := 0, 0, 0
	for key, lines := range objects(t, c, out) {
		objs++
		rest, ok := strings.CutPrefix(key, "kinesis/")
		require.True(t, ok, key)
		shard, rng, ok := strings.Cut(strings.TrimSuffix(rest, ".ndjson.gz"), "/")
		require.True(t, ok, key)
		first, last, ok := strings.Cut(rng, "-")
		require.True(t, ok, key)
		from, to := m.index[first], m.index[last]
		require.Equal(t, shard, from.shard, key)
		require.Equal(t, shard, to.shard, key)
		var w []string
		for _, r := range m.stream[shard][from.i : to.i+1] {
			covered[r.seq]++
			for _, u := range r.users {
				userWritten++
				if want[u] != "" {
					w = append(w, want[u])
				}
			}
		}
		require.Equal(t, len(w), len(lines), key)
		require.True(t, assert.ObjectsAreEqual(w, lines), "%s: the events of records %d-%d of %s, in order", key, from.i, to.i, shard)
		written += len(lines)
	}
	for seq, p := range m.index {
		if seq == badSeq {
			assert.Zero(t, covered[seq], "the bad record is written nowhere")
			continue
		}
		if covered[seq] != 1 {
			t.Fatalf("record %s (%d of %s) is in %d objects", seq, p.i, p.shard, covered[seq])
		}
	}
	wantEvents := 0
	for i, w := range want {
		if w != "" && i != badAt {
			wantEvents++
		}
	}
	assert.Equal(t, n-1, userWritten, "count in = written + discarded")
	assert.Equal(t, wantEvents, written)
	t.Logf("%d user records put (%d plain, %d in %d KPL aggregated records): %d Kinesis records in %d shards; "+
		"%d invocations delivered %d records, %d of them again (in %s, from the failed record to the end of its retry); "+
		"reported: the record of user record %d, twice, then discarded; S3: %d objects, %d events from %d user records, each written once; "+
		"put in %v, delivered in %v",
		n, n-aggUsers, aggUsers, aggRecords, len(es), shards,
		m.invocations, deliveries, redelivered, badShard, badAt, objs, written, userWritten,
		putTook.Round(time.Second), deliverTook.Round(time.Second))
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
	es := entries(t, all, func(i int) bool { return i == 1 || i == 2 }, kplMaxSize)
	require.Len(t, es, 3)
	var ev events.KinesisEvent
	for i, e := range es {
		ev.Records = append(ev.Records, eventRecord("arn:aws:kinesis:us-east-1:000000000000:stream/cloudtrail", "shardId-000000000000",
			types.Record{Data: e.data, PartitionKey: aws.String(e.pk), SequenceNumber: aws.String(fmt.Sprint("4959033827149025660855969253836157109592157598913658", i))}))
	}
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
