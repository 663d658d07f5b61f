package cache_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/cache"
)

// source is a slow lookup that counts its calls: keys starting with "x"
// are not found, "fail" fails.
type source struct {
	calls   atomic.Int64
	release chan struct{} // if non-nil, loads wait for it
}

var errSource = errors.New("source down")

func (s *source) load(ctx context.Context, key string) ([]byte, error) {
	s.calls.Add(1)
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch {
	case key == "fail":
		return nil, errSource
	case strings.HasPrefix(key, "x"):
		return nil, cache.ErrNotFound
	}
	return []byte("value of " + key), nil
}

func TestNewLoaderRequiresCacheAndLoad(t *testing.T) {
	t.Parallel()
	_, err := cache.NewLoader(cache.LoaderConfig{Load: (&source{}).load})
	assert.Error(t, err)
	_, err = cache.NewLoader(cache.LoaderConfig{Cache: cache.NewMemory(cache.MemoryConfig{})})
	assert.Error(t, err)
}

func TestLoader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	src := &source{}
	l, err := cache.NewLoader(cache.LoaderConfig{
		Cache:       cache.NewMemory(cache.MemoryConfig{Now: clk.Now}),
		Load:        src.load,
		TTL:         time.Minute,
		NegativeTTL: 10 * time.Second,
	})
	require.NoError(t, err)

	steps := []struct {
		name      string
		key       string
		advance   time.Duration
		want      string
		wantErr   error
		wantCalls int64
	}{
		{name: "miss loads", key: "a", want: "value of a", wantCalls: 1},
		{name: "hit", key: "a", want: "value of a", wantCalls: 1},
		{name: "not found loads", key: "x1", wantErr: cache.ErrNotFound, wantCalls: 2},
		{name: "not found is cached", key: "x1", wantErr: cache.ErrNotFound, wantCalls: 2},
		{name: "negative entry expires", key: "x1", advance: 10 * time.Second, wantErr: cache.ErrNotFound, wantCalls: 3},
		{name: "failure", key: "fail", wantErr: errSource, wantCalls: 4},
		{name: "failure is not cached", key: "fail", wantErr: errSource, wantCalls: 5},
		{name: "value still cached", key: "a", advance: 49 * time.Second, want: "value of a", wantCalls: 5},
		{name: "value expires", key: "a", advance: time.Minute, want: "value of a", wantCalls: 6},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		got, err := l.Get(ctx, s.key)
		if s.wantErr != nil {
			assert.ErrorIs(t, err, s.wantErr, s.name)
			assert.Nil(t, got, s.name)
		} else {
			require.NoError(t, err, s.name)
			assert.Equal(t, s.want, string(got), s.name)
		}
		assert.Equal(t, s.wantCalls, src.calls.Load(), s.name)
	}
	assert.Equal(t, cache.LoaderStats{Hits: 2, NegativeHits: 1, Misses: 6, Loads: 6, LoadErrors: 2}, l.Stats())

	require.NoError(t, l.Forget(ctx, "a"))
	_, err = l.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(7), src.calls.Load(), "Forget drops the cached value")
}

func TestLoaderNoNegativeCaching(t *testing.T) {
	t.Parallel()
	src := &source{}
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: cache.NewMemory(cache.MemoryConfig{}), Load: src.load})
	require.NoError(t, err)
	for range 3 {
		_, err := l.Get(context.Background(), "x")
		assert.ErrorIs(t, err, cache.ErrNotFound)
	}
	assert.Equal(t, int64(3), src.calls.Load())
}

func TestLoaderSingleflight(t *testing.T) {
	t.Parallel()
	src := &source{release: make(chan struct{})}
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: cache.NewMemory(cache.MemoryConfig{}), Load: src.load})
	require.NoError(t, err)

	const callers = 50
	var wg sync.WaitGroup
	results := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			v, err := l.Get(context.Background(), "k")
			assert.NoError(t, err)
			results[i] = string(v)
		})
	}
	// Wait until every caller has missed, then let the one load finish.
	require.Eventually(t, func() bool { return l.Stats().Misses == callers }, 30*time.Second, time.Millisecond)
	close(src.release)
	wg.Wait()
	assert.Equal(t, int64(1), src.calls.Load(), "one load per key in flight")
	for _, r := range results {
		assert.Equal(t, "value of k", r)
	}
	assert.Equal(t, cache.LoaderStats{Misses: callers, Loads: 1}, l.Stats())
}

// pausingCache wraps a Cache. Its first Get looks the key up, then closes
// paused and waits for resume before it answers, so a test can act between
// a caller's look in the cache and what the caller does next.
type pausingCache struct {
	cache.Cache
	first          atomic.Bool
	paused, resume chan struct{}
}

