package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/ctgen"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform/all"
)

// TestRunKinesisAggregated runs a config ending in
// send_aws_kinesis_data_stream with record aggregation over 100,000
// CloudTrail records, against kinesis-local, and reads the stream back:
// after deaggregation it holds exactly the records sent.
func TestRunKinesisAggregated(t *testing.T) {
	endpoint := testenv.Endpoint(t, "WEIR_KINESIS_ENDPOINT", "kinesis-local")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ctx := context.Background()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	name := fmt.Sprintf("weir-run-%d", time.Now().UnixNano())
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(4)})
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
	defer c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamARN: aws.String(arn)})

	const n = 100_000
	dir := t.TempDir()
	input := filepath.Join(dir, "cloudtrail.ndjson")
	f, err := os.Create(input)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	require.NoError(t, ctgen.WriteTo(w, n, 7))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	config := filepath.Join(dir, "pipeline.json")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`{"transforms": [
		{"type": "send_aws_kinesis_data_stream", "settings": {
			"aws": {"arn": %q, "endpoint": %q},
			"enable_record_aggregation": true,
			"batch": {"count": 5000, "size": 5242880}}},
		{"type": "utility_drop"}]}`, arn, endpoint)), 0o600))

	var stdout, stderr syncBuffer
	start := time.Now()
	code := run(ctx, all.Env(), []string{"run", "-config", config, input}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	t.Logf("weir run sent %d records in %v", n, time.Since(start))

	// Read back, deaggregate, and compare with what was sent.
	want := map[[32]byte]int{}
	for _, r := range ctgen.Generate(n, 7) {
		want[sha256.Sum256(r)]++
	}
	got := map[[32]byte]int{}
	users, records := 0, 0
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		require.NoError(t, err)
		for iter := it.ShardIterator; iter != nil; {
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: aws.String(arn), ShardIterator: iter, Limit: aws.Int32(10000)})
			require.NoError(t, err)
			if len(out.Records) == 0 {
				break
			}
			for _, r := range out.Records {
				records++
				us, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data})
				require.NoError(t, err)
				for _, u := range us {
					users++
					got[sha256.Sum256(u.Data)]++
				}
			}
			iter = out.NextShardIterator
		}
	}
	t.Logf("%d Kinesis records hold %d events", records, users)
	assert.Equal(t, n, users, "exactly the records sent")
	assert.Equal(t, want, got)
	assert.Less(t, records, n/50, "records are aggregated")
}
