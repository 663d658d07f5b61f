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
