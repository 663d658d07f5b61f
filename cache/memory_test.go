package cache_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/cache"
)

// clock is a settable time source for tests.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func get(t *testing.T, c cache.Cache, key string) (string, bool) {
	t.Helper()
	v, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return string(v), ok
}

func TestMemoryGetSetDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := cache.NewMemory(cache.MemoryConfig{})
	_, ok := get(t, m, "a")
	assert.False(t, ok, "empty cache")

	require.NoError(t, m.Set(ctx, "a", []byte("1"), 0))
	v, ok := get(t, m, "a")
	assert.True(t, ok)
	assert.Equal(t, "1", v)

	require.NoError(t, m.Set(ctx, "a", []byte("2"), 0))
	v, _ = get(t, m, "a")
	assert.Equal(t, "2", v, "Set replaces")
	assert.Equal(t, 1, m.Len())

	require.NoError(t, m.Delete(ctx, "a"))
	require.NoError(t, m.Delete(ctx, "a"), "deleting a missing key")
	_, ok = get(t, m, "a")
	assert.False(t, ok)
	assert.Equal(t, 0, m.Len())

	require.NoError(t, m.Set(ctx, "", nil, 0))
	_, ok = get(t, m, "")
	assert.True(t, ok, "the empty key and a nil value are allowed")
}

func TestMemoryTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	m := cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	require.NoError(t, m.Set(ctx, "short", []byte("s"), time.Second))
	require.NoError(t, m.Set(ctx, "long", []byte("l"), time.Hour))
	require.NoError(t, m.Set(ctx, "forever", []byte("f"), 0))
	require.NoError(t, m.Set(ctx, "negative", []byte("n"), -time.Second))

	clk.Advance(999 * time.Millisecond)
	_, ok := get(t, m, "short")
	assert.True(t, ok, "alive just before its TTL")

	clk.Advance(time.Millisecond)
	_, ok = get(t, m, "short")
	assert.False(t, ok, "expired at its TTL")
	assert.Equal(t, 3, m.Len(), "an expired item is dropped when read")

	clk.Advance(2 * time.Hour)
	assert.Equal(t, 1, m.DeleteExpired())
	for _, k := range []string{"forever", "negative"} {
		_, ok = get(t, m, k)
		assert.True(t, ok, "%s never expires", k)
	}
}

func TestMemoryLRU(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := cache.NewMemory(cache.MemoryConfig{MaxItems: 3})
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, m.Set(ctx, k, []byte(k), 0))
	}
	get(t, m, "a")                              // a is now the most recent; b the least
	require.NoError(t, m.Set(ctx, "d", nil, 0)) // evicts b
	require.NoError(t, m.Set(ctx, "c", nil, 0)) // refreshes c
	require.NoError(t, m.Set(ctx, "e", nil, 0)) // evicts a
	for k, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": true} {
		_, ok := get(t, m, k)
		assert.Equal(t, want, ok, k)
	}
	assert.Equal(t, 3, m.Len())
	m.Clear()
	assert.Equal(t, 0, m.Len())
	require.NoError(t, m.Set(ctx, "f", nil, 0))
	_, ok := get(t, m, "f")
	assert.True(t, ok, "usable after Clear")
}

func TestMemoryDefaultCapacity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := cache.NewMemory(cache.MemoryConfig{MaxItems: -1})
	for i := range cache.DefaultMaxItems + 10 {
		require.NoError(t, m.Set(ctx, strconv.Itoa(i), nil, 0))
	}
	assert.Equal(t, cache.DefaultMaxItems, m.Len())
}

func TestMemoryAdd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	m := cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	var _ cache.Adder = m

	ok, err := m.Add(ctx, "k", []byte("1"), time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "absent key")
	ok, _ = m.Add(ctx, "k", []byte("2"), time.Minute)
	assert.False(t, ok, "live key")
	v, _ := get(t, m, "k")
	assert.Equal(t, "1", v, "a failed Add leaves the value")

	clk.Advance(time.Minute)
	ok, _ = m.Add(ctx, "k", []byte("3"), 0)
	assert.True(t, ok, "expired key")
	ok, _ = m.Add(ctx, "k", []byte("4"), 0)
	assert.False(t, ok, "a value without TTL stays")
}

func TestMemoryConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := cache.NewMemory(cache.MemoryConfig{MaxItems: 64})
	var wins atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := strconv.Itoa(i % 100)
				switch i % 4 {
				case 0:
					_ = m.Set(ctx, k, []byte(k), time.Duration(i%3)*time.Millisecond)
				case 1:
					if v, ok, _ := m.Get(ctx, k); ok && string(v) != k && string(v) != "lock" {
						t.Errorf("goroutine %d: key %s holds %q", g, k, v)
					}
				case 2:
					_ = m.Delete(ctx, k)
				default:
					if ok, _ := m.Add(ctx, "lock", []byte("lock"), 0); ok {
						wins.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, m.Len(), 64)
	assert.GreaterOrEqual(t, wins.Load(), int64(1))
}

// BenchmarkMemoryHit measures a Get hit on an item with a TTL, the common
// case of an enrichment cache (serial and parallel), and on one without
// (no clock read).
func BenchmarkMemoryHit(b *testing.B) {
	ctx := context.Background()
	m := cache.NewMemory(cache.MemoryConfig{})
	keys := make([]string, 512)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		_ = m.Set(ctx, keys[i], []byte(`{"asn":64512}`), time.Hour)
	}
	_ = m.Set(ctx, "forever", []byte(`{"asn":64512}`), 0)
	b.Run("no_ttl", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, _ := m.Get(ctx, "forever"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok, _ := m.Get(ctx, keys[i&511]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, ok, _ := m.Get(ctx, keys[i&511]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	})
}

// BenchmarkMemorySet measures replacing values and, past capacity, evicting.
func BenchmarkMemorySet(b *testing.B) {
	ctx := context.Background()
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	v := []byte("v")
	for _, size := range []int{512, 8192} {
		b.Run(fmt.Sprintf("max=%d", size), func(b *testing.B) {
			m := cache.NewMemory(cache.MemoryConfig{MaxItems: size})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = m.Set(ctx, keys[i&4095], v, time.Hour)
				i++
			}
		})
	}
}

// BenchmarkMapMutexBaseline is the naive baseline: a map under a RWMutex,
// with no LRU and no TTL.
func BenchmarkMapMutexBaseline(b *testing.B) {
	var mu sync.RWMutex
	m := map[string][]byte{}
	keys := make([]string, 512)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		m[keys[i]] = []byte(`{"asn":64512}`)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		mu.RLock()
		_, ok := m[keys[i&511]]
		mu.RUnlock()
		if !ok {
			b.Fatal("miss")
		}
		i++
	}
}
