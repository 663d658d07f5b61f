package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/lambdatest"
)

// firehoseEvent writes the payload Firehose invokes a transformation
// function with, in Firehose's own format (a stream with a Kinesis data
// stream source: each record carries kinesisRecordMetadata).
func firehoseEvent(recs [][]byte) []byte {
	var b strings.Builder
	b.WriteString(`{"invocationId":"3bfc7b4b-6a0a-4c3e-9d2f-7c6f1c1d5e01",` +
		`"deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/weir-cloudtrail",` +
		`"sourceKinesisStreamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/cloudtrail",` +
		`"region":"us-east-1","records":[`)
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"recordId":"rec-%d","approximateArrivalTimestamp":%d,"data":%q,`+
			`"kinesisRecordMetadata":{"shardId":"shardId-000000000000","partitionKey":"pk-%d",`+
			`"approximateArrivalTimestamp":%d,"sequenceNumber":"4954698668313554428650745793632162567570019247115678%04d","subsequenceNumber":0}}`,
			i, 1765000000000+int64(i), base64.StdEncoding.EncodeToString(r), i, 1765000000000+int64(i), i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// TestEndToEnd builds the function as it is deployed (a bootstrap binary),
// runs it under AWS's Lambda runtime interface emulator, and invokes it
// over HTTP with a Firehose event: every record is answered, with the data
// the pipeline gives for it.
func TestEndToEnd(t *testing.T) {
	bootstrap := lambdatest.Build(t, ".")
	config, err := filepath.Abs("pipeline.json")
	require.NoError(t, err)
	recs := batch(t)
	results, data := want(t, recs)

	t.Run("batch", func(t *testing.T) {
		fn := lambdatest.Start(t, bootstrap, lambdatest.Options{Env: []string{"WEIR_CONFIG=" + config}})
		// Two invocations of the same instance: nothing is left over from
		// the first.
		for range 2 {
			status, body := fn.Invoke(t, firehoseEvent(recs))
			require.Equal(t, http.StatusOK, status, "%s", body)
			var resp response
			require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
			require.Len(t, resp.Records, len(recs))
			n := map[string]int{}
			for i, r := range resp.Records {
				assert.Equal(t, fmt.Sprintf("rec-%d", i), r.RecordID)
				assert.Equal(t, results[i], r.Result, "record %d", i)
				assert.Equal(t, string(data[i]), string(r.Data), "record %d", i)
				n[r.Result]++
			}
			assert.Equal(t, map[string]int{ResultOk: 24, ResultDropped: 2, ResultProcessingFailed: 1}, n,
				"count in (27) = Ok + Dropped + ProcessingFailed")
		}
		// The failed record is logged with its ID, as a JSON line.
		assert.Eventually(t, func() bool {
			return strings.Contains(fn.Logs(), `"msg":"record failed","recordId":"rec-25","error":"transform meta_switch: transform utility_err: record is not a JSON object"`)
		}, 10*time.Second, 10*time.Millisecond)
	})

	t.Run("response limit", func(t *testing.T) {
		const limit = 12_000
		fn := lambdatest.Start(t, bootstrap, lambdatest.Options{Env: []string{
			"WEIR_CONFIG=" + config, fmt.Sprintf("WEIR_FIREHOSE_MAX_RESPONSE_BYTES=%d", limit)}})
		status, body := fn.Invoke(t, firehoseEvent(recs))
		require.Equal(t, http.StatusOK, status, "%s", body)
		assert.LessOrEqual(t, len(body), limit)
		var resp response
		require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
		require.Len(t, resp.Records, len(recs), "every record is answered")
		cut := 0
		for i, r := range resp.Records {
			if r.Result != results[i] {
				assert.Equal(t, ResultProcessingFailed, r.Result)
				cut++
			}
		}
		assert.Positive(t, cut)
	})

	t.Run("deadline", func(t *testing.T) {
		slow := filepath.Join(t.TempDir(), "slow.json")
		require.NoError(t, writeFile(slow, `{"transforms":[{"type":"utility_delay","settings":{"duration":"1m"}}]}`))
		fn := lambdatest.Start(t, bootstrap, lambdatest.Options{Env: []string{"WEIR_CONFIG=" + slow}, Timeout: 5 * time.Second})
		status, body := fn.Invoke(t, firehoseEvent(recs[:3]))
		// The handler answers with an error before Lambda's timeout, so
		// Firehose retries the batch; the emulator says "Task timed out"
		// when a handler overruns instead.
		msg, isErr := lambdatest.IsFunctionError(body)
		require.True(t, isErr, "status %d: %s", status, body)
		assert.Contains(t, msg, "firehose-transform: deadline: the pipeline did not finish 3 records in time")
	})
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
