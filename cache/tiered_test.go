package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/cache"
)

// counted counts the calls of a Cache.
type counted struct {
	cache.Cache
	gets, sets int
}

func (c *counted) Get(ctx context.Context, key string) ([]byte, bool, error) {
	c.gets++
	return c.Cache.Get(ctx, key)
}

func (c *counted) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	c.sets++
	return c.Cache.Set(ctx, key, v, ttl)
}

func newTiered(t testing.TB, front, back cache.Cache, cfg cache.TieredConfig) *cache.Tiered {
	t.Helper()
	tc, err := cache.NewTiered(front, back, cfg)
	require.NoError(t, err)
	return tc
}

func TestNewTieredRequiresBoth(t *testing.T) {
	t.Parallel()
	_, err := cache.NewTiered(nil, cache.NewMemory(cache.MemoryConfig{}), cache.TieredConfig{})
	assert.Error(t, err)
	_, err = cache.NewTiered(cache.NewMemory(cache.MemoryConfig{}), nil, cache.TieredConfig{})
	assert.Error(t, err)
}

func TestTieredOverMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	back := &counted{Cache: cache.NewMemory(cache.MemoryConfig{Now: clk.Now})}
	front := cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	tc := newTiered(t, front, back, cache.TieredConfig{FrontTTL: 10 * time.Second, Now: clk.Now})

	require.NoError(t, tc.Set(ctx, "a", []byte("1"), time.Hour))
	assert.Equal(t, 1, back.sets, "write through")
	v, ok := get(t, tc, "a")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	assert.Equal(t, 0, back.gets, "a front hit does not ask the back")

	clk.Advance(10 * time.Second) // the front entry expires, the back's lives
	v, _ = get(t, tc, "a")
	assert.Equal(t, "1", v)
	assert.Equal(t, 1, back.gets, "front miss, back hit")
	get(t, tc, "a")
	assert.Equal(t, 1, back.gets, "the back hit filled the front")

	require.NoError(t, tc.Delete(ctx, "a"))
	_, ok = get(t, tc, "a")
	assert.False(t, ok)
	_, ok = get(t, front, "a")
	assert.False(t, ok, "deleted from the front too")
}

func TestTieredSharedDynamoDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, tbl := table(t)
	clk := newClock()
	counting := &countingClient{DynamoDBClient: c}
	back := newDynamo(t, cache.DynamoDBConfig{Client: counting, Table: tbl, SortKey: "SK", Now: clk.Now, ConsistentRead: true})
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
	back := newDynamo(t, cache.DynamoDBConfig{Client: c, Table: tbl, SortKey: "SK", KeyPrefix: "asn#", ConsistentRead: true})
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

// BenchmarkTieredFrontHit measures a Get answered by the front.
func BenchmarkTieredFrontHit(b *testing.B) {
	ctx := context.Background()
	back := cache.NewMemory(cache.MemoryConfig{})
	tc := newTiered(b, cache.NewMemory(cache.MemoryConfig{}), back, cache.TieredConfig{})
	keys := make([]string, 512)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		_ = tc.Set(ctx, keys[i], []byte(`{"asn":64512}`), time.Hour)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok, _ := tc.Get(ctx, keys[i&511]); !ok {
			b.Fatal("miss")
		}
		i++
	}
}
