// Package cache keeps byte values by string key, each for a time to live.
//
// Which do I use?
//
//   - [NewMemory]: a bounded LRU cache in this process. A hit costs tens of
//     nanoseconds and allocates nothing; use it in front of anything slow.
//   - [Loader]: cache-aside lookups over any [Cache]. It asks the cache
//     first, calls your load function on a miss (once per key however many
//     callers miss at the same time), caches what it loaded (and "not
//     found" answers, for a TTL of their own) and counts hits and misses.
//   - dynamocache.New (package github.com/weirhq/weir/cache/dynamocache): a
//     cache shared by many processes (Lambda instances), in a DynamoDB
//     table; it lives in a package of its own so that programs using only
//     this package do not link the AWS SDK.
//   - [NewTiered]: a Memory in front of a distributed cache, to cut its
//     query volume; stale for at most its front TTL when another process
//     writes.
//
// Package cache depends on nothing in Weir; outside the standard library
// it uses golang.org/x/sync. The kvstore, enrich and transform packages
// build on it.
package cache

import (
	"context"
	"errors"
	"time"
)

// Cache keeps byte values by key, each for a time to live.
//
// Get returns the value of key and true, or false when the cache has no
// live value for it (never set, deleted, evicted or expired); an error
// means the cache could not answer (a distributed cache that cannot be
// reached), not that the key is missing. Set stores value under key,
// replacing any previous value; a ttl of zero or less means the value does
// not expire (though a bounded cache may still evict it). Delete removes
// key; deleting a missing key is not an error.
//
// Implementations are safe for concurrent use. Values are shared, not
// copied: Set takes ownership of value and the caller must not modify it
// afterwards; the slice Get returns must not be modified either.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// Adder is implemented by caches that can store a value only if the key
// has no live value, atomically: the building block of a lock. Add reports
// whether it stored value. An expired value counts as absent.
type Adder interface {
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
}

// ErrNotFound is returned by [Loader.Get] for a key its load function
// reported as not found (now or, while the negative entry lives, earlier).
// A load function returns it (or an error wrapping it) to say "not found";
// that answer is cached for [LoaderConfig.NegativeTTL].
var ErrNotFound = errors.New("cache: not found")

// ExpiryGetter is implemented by caches that can tell when a value
// expires; [Tiered] uses it to keep its front entries from outliving the
// back's. GetWithExpiry is Get plus the expiry time (zero: none).
type ExpiryGetter interface {
	GetWithExpiry(ctx context.Context, key string) (value []byte, expires time.Time, ok bool, err error)
}
