package cache_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/cache"
)

func ExampleNewMemory() {
	ctx := context.Background()
	c := cache.NewMemory(cache.MemoryConfig{MaxItems: 2})
	_ = c.Set(ctx, "198.51.100.7", []byte(`{"asn":64500}`), time.Hour)
	_ = c.Set(ctx, "203.0.113.9", []byte(`{"asn":64501}`), time.Hour)
	_ = c.Set(ctx, "192.0.2.1", []byte(`{"asn":64502}`), time.Hour) // evicts the least recently used

	v, ok, _ := c.Get(ctx, "203.0.113.9")
	fmt.Println(string(v), ok)
	_, ok, _ = c.Get(ctx, "198.51.100.7")
	fmt.Println(ok)
	// Output:
	// {"asn":64501} true
	// false
}

func ExampleLoader() {
	lookups := 0
	l, err := cache.NewLoader(cache.LoaderConfig{
		Cache: cache.NewMemory(cache.MemoryConfig{}),
		Load: func(_ context.Context, ip string) ([]byte, error) {
			lookups++ // a DNS or HTTP lookup, say
			if ip == "192.0.2.1" {
				return []byte("gw.example.net"), nil
			}
			return nil, cache.ErrNotFound
		},
		TTL:         time.Hour,
		NegativeTTL: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, ip := range []string{"192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.2"} {
		name, err := l.Get(ctx, ip)
		switch {
		case errors.Is(err, cache.ErrNotFound):
			fmt.Println(ip, "not found")
		case err != nil:
			fmt.Println(ip, err)
		default:
			fmt.Println(ip, string(name))
		}
	}
	s := l.Stats()
	fmt.Printf("lookups=%d hits=%d negative_hits=%d misses=%d\n", lookups, s.Hits, s.NegativeHits, s.Misses)
	// Output:
	// 192.0.2.1 gw.example.net
	// 192.0.2.1 gw.example.net
	// 192.0.2.2 not found
	// 192.0.2.2 not found
	// lookups=2 hits=1 negative_hits=1 misses=2
}

func ExampleNewTiered() {
	ctx := context.Background()
	// In production the back is a *cache.DynamoDB shared by every instance.
	shared := cache.NewMemory(cache.MemoryConfig{})
	instance1, _ := cache.NewTiered(cache.NewMemory(cache.MemoryConfig{}), shared, cache.TieredConfig{FrontTTL: time.Minute})
	instance2, _ := cache.NewTiered(cache.NewMemory(cache.MemoryConfig{}), shared, cache.TieredConfig{FrontTTL: time.Minute})

	_ = instance1.Set(ctx, "198.51.100.7", []byte(`{"asn":64500}`), time.Hour)
	v, ok, _ := instance2.Get(ctx, "198.51.100.7") // from the back, then kept in front
	fmt.Println(string(v), ok)

	_ = instance1.Delete(ctx, "198.51.100.7")
	_, ok, _ = instance2.Get(ctx, "198.51.100.7") // stale until its front entry expires
	fmt.Println(ok)
	// Output:
	// {"asn":64500} true
	// true
}