func (c *pausingCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, ok, err := c.Cache.Get(ctx, key)
	if c.first.CompareAndSwap(false, true) {
		close(c.paused)
		<-c.resume
	}
	return v, ok, err
}

// TestLoaderMissJustBeforeFill forces the interleaving where a caller
// misses, another caller's whole load runs and fills the cache, and only
// then does the first caller start a flight: that flight must find the
// answer in the cache, not load the key a second time.
func TestLoaderMissJustBeforeFill(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		key       string
		want      string
		wantErr   error
		wantStats cache.LoaderStats
	}{
		{name: "value", key: "k", want: "value of k", wantStats: cache.LoaderStats{Hits: 1, Misses: 2, Loads: 1}},
		{name: "not found", key: "x", wantErr: cache.ErrNotFound, wantStats: cache.LoaderStats{NegativeHits: 1, Misses: 2, Loads: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &source{}
			pc := &pausingCache{Cache: cache.NewMemory(cache.MemoryConfig{}), paused: make(chan struct{}), resume: make(chan struct{})}
			l, err := cache.NewLoader(cache.LoaderConfig{Cache: pc, Load: src.load, NegativeTTL: time.Minute})
			require.NoError(t, err)
			ctx := context.Background()
			check := func(who string, v []byte, err error) {
				t.Helper()
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr, who)
					assert.Nil(t, v, who)
					return
				}
				assert.NoError(t, err, who)
				assert.Equal(t, tt.want, string(v), who)
			}

			type result struct {
				v   []byte
				err error
			}
			late := make(chan result, 1)
			go func() {
				v, err := l.Get(ctx, tt.key)
				late <- result{v, err}
			}()
			<-pc.paused // the late caller has missed and not yet started a flight

			v, err := l.Get(ctx, tt.key) // misses, loads, fills the cache
			check("first to load", v, err)
			assert.Equal(t, int64(1), src.calls.Load())

			close(pc.resume)
			r := <-late
			check("late caller", r.v, r.err)
			assert.Equal(t, int64(1), src.calls.Load(), "the late caller's flight finds the answer in the cache")

			v, err = l.Get(ctx, tt.key)
			check("after", v, err)
			assert.Equal(t, int64(1), src.calls.Load())
			assert.Equal(t, tt.wantStats, l.Stats(), "a caller answered by the re-check counts as a miss, not a load")
		})
	}
}

func TestLoaderCallerCancels(t *testing.T) {
	t.Parallel()
	src := &source{release: make(chan struct{})}
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: cache.NewMemory(cache.MemoryConfig{}), Load: src.load})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := l.Get(ctx, "k")
		done <- err
	}()
	require.Eventually(t, func() bool { return src.calls.Load() == 1 }, 30*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "the caller stops waiting")

	// The load goes on for the others and fills the cache.
	waiter := make(chan string)
	go func() {
		v, _ := l.Get(context.Background(), "k")
		waiter <- string(v)
	}()
	close(src.release)
	assert.Equal(t, "value of k", <-waiter)
	v, err := l.Get(context.Background(), "k")
	require.NoError(t, err)
	assert.Equal(t, "value of k", string(v))
	assert.Equal(t, int64(1), src.calls.Load(), "however the waiter interleaves with the load")
}

// failingCache fails every call.
type failingCache struct{}

var errCache = errors.New("cache down")

func (failingCache) Get(context.Context, string) ([]byte, bool, error) { return nil, false, errCache }
func (failingCache) Set(context.Context, string, []byte, time.Duration) error {
	return errCache
}
func (failingCache) Delete(context.Context, string) error { return errCache }

func TestLoaderCacheFailure(t *testing.T) {
	t.Parallel()
	src := &source{}
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: failingCache{}, Load: src.load, NegativeTTL: time.Second})
	require.NoError(t, err)
	v, err := l.Get(context.Background(), "a")
	require.NoError(t, err, "a failing cache does not fail the lookup")
	assert.Equal(t, "value of a", string(v))
	_, err = l.Get(context.Background(), "x")
	assert.ErrorIs(t, err, cache.ErrNotFound)
	assert.Equal(t, uint64(4), l.Stats().CacheErrors, "two failed Gets, two failed Sets")
}

// BenchmarkLoaderHit measures a lookup answered by the memory cache.
func BenchmarkLoaderHit(b *testing.B) {
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: cache.NewMemory(cache.MemoryConfig{}), Load: (&source{}).load, TTL: time.Hour})
	require.NoError(b, err)
	ctx := context.Background()
	_, _ = l.Get(ctx, "k")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Get(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
