package dns_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich/dns"
	"github.com/weirhq/weir/enrich/dns/dnstest"
)

// Reverse DNS with a cache: each answer is kept for its DNS TTL, so repeated
// addresses (most of them, in real logs) cost no query.
func ExampleNew() {
	srv, err := dnstest.Start() // a DNS server on loopback
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	_ = srv.Add("7.100.51.198.in-addr.arpa. 300 IN PTR vpn.example.com.")

	d, err := dns.New(dns.Config{
		Servers: []string{srv.Addr},
		Timeout: time.Second,
		Cache:   cache.NewMemory(cache.MemoryConfig{MaxItems: 100_000}),
	})
	if err != nil {
		panic(err)
	}
	defer d.Close() // closes its sockets
	ctx := context.Background()
	for _, ip := range []string{"198.51.100.7", "198.51.100.7", "198.51.100.8", "198.51.100.8"} {
		names, err := d.LookupAddr(ctx, ip)
		switch {
		case errors.Is(err, dns.ErrNotFound):
			fmt.Println(ip, "has no name")
		case err != nil:
			fmt.Println(ip, err)
		default:
			fmt.Println(ip, names)
		}
	}
	fmt.Println("queries:", srv.Total())
	// Output:
	// 198.51.100.7 [vpn.example.com.]
	// 198.51.100.7 [vpn.example.com.]
	// 198.51.100.8 has no name
	// 198.51.100.8 has no name
	// queries: 2
}
