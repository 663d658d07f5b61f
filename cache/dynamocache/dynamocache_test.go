package dynamocache_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/cache/dynamocache"
	"github.com/weirhq/weir/internal/dynamotest"
)

// countingClient counts the calls of a DynamoDB client.
type countingClient struct {
	awsenv.DynamoDB
	gets atomic.Int64
}

func (c *countingClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.DynamoDB.GetItem(ctx, in, opts...)
}

// client returns a client of the test server over a transport of its own
// (closed at cleanup, for goleak) that throttles its first throttled
// requests.
func client(t testing.TB, throttled int64) (*dynamodb.Client, *dynamotest.Throttler) {
	t.Helper()
	c, th := dynamotest.ThrottledClient(t)
	th.Left.Store(throttled)
	return c, th
}

// table returns a client and a table with a PK partition key and an SK
// sort key.
func table(t testing.TB) (*dynamodb.Client, *dynamotest.Throttler, string) {
	t.Helper()
	c, th := client(t, 0)
	return c, th, dynamotest.Table(t, c, "PK", "SK")
}

func newDynamo(t testing.TB, cfg dynamocache.Config) *dynamocache.Cache {
	t.Helper()
	d, err := dynamocache.New(cfg)
	require.NoError(t, err)
	return d
}

// rawItem reads the item under partition key pk and sort key "cache".
func rawItem(t *testing.T, c *dynamodb.Client, tbl, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk},
			"SK": &types.AttributeValueMemberS{Value: "cache"},
		},
		ConsistentRead: aws.Bool(true),
	})
	require.NoError(t, err)
	return out.Item
}

func TestNewDynamoDBValidates(t *testing.T) {
	t.Parallel()
	c := &countingClient{}
	for name, cfg := range map[string]dynamocache.Config{
		"no client":      {Table: "t"},
		"no table":       {Client: c},
		"long key limit": {Client: c, Table: "t", MaxKeyBytes: 1025},
		"negative":       {Client: c, Table: "t", MaxAttempts: -1},
		"same names":     {Client: c, Table: "t", ValueAttribute: "ttl"},
	} {
		_, err := dynamocache.New(cfg)
		assert.Error(t, err, name)
	}
}

func TestDynamoDBRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", KeyPrefix: "cache#", ConsistentRead: true})

	_, ok := get(t, d, "a")
	assert.False(t, ok, "missing")
	require.NoError(t, d.Set(ctx, "a", []byte("1"), time.Hour))
	v, ok := get(t, d, "a")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	require.NoError(t, d.Set(ctx, "a", []byte("2"), 0))
	v, _ = get(t, d, "a")
	assert.Equal(t, "2", v, "Set replaces")
	assert.NotContains(t, rawItem(t, c, tbl, "cache#a"), "ttl", "no TTL, no attribute")

	require.NoError(t, d.Set(ctx, "empty", nil, 0))
	v, ok = get(t, d, "empty")
	assert.True(t, ok, "an empty value is a value")
	assert.Empty(t, v)

	require.NoError(t, d.Delete(ctx, "a"))
	require.NoError(t, d.Delete(ctx, "a"), "deleting a missing key")
	_, ok = get(t, d, "a")
	assert.False(t, ok)
}

func TestDynamoDBTTLHonouredOnRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	clk := newClock()
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", Now: clk.Now, ConsistentRead: true})

	require.NoError(t, d.Set(ctx, "k", []byte("v"), 1500*time.Millisecond))
	item := rawItem(t, c, tbl, "k")
	require.Contains(t, item, "ttl")
	assert.Equal(t, strconv.FormatInt(clk.Now().Unix()+2, 10), item["ttl"].(*types.AttributeValueMemberN).Value,
		"epoch seconds, rounded up")

	_, exp, ok, err := d.GetWithExpiry(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, clk.Now().Add(2*time.Second), exp)

	clk.Advance(1999 * time.Millisecond)
	_, ok = get(t, d, "k")
	assert.True(t, ok, "alive before its expiry")
	clk.Advance(time.Millisecond)
	_, ok = get(t, d, "k")
	assert.False(t, ok, "expired at its expiry")
	assert.NotNil(t, rawItem(t, c, tbl, "k"), "though still in the table")

	added, err := d.Add(ctx, "k", []byte("w"), time.Minute)
	require.NoError(t, err)
	assert.True(t, added, "Add over an expired item")
	added, err = d.Add(ctx, "k", []byte("x"), time.Minute)
	require.NoError(t, err)
	assert.False(t, added, "Add over a live item")
	v, _ := get(t, d, "k")
	assert.Equal(t, "w", v)
}

