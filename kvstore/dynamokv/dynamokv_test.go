package dynamokv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/kvstore"
	"github.com/weirhq/weir/kvstore/dynamokv"
	"github.com/weirhq/weir/transform"
)

// dynClock is a settable clock for TTL tests.
type dynClock struct{ unix atomic.Int64 }

func (c *dynClock) now() time.Time { return time.Unix(c.unix.Load(), 0) }

func TestDynamoDBKVStore(t *testing.T) {
	t.Parallel()
	c := dynamotest.Client(t)
	table := dynamotest.Table(t, c, "PK", "SK")
	clk := &dynClock{}
	clk.unix.Store(1_700_000_000)
	st, err := dynamokv.New(context.Background(), nil, dynamokv.Config{
		TableName:      table,
		Attributes:     dynamokv.Attributes{PartitionKey: "PK", SortKey: "SK", Value: "value", TTL: "ttl"},
		ConsistentRead: true,
		Client:         c,
		Now:            clk.now,
	})
	require.NoError(t, err)
	ctx := context.Background()
	get := func(key string) string {
		t.Helper()
		v, ok, err := st.Get(ctx, key)
		require.NoError(t, err)
		if !ok {
			return "<absent>"
		}
		return string(v)
	}

	// get and set, every JSON type round-tripping
	assert.Equal(t, "<absent>", get("k"))
	for _, v := range []string{`"s"`, `12345678901234567890.5`, `true`, `null`, `[1,"a",{"b":null}]`, `{"a":{"b":[false]},"z":1}`} {
		require.NoError(t, st.Set(ctx, "k", []byte(v), time.Time{}))
		assert.Equal(t, v, get("k"))
	}
	assert.ErrorIs(t, st.Set(ctx, "k", []byte(`{`), time.Time{}), weir.ErrInvalidData)

	// TTL honoured on read, by the injected clock
	require.NoError(t, st.Set(ctx, "ttl", []byte(`1`), clk.now().Add(10*time.Second)))
	assert.Equal(t, "1", get("ttl"))
	clk.unix.Add(10)
	assert.Equal(t, "<absent>", get("ttl"))

	// set_add: string and number sets, atomic ADD
	require.NoError(t, st.SetAdd(ctx, "set", []byte(`"a"`), time.Time{}))
	require.NoError(t, st.SetAdd(ctx, "set", []byte(`["a","b"]`), time.Time{}))
	assert.ElementsMatch(t, []any{"a", "b"}, weir.ValueOf([]byte(get("set"))).Any())
	require.NoError(t, st.SetAdd(ctx, "nums", []byte(`[1,2,2]`), clk.now().Add(time.Hour)))
	require.NoError(t, st.SetAdd(ctx, "nums", []byte(`3`), clk.now().Add(time.Hour)))
	assert.ElementsMatch(t, []any{1.0, 2.0, 3.0}, weir.ValueOf([]byte(get("nums"))).Any())
	require.NoError(t, st.SetAdd(ctx, "empty", []byte(`[]`), time.Time{}))
	assert.Equal(t, "<absent>", get("empty"))
	for _, bad := range []string{`{"a":1}`, `[1,"a"]`, `true`} {
		assert.ErrorIs(t, st.SetAdd(ctx, "bad", []byte(bad), time.Time{}), weir.ErrInvalidData, bad)
	}

	// locks: held until unlocked or expired
	ok, err := st.Lock(ctx, "L", clk.now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = st.Lock(ctx, "L", clk.now().Add(time.Minute))
	require.NoError(t, err)
	assert.False(t, ok, "held")
	require.NoError(t, st.Unlock(ctx, "L"))
	require.NoError(t, st.Unlock(ctx, "L"), "unlocking a free lock")
	ok, err = st.Lock(ctx, "L", clk.now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok, "after unlock")
	clk.unix.Add(60)
	ok, err = st.Lock(ctx, "L", clk.now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok, "after expiry")
	ok, err = st.Lock(ctx, "forever", time.Time{})
	require.NoError(t, err)
	assert.True(t, ok)
	clk.unix.Add(1 << 30)
	ok, err = st.Lock(ctx, "forever", time.Time{})
	require.NoError(t, err)
	assert.False(t, ok, "a lock without expiry is held until unlocked")
}

func TestDynamoDBKVStoreConfig(t *testing.T) {
	dynamotest.SetAWSEnv(t)
	t.Setenv("AWS_REGION", "")
	for _, tt := range []struct {
		settings map[string]any
		field    string
	}{
		{map[string]any{"attributes": map[string]any{"partition_key": "PK"}}, "settings.table_name"},
		{map[string]any{"table_name": "t"}, "settings.attributes.partition_key"},
		{map[string]any{"table_name": "t", "attributes": map[string]any{"partition_key": "PK"}, "retry": map[string]any{"delay": "x"}}, "settings.retry.delay"},
		{map[string]any{"table_name": "t", "attributes": map[string]any{"partition_key": "PK"}}, "settings.aws.region"},
		{map[string]any{"table_name": "t", "attributes": map[string]any{"partition_key": "PK"}, "bogus": 1}, "settings.bogus"},
	} {
		_, err := kvstore.New(context.Background(), kvEnv(), weir.Config{Type: "aws_dynamodb", Settings: tt.settings})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, "%v", tt.settings)
		assert.Equal(t, tt.field, ce.Field, "%v", err)
	}
	// Operations needing an attribute the store lacks fail clearly.
	st, err := dynamokv.New(context.Background(), nil, dynamokv.Config{
		TableName: "t", Attributes: dynamokv.Attributes{PartitionKey: "PK", Value: "v"},
		Client: dynamodbNoServer(),
	})
	require.NoError(t, err)
	assert.ErrorContains(t, st.Set(context.Background(), "k", []byte(`1`), time.Now().Add(time.Hour)), "attributes.ttl")
	_, err = st.Lock(context.Background(), "k", time.Now().Add(time.Hour))
	assert.ErrorContains(t, err, "attributes.ttl")
}

