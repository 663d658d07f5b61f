package sendtransform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/transform/sendtransform"
)

// scanJSON returns every item of table as JSON, by its "PK".
func scanJSON(t *testing.T, c *dynamodb.Client, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		for _, it := range page.Items {
			b, err := awsenrich.AppendItemJSON(nil, it)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			out[fmt.Sprint(m["PK"])] = string(b)
		}
	}
	return out
}

// dynamoPartial leaves every nth item of a BatchWriteItem out of the
// request and answers it as unprocessed.
func dynamoPartial(nth int) func(int, []byte) ([]byte, func([]byte) []byte) {
	return func(call int, body []byte) ([]byte, func([]byte) []byte) {
		var req map[string]map[string][]any
		if json.Unmarshal(body, &req) != nil || req["RequestItems"] == nil {
			return body, nil
		}
		left := map[string][]any{}
		for table, reqs := range req["RequestItems"] {
			var kept []any
			for i, r := range reqs {
				if (i+call)%nth == 0 {
					left[table] = append(left[table], r)
				} else {
					kept = append(kept, r)
				}
			}
			if len(kept) == 0 {
				return body, nil
			}
			req["RequestItems"][table] = kept
		}
		nb, _ := json.Marshal(req)
		return nb, func(ans []byte) []byte {
			var out map[string]any
			if json.Unmarshal(ans, &out) != nil {
				return ans
			}
			out["UnprocessedItems"] = left
			b, _ := json.Marshal(out)
			return b
		}
	}
}

func TestDynamoDBPut(t *testing.T) {
	dynamotest.SetAWSEnv(t)
	c := dynamotest.Client(t)
	ep := dynamotest.Endpoint(t)
	ctx := context.Background()

	t.Run("from config", func(t *testing.T) {
		table := dynamotest.Table(t, c, "PK", "")
		tf, err := testEnv().New(ctx, weir.Config{Type: "send_aws_dynamodb_put", Settings: map[string]any{
			"aws": map[string]any{"arn": "arn:aws:dynamodb:us-east-1:123456789012:table/" + table, "endpoint": ep},
		}})
		require.NoError(t, err)
		defer tf.(interface{ Close() error }).Close()
		var in [][]byte
		want := map[string]string{}
		for i := range 60 {
			d := fmt.Sprintf(`{"PK":"k%02d","n":%d,"tags":["a","b"],"m":{"ok":true}}`, i, i)
			in = append(in, []byte(d))
			want[fmt.Sprintf("k%02d", i)] = d
		}
		in = append(in, []byte(`["not","an","object"]`), []byte(`{"PK":"big","pad":"`+strings.Repeat("x", 410000)+`"}`))
		errs := sendAll(ctx, t, tf, in)
		failed := failedItems(errs)
		require.Len(t, failed, 2)
		assert.Equal(t, 60, failed[0].Index)
		assert.ErrorIs(t, failed[0].Err, weir.ErrInvalidData)
		assert.Equal(t, 61, failed[1].Index)
		assert.ErrorIs(t, failed[1].Err, weir.ErrTooLarge)
		got := scanJSON(t, c, table)
		require.Len(t, got, 60)
		for k, v := range want {
			assert.JSONEq(t, v, got[k], k)
		}
	})
	t.Run("unprocessed items are retried", func(t *testing.T) {
		table := dynamotest.Table(t, c, "PK", "")
		f := &faults{next: http.DefaultTransport, partial: dynamoPartial(3), throttle: func(n int) bool { return n%5 == 0 }}
		o := dynamotest.Options(ep)
		o.HTTPClient = &http.Client{Transport: f}
		tf, err := sendtransform.NewSendAWSDynamoDBPut(ctx, nil, sendtransform.SendAWSDynamoDBPutConfig{
			Common: sendtransform.Common{AWS: weir.AWSSettings{ARN: table}, Sleep: noSleep}, Client: dynamodb.New(o),
		})
		require.NoError(t, err)
		defer tf.Close()
		var in [][]byte
		for i := range 200 {
			in = append(in, []byte(fmt.Sprintf(`{"PK":"k%03d","v":"%s"}`, i, strings.Repeat("v", i))))
		}
		require.Empty(t, sendAll(ctx, t, tf, in))
		assert.Len(t, scanJSON(t, c, table), 200)
		assert.Positive(t, f.throttled)
		assert.Greater(t, f.calls, 8+f.throttled, "unprocessed items took more calls")
	})
}