func TestDynamoDBLongKeysHashed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", MaxKeyBytes: 64, ConsistentRead: true})

	long := strings.Repeat("x", 3000)
	k1, k2 := long+"1", long+"2"
	require.NoError(t, d.Set(ctx, k1, []byte("one"), 0))
	require.NoError(t, d.Set(ctx, k2, []byte("two"), 0))
	v, _ := get(t, d, k1)
	assert.Equal(t, "one", v)
	v, _ = get(t, d, k2)
	assert.Equal(t, "two", v)

	sk := d.StorageKey(k1)
	assert.True(t, strings.HasPrefix(sk, dynamocache.HashedKeyPrefix))
	assert.Len(t, sk, len(dynamocache.HashedKeyPrefix)+64)
	assert.NotEqual(t, sk, d.StorageKey(k2))
	item := rawItem(t, c, tbl, sk)
	require.NotNil(t, item, "stored under the hashed key")
	assert.Equal(t, []byte("one"), item["value"].(*types.AttributeValueMemberB).Value)

	// A short key that looks like a hashed one is hashed too.
	require.NoError(t, d.Set(ctx, sk, []byte("impostor"), 0))
	v, _ = get(t, d, k1)
	assert.Equal(t, "one", v, "no collision with a key spelled like a hash")
	assert.Equal(t, "short", d.StorageKey("short"))
}

func TestDynamoDBItemSizeLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", ConsistentRead: true})

	err := d.Set(ctx, "big", make([]byte, dynamocache.MaxItemSize), time.Hour)
	require.ErrorIs(t, err, weir.ErrTooLarge)
	var tooLarge *dynamocache.ItemTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, "big", tooLarge.Key)
	assert.Greater(t, tooLarge.Size, dynamocache.MaxItemSize)
	assert.Nil(t, rawItem(t, c, tbl, "big"), "nothing written")
	_, err = d.Add(ctx, "big", make([]byte, dynamocache.MaxItemSize), 0)
	assert.ErrorIs(t, err, weir.ErrTooLarge)

	// PK + SK + value + ttl names, "cache", "big" and a 10-digit epoch (7 bytes).
	overhead := len("PK") + len("SK") + len("value") + len("ttl") + len("cache") + len("big") + 7
	under := make([]byte, dynamocache.MaxItemSize-overhead-8)
	require.NoError(t, d.Set(ctx, "big", under, time.Hour), "just under the limit")
	v, ok := get(t, d, "big")
	assert.True(t, ok)
	assert.Len(t, v, len(under))
}

func TestDynamoDBThrottlingRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, th, tbl := table(t)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", MaxAttempts: 4, BaseDelay: time.Millisecond})
	require.NoError(t, d.Set(ctx, "k", []byte("v"), 0))

	th.Calls.Store(0)
	th.Left.Store(3)
	v, ok := get(t, d, "k")
	assert.True(t, ok, "succeeds on the 4th attempt")
	assert.Equal(t, "v", v)
	assert.Equal(t, int64(4), th.Calls.Load())

	th.Calls.Store(0)
	th.Left.Store(4)
	err := d.Set(ctx, "k", []byte("w"), 0)
	require.ErrorIs(t, err, dynamocache.ErrThrottled)
	var te *dynamocache.ThrottledError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 4, te.Attempts)
	assert.Equal(t, "PutItem", te.Op)
	assert.Equal(t, int64(4), th.Calls.Load(), "no more than MaxAttempts")
	th.Left.Store(0)
	v, _ = get(t, d, "k")
	assert.Equal(t, "v", v, "the throttled write did not happen")

	th.Calls.Store(0)
	th.Left.Store(2)
	require.NoError(t, d.Delete(ctx, "k"))
	assert.Equal(t, int64(3), th.Calls.Load())
}

func TestDynamoDBThrottlingHonoursContext(t *testing.T) {
	t.Parallel()
	c, th, tbl := table(t)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", MaxAttempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour})
	th.Left.Store(1 << 30)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := d.Get(ctx, "k")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Minute, "the backoff stops with the context")
}

func TestDynamoDBOtherErrorsWrapped(t *testing.T) {
	t.Parallel()
	c, _ := client(t, 0)
	d := newDynamo(t, dynamocache.Config{Client: c, Table: "weir-no-such-table"})
	_, _, err := d.Get(context.Background(), "k")
	var rnf *types.ResourceNotFoundException
	assert.True(t, errors.As(err, &rnf), "%v", err)
	assert.NotErrorIs(t, err, dynamocache.ErrThrottled)
	assert.Contains(t, err.Error(), "cache: dynamodb GetItem")
}