// kvDynamoConfig is an aws_dynamodb kv_store config for table on the test
// server.
func kvDynamoConfig(t *testing.T, table string) map[string]any {
	return map[string]any{"type": "aws_dynamodb", "settings": map[string]any{
		"table_name":      table,
		"attributes":      map[string]any{"partition_key": "PK", "value": "value", "ttl": "ttl"},
		"consistent_read": true,
		"aws":             map[string]any{"endpoint": dynamotest.Endpoint(t)},
	}}
}

// TestMetaKVStoreLockDynamoDB runs two meta_kv_store_lock transforms built
// from JSON, as two processes would, over one table: each message's
// transforms run exactly once between them.
func TestMetaKVStoreLockDynamoDB(t *testing.T) {
	dynamotest.SetAWSEnv(t)
	table := dynamotest.Table(t, dynamotest.Client(t), "PK", "")
	ctx := context.Background()
	cfg := weir.Config{Type: "meta_kv_store_lock", Settings: map[string]any{
		"object":     map[string]any{"source_key": "id"},
		"prefix":     "eo",
		"ttl_offset": "1h",
		"kv_store":   kvDynamoConfig(t, table),
		"transforms": []any{map[string]any{"type": "utility_drop"}},
	}}
	var tfs [2]transform.Transformer
	for i := range tfs {
		tf, err := txEnv().New(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, tf.(io.Closer).Close()) })
		tfs[i] = tf
	}
	const n = 40
	var ran [n]atomic.Int32 // how often message i's transforms ran (it was dropped)
	var wg sync.WaitGroup
	for i := range n {
		for _, tf := range tfs {
			wg.Go(func() {
				out, err := tf.Transform(ctx, weir.NewMessage(fmt.Appendf(nil, `{"id":"m%d"}`, i)))
				assert.NoError(t, err)
				if len(out) == 0 {
					ran[i].Add(1)
				}
			})
		}
	}
	wg.Wait()
	for i := range ran {
		assert.Equal(t, int32(1), ran[i].Load(), "message %d", i)
	}
}

