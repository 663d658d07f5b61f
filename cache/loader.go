package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// LoadFunc looks up the value of key in the slow source a [Loader] caches:
// a DNS server, an HTTP API, a database. It returns [ErrNotFound] (or an
// error wrapping it) when the source has no value for key; any other error
// is a failure, which is not cached. It may be called concurrently, for
// different keys.
type LoadFunc func(ctx context.Context, key string) ([]byte, error)

// LoaderConfig configures [NewLoader].
type LoaderConfig struct {
	// Cache holds loaded values. Required. A Loader tags the values it
	// stores (one byte in front), so give it keys no one else writes: a
	// cache of its own, or a key prefix of its own in a shared one.
	Cache Cache
	// Load looks values up on a miss. Required.
	Load LoadFunc
	// TTL is how long a loaded value is cached; zero or less means until
	// the cache evicts it.
	TTL time.Duration
	// NegativeTTL is how long a "not found" answer is cached; zero or less
	// means it is not cached and every lookup of the key calls Load.
	NegativeTTL time.Duration
}

// LoaderStats counts what a [Loader] did. Each Get call counts once in
// Hits, NegativeHits or Misses, by what its own look in the cache found, so
// Hits + NegativeHits + Misses is the number of Get calls and the hit ratio
// is the share of calls the cache answered at once.
//
// A miss is answered by a load of the key, its own or one another caller
// started; Loads counts only the calls of Load, so Misses - Loads of the
// misses were answered without one. Some of those shared a load in flight;
// the others missed just before another caller's load filled the cache and
// found the value when their flight looked again (see [Loader]). Those
// count as misses, not hits: the cache did not answer their first look,
// and they waited for a flight.
type LoaderStats struct {
	Hits         uint64 // answered by the caller's look in the cache: a value
	NegativeHits uint64 // answered by the caller's look in the cache: a "not found"
	Misses       uint64 // not in the cache when the caller looked; answered by a flight
	Loads        uint64 // calls of Load
	LoadErrors   uint64 // loads that failed (not counting "not found")
	CacheErrors  uint64 // cache Get or Set calls that failed (the lookup went on)
}

// Loader looks keys up through a cache (the cache-aside pattern): a hit is
// answered by the cache; on a miss Load is called and its answer cached,
// a "not found" one too (for [LoaderConfig.NegativeTTL]).
//
// However many callers miss the same key at the same time, Load runs once
// for it and they all get its answer. A caller that misses just as
// another's load finishes would start a second one, so each flight looks in
// the cache again before it calls Load, and answers from the cache if the
// key is there now: one more cache Get per miss (none when the caller's own
// Get failed, as the cache is likely down).
//
// Load runs on a goroutine of its own with the first caller's context
// stripped of its cancellation (but not of its values), so one caller
// giving up does not fail the others; each caller waits only as long as
// its own context allows. Load should bound its own time (a client
// timeout).
//
// A failing cache does not fail lookups: a Get error counts as a miss and
// a Set error is ignored; both are counted in CacheErrors.
//
// A Loader is safe for concurrent use.
type Loader struct {
	cache          Cache
	load           LoadFunc
	ttl, negTTL    time.Duration
	group          singleflight.Group
	hits, negHits  atomic.Uint64
	misses, loads  atomic.Uint64
	loadErrs, cErr atomic.Uint64
}

// Tags in front of the values a Loader stores.
const (
	tagFound    = 1
	tagNotFound = 0
)

// errNoCache and errNoLoad are the errors of NewLoader.
var (
	errNoCache = errors.New("cache: NewLoader: LoaderConfig.Cache is nil")
	errNoLoad  = errors.New("cache: NewLoader: LoaderConfig.Load is nil")
)

// NewLoader returns a Loader for cfg. It fails if Cache or Load is nil.
func NewLoader(cfg LoaderConfig) (*Loader, error) {
	switch {
	case cfg.Cache == nil:
		return nil, errNoCache
	case cfg.Load == nil:
		return nil, errNoLoad
	}
	return &Loader{cache: cfg.Cache, load: cfg.Load, ttl: cfg.TTL, negTTL: cfg.NegativeTTL}, nil
}

// Get returns the value of key: from the cache, or else from Load. It
// returns an error matching [ErrNotFound] when Load said (now or earlier)
// that there is no value, Load's error when it failed, and ctx's error when
// ctx ends first. The returned slice must not be modified.
func (l *Loader) Get(ctx context.Context, key string) ([]byte, error) {
	v, found, ok, cacheUp := l.cached(ctx, key)
	switch {
	case ok && found:
		l.hits.Add(1)
		return v, nil
	case ok:
		l.negHits.Add(1)
		return nil, ErrNotFound
	}
	l.misses.Add(1)

	ch := l.group.DoChan(key, func() (any, error) {
		fctx := context.WithoutCancel(ctx)
		// Between this caller's miss and this flight starting, another
		// flight for key may have ended and filled the cache: look again.
		if cacheUp {
			if v, found, ok, _ := l.cached(fctx, key); ok {
				if !found {
					return nil, ErrNotFound
				}
				return v, nil
			}
		}
		l.loads.Add(1)
		return l.fill(fctx, key)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]byte), nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// cached looks key up in the cache. ok reports whether the cache holds an
// answer for it: v if found, "not found" if not. cacheUp is false when the
// cache failed (counted in CacheErrors).
func (l *Loader) cached(ctx context.Context, key string) (v []byte, found, ok, cacheUp bool) {
	t, ok, err := l.cache.Get(ctx, key)
	if err != nil {
		l.cErr.Add(1)
	}
	if !ok || len(t) == 0 {
		return nil, false, false, err == nil
	}
	return t[1:], t[0] == tagFound, true, err == nil
}

// fill loads key and caches the answer.
func (l *Loader) fill(ctx context.Context, key string) ([]byte, error) {
	v, err := l.load(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		if l.negTTL > 0 {
			if err := l.cache.Set(ctx, key, []byte{tagNotFound}, l.negTTL); err != nil {
				l.cErr.Add(1)
			}
		}
		return nil, err
	case err != nil:
		l.loadErrs.Add(1)
		return nil, err
	}
	tagged := make([]byte, 1+len(v))
	tagged[0] = tagFound
	copy(tagged[1:], v)
	if err := l.cache.Set(ctx, key, tagged, l.ttl); err != nil {
		l.cErr.Add(1)
	}
	return tagged[1:], nil
}

// Forget removes key from the cache, so the next Get loads it again.
func (l *Loader) Forget(ctx context.Context, key string) error {
	l.group.Forget(key)
	return l.cache.Delete(ctx, key)
}

// Stats returns the counts so far. Each count is read atomically, the set
// of them is not a snapshot.
func (l *Loader) Stats() LoaderStats {
	return LoaderStats{
		Hits:         l.hits.Load(),
		NegativeHits: l.negHits.Load(),
		Misses:       l.misses.Load(),
		Loads:        l.loads.Load(),
		LoadErrors:   l.loadErrs.Load(),
		CacheErrors:  l.cErr.Load(),
	}
}
