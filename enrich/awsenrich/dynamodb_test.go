package awsenrich_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/internal/dynamotest"
)

// dynamoClient returns a client for the test server whose requests go
// through th (throttling the first throttled ones), with its connections
// closed when the test ends.
func dynamoClient(t testing.TB, throttled int64) (*dynamodb.Client, *dynamotest.Throttler) {
	t.Helper()
	c, th := dynamotest.ThrottledClient(t)
	th.Left.Store(throttled)
	return c, th
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func TestDynamoDBQueryAttributeTypes(t *testing.T) {
	t.Parallel()
	c, _ := dynamoClient(t, 0)
	table := dynamotest.Table(t, c, "pk", "sk")
	dynamotest.PutItems(t, c, table, map[string]types.AttributeValue{
		"pk":   s("user"),
		"sk":   s("a"),
		"str":  s("é\"<"),
		"num":  &types.AttributeValueMemberN{Value: "12345678901234567890.5"},
		"neg":  &types.AttributeValueMemberN{Value: "-0.25"},
		"bin":  &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}},
		"yes":  &types.AttributeValueMemberBOOL{Value: true},
		"nil":  &types.AttributeValueMemberNULL{Value: true},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"x"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"7"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{[]byte("hi")}},
		"list": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), &types.AttributeValueMemberN{Value: "1"}, &types.AttributeValueMemberNULL{Value: true}}},
		"map":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"z": s("last"), "a": &types.AttributeValueMemberBOOL{Value: false}}},
	})
	q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{Client: c, Table: table, PartitionKey: "pk", SortKey: "sk"})
	require.NoError(t, err)
	got, err := q.Query(context.Background(), "user", nil)
	require.NoError(t, err)
	assert.Equal(t, `[{"bin":"AAEC/w==","bs":["aGk="],"list":["a",1,null],"map":{"a":false,"z":"last"},"neg":-0.25,"nil":null,"ns":[7],"num":12345678901234567890.5,"pk":"user","sk":"a","ss":["x"],"str":"é\"\u003c","yes":true}]`, string(got))

	// The JSON converts back to the same attribute values (sets aside,
	// which JSON holds as lists).
	av, err := awsenrich.AttributeValueFromJSON([]byte(`{"n":12345678901234567890.5,"b":true,"z":null,"l":["a",{"x":1}]}`))
	require.NoError(t, err)
	back, err := awsenrich.AppendAttributeValueJSON(nil, av)
	require.NoError(t, err)
	assert.Equal(t, `{"b":true,"l":["a",{"x":1}],"n":12345678901234567890.5,"z":null}`, string(back))
	_, err = awsenrich.AttributeValueFromJSON([]byte(`{"n":`))
	assert.ErrorIs(t, err, weir.ErrInvalidData)
}

func TestDynamoDBQueryOrderAndLimit(t *testing.T) {
	t.Parallel()
	c, _ := dynamoClient(t, 0)
	table := dynamotest.Table(t, c, "pk", "sk")
	for _, sk := range []string{"b", "a", "c"} {
		dynamotest.PutItems(t, c, table, map[string]types.AttributeValue{"pk": s("p"), "sk": s(sk)})
	}
	dynamotest.PutItems(t, c, table, map[string]types.AttributeValue{"pk": s("other"), "sk": s("a")})
	sk := func(v string) *string { return &v }
	tests := []struct {
		name    string
		forward bool
		limit   int32
		sk      *string
		want    string
	}{
		{"ascending", true, 0, nil, `[{"pk":"p","sk":"a"},{"pk":"p","sk":"b"},{"pk":"p","sk":"c"}]`},
		{"descending", false, 0, nil, `[{"pk":"p","sk":"c"},{"pk":"p","sk":"b"},{"pk":"p","sk":"a"}]`},
		{"limit", true, 2, nil, `[{"pk":"p","sk":"a"},{"pk":"p","sk":"b"}]`},
		{"sort key", true, 0, sk("b"), `[{"pk":"p","sk":"b"}]`},
		{"no such sort key", true, 0, sk("x"), ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{
				Client: c, Table: table, PartitionKey: "pk", SortKey: "sk",
				ScanIndexForward: tt.forward, Limit: tt.limit, ConsistentRead: true,
			})
			require.NoError(t, err)
			got, err := q.Query(context.Background(), "p", tt.sk)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestDynamoDBQueryThrottling(t *testing.T) {
	t.Parallel()
	c, th := dynamoClient(t, 0)
	table := dynamotest.Table(t, c, "pk", "")
	dynamotest.PutItems(t, c, table, map[string]types.AttributeValue{"pk": s("k"), "v": s("x")})

	tests := []struct {
		name      string
		throttled int64
		retries   int
		wantErr   bool
		waits     int
	}{
		{"recovers", 2, 3, false, 2},
		{"gives up", 5, 2, true, 2},
		{"no retries", 1, -1, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { // not parallel: they share th
			th.Left.Store(tt.throttled)
			th.Calls.Store(0)
			var waits []time.Duration
			q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{
				Client: c, Table: table, PartitionKey: "pk",
				Backoff: awsenrich.Backoff{MaxRetries: tt.retries, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
					Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }},
			})
			require.NoError(t, err)
			got, err := q.Query(context.Background(), "k", nil)
			assert.Len(t, waits, tt.waits)
			for i, d := range waits {
				assert.Less(t, d, time.Millisecond<<i, "wait %d", i)
			}
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorAs(t, err, new(*types.ProvisionedThroughputExceededException))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, `[{"pk":"k","v":"x"}]`, string(got))
			assert.Equal(t, tt.throttled+1, th.Calls.Load())
		})
	}
}

func TestDynamoDBQueryConfigErrors(t *testing.T) {
	t.Parallel()
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	for name, cfg := range map[string]awsenrich.DynamoDBQueryConfig{
		"no client":     {Table: "t", PartitionKey: "pk"},
		"no table":      {Client: c, PartitionKey: "pk"},
		"no pk":         {Client: c, Table: "t"},
		"bad limit":     {Client: c, Table: "t", PartitionKey: "pk", Limit: -1},
		"bad backoff":   {Client: c, Table: "t", PartitionKey: "pk", Backoff: awsenrich.Backoff{BaseDelay: -1}},
		"bad max delay": {Client: c, Table: "t", PartitionKey: "pk", Backoff: awsenrich.Backoff{MaxDelay: -1}},
	} {
		_, err := awsenrich.NewDynamoDBQuery(cfg)
		assert.Error(t, err, name)
	}
	q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{Client: c, Table: "t", PartitionKey: "pk"})
	require.NoError(t, err)
	sk := "x"
	_, err = q.Query(context.Background(), "k", &sk)
	assert.ErrorContains(t, err, "without a sort key attribute")
}

func BenchmarkDynamoDBQuery(b *testing.B) {
	c, _ := dynamoClient(b, 0)
	table := dynamotest.Table(b, c, "pk", "")
	dynamotest.PutItems(b, c, table, map[string]types.AttributeValue{"pk": s("k"), "v": s("x"), "n": &types.AttributeValueMemberN{Value: "42"}})
	q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{Client: c, Table: table, PartitionKey: "pk"})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Query(ctx, "k", nil); err != nil {
			b.Fatal(err)
		}
	}
}