// TestEnrichKVStoreDynamoDB writes items with enrich_kv_store_item_set and
// reads them with enrich_kv_store_item_get, both built from JSON with an
// aws_dynamodb store.
func TestEnrichKVStoreDynamoDB(t *testing.T) {
	dynamotest.SetAWSEnv(t)
	table := dynamotest.Table(t, dynamotest.Client(t), "PK", "")
	ctx := context.Background()
	build := func(typ string, obj map[string]any) transform.Transformer {
		tf, err := txEnv().New(ctx, weir.Config{Type: typ, Settings: map[string]any{
			"object": obj, "prefix": "user", "kv_store": kvDynamoConfig(t, table)}})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, tf.(io.Closer).Close()) })
		return tf
	}
	set := build("enrich_kv_store_item_set", map[string]any{"source_key": "name", "target_key": "info", "ttl_key": "exp"})
	add := build("enrich_kv_store_set_add", map[string]any{"source_key": "name", "target_key": "tag"})
	get := build("enrich_kv_store_item_get", map[string]any{"source_key": "name", "target_key": "got"})
	getTags := build("enrich_kv_store_item_get", map[string]any{"source_key": "group", "target_key": "tags"})
	future := time.Now().Add(time.Hour).Unix()
	for _, in := range []string{
		fmt.Sprintf(`{"name":"alice","info":{"age":30,"roles":["admin"]},"exp":%d}`, future),
		`{"name":"bob","info":"x","exp":1000}`, // expired already
	} {
		_, err := set.Transform(ctx, weir.NewMessage([]byte(in)))
		require.NoError(t, err)
	}
	for _, tag := range []string{"a", "b", "a"} {
		_, err := add.Transform(ctx, weir.NewMessage([]byte(`{"name":"g","tag":"`+tag+`"}`)))
		require.NoError(t, err)
	}
	for in, want := range map[string]string{
		`{"name":"alice"}`: `{"name":"alice","got":{"age":30,"roles":["admin"]}}`,
		`{"name":"bob"}`:   `{"name":"bob","got":null}`,
		`{"name":"carol"}`: `{"name":"carol","got":null}`,
		`{"other":1}`:      `{"other":1}`,
	} {
		out, err := get.Transform(ctx, weir.NewMessage([]byte(in)))
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.JSONEq(t, want, string(out[0].Data()), in)
	}
	out, err := getTags.Transform(ctx, weir.NewMessage([]byte(`{"group":"g"}`)))
	require.NoError(t, err)
	assert.ElementsMatch(t, []any{"a", "b"}, out[0].Get("tags").Any())
}

// TestDynamoDBKVStoreClose checks that a pipeline's KVStores, when closed,
// releases the connections of the client an aws_dynamodb store built from
// JSON, leaving no goroutine behind, and that a store given a client
// leaves it alone.
func TestDynamoDBKVStoreClose(t *testing.T) {
	dynamotest.SetAWSEnv(t) // not parallel: it sets the environment (and counts goroutines)
	c := dynamotest.Client(t)
	table := dynamotest.Table(t, c, "PK", "")
	ctx := context.Background()
	var cfg weir.Config
	raw, err := json.Marshal(kvDynamoConfig(t, table))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &cfg))

	func() {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		stores := kvstore.Stores{Env: *kvEnv()}
		st, err := stores.Store(ctx, cfg)
		require.NoError(t, err)
		require.Implements(t, (*io.Closer)(nil), st)
		require.NoError(t, st.(kvstore.Writer).Set(ctx, "k", []byte(`1`), time.Time{}))
		require.NoError(t, stores.Close())
	}()

	given, err := dynamokv.New(context.Background(), nil, dynamokv.Config{
		TableName: table, Attributes: dynamokv.Attributes{PartitionKey: "PK", Value: "value"}, Client: c,
	})
	require.NoError(t, err)
	require.NoError(t, given.Close())
	v, ok, err := given.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "1", string(v))
}

func BenchmarkDynamoDBKVStoreGet(b *testing.B) {
	c := dynamotest.Client(b)
	table := dynamotest.Table(b, c, "PK", "")
	st, err := dynamokv.New(context.Background(), nil, dynamokv.Config{
		TableName:  table,
		Attributes: dynamokv.Attributes{PartitionKey: "PK", Value: "value", TTL: "ttl"},
		Client:     c,
	})
	require.NoError(b, err)
	ctx := context.Background()
	require.NoError(b, st.Set(ctx, "k", []byte(`{"a":1,"b":"x"}`), time.Now().Add(time.Hour)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := st.Get(ctx, "k"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// dynamodbNoServer is a client for tests whose calls fail before a request.
func dynamodbNoServer() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1"})
}

// kvEnv is a kv store Env with the aws_dynamodb type.
func kvEnv() *kvstore.Env {
	r := kvstore.Builtins()
	if err := dynamokv.Register(r); err != nil {
		panic(err)
	}
	return &kvstore.Env{Types: r}
}

// txEnv is a transform Env whose kv stores may be aws_dynamodb.
func txEnv() *transform.Env {
	return &transform.Env{KVStoreTypes: kvEnv().Types}
}