// BenchmarkDynamoDBHit measures a Get hit against the test server (a
// loopback HTTP round trip).
func BenchmarkDynamoDBHit(b *testing.B) {
	c, _, tbl := table(b)
	d := newDynamo(b, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK"})
	ctx := context.Background()
	require.NoError(b, d.Set(ctx, "10.0.0.1", []byte(`{"asn":64512}`), time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := d.Get(ctx, "10.0.0.1"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func TestTieredSharedDynamoDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	clk := newClock()
	counting := &countingClient{DynamoDB: c}
	back := newDynamo(t, dynamocache.Config{Client: counting, Table: tbl, SortKey: "SK", Now: clk.Now, ConsistentRead: true})
	// Two "Lambda instances": a memory front each, one table behind.
	cfg := cache.TieredConfig{FrontTTL: time.Minute, Now: clk.Now}
	i1 := newTiered(t, cache.NewMemory(cache.MemoryConfig{Now: clk.Now}), back, cfg)
	front2 := cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	i2 := newTiered(t, front2, back, cfg)

	require.NoError(t, i1.Set(ctx, "ip", []byte("asn"), 5*time.Second))
	v, ok := get(t, i2, "ip")
	assert.True(t, ok, "the other instance sees it through the back")
	assert.Equal(t, "asn", v)
	assert.Equal(t, int64(1), counting.gets.Load())
	get(t, i2, "ip")
	assert.Equal(t, int64(1), counting.gets.Load(), "then from its front")

	// The front entry lives no longer than the back item (5 s, not a minute).
	clk.Advance(5 * time.Second)
	_, ok = get(t, front2, "ip")
	assert.False(t, ok, "front entry expired with the item")
	_, ok = get(t, i2, "ip")
	assert.False(t, ok)

	// Documented limit: a delete through one instance is not seen by the
	// other until its front entry expires.
	require.NoError(t, i1.Set(ctx, "k", []byte("v"), 0))
	get(t, i2, "k")
	require.NoError(t, i1.Delete(ctx, "k"))
	_, ok = get(t, i2, "k")
	assert.True(t, ok, "stale in the other front")
	clk.Advance(time.Minute)
	_, ok = get(t, i2, "k")
	assert.False(t, ok, "gone once the front entry expires")
}

func TestLoaderOverTieredDynamoDB(t *testing.T) {
	t.Parallel()
	c, _, tbl := table(t)
	back := newDynamo(t, dynamocache.Config{Client: c, Table: tbl, SortKey: "SK", KeyPrefix: "asn#", ConsistentRead: true})
	src := &source{}
	loaders := make([]*cache.Loader, 2)
	for i := range loaders {
		l, err := cache.NewLoader(cache.LoaderConfig{
			Cache:       newTiered(t, cache.NewMemory(cache.MemoryConfig{}), back, cache.TieredConfig{}),
			Load:        src.load,
			TTL:         time.Hour,
			NegativeTTL: time.Minute,
		})
		require.NoError(t, err)
		loaders[i] = l
	}
	keys := []string{"a", "b", "x1", "a", "b", "x1"}
	for i, k := range keys {
		for _, l := range loaders {
			v, err := l.Get(context.Background(), k)
			if k == "x1" {
				assert.ErrorIs(t, err, cache.ErrNotFound, "step %d", i)
				continue
			}
			require.NoError(t, err)
			assert.Equal(t, "value of "+k, string(v))
		}
	}
	assert.Equal(t, int64(3), src.calls.Load(), "one origin lookup per key across both loaders")
	for _, l := range loaders {
		assert.Zero(t, l.Stats().CacheErrors)
	}
}

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// get reads key from c, failing the test on an error.
func get(t *testing.T, c cache.Cache, key string) (string, bool) {
	t.Helper()
	v, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return string(v), ok
}

func newTiered(t testing.TB, front, back cache.Cache, cfg cache.TieredConfig) *cache.Tiered {
	t.Helper()
	tc, err := cache.NewTiered(front, back, cfg)
	require.NoError(t, err)
	return tc
}

// source is a load function that counts its calls; keys starting with "x"
// do not exist.
type source struct{ calls atomic.Int64 }

func (s *source) load(_ context.Context, key string) ([]byte, error) {
	s.calls.Add(1)
	if strings.HasPrefix(key, "x") {
		return nil, cache.ErrNotFound
	}
	return []byte("value of " + key), nil
}
