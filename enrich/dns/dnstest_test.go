package dns_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/enrich/dns/dnstest"
)

// startDNS starts a loopback DNS server with a few records, closed when
// the test ends.
func startDNS(t testing.TB) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Add(
		"1.2.0.192.in-addr.arpa. 300 IN PTR gw.example.",
		"1.2.0.192.in-addr.arpa. 60 IN PTR gateway.example.",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR v6.example.",
		"www.example. 120 IN A 192.0.2.10",
		"www.example. 120 IN A 192.0.2.11",
		"www.example. 90 IN AAAA 2001:db8::10",
		"v4only.example. 300 IN A 192.0.2.20",
		"example. 300 IN TXT \"v=spf1 -all\"",
		"multi.example. 300 IN TXT \"part one \" \"part two\"",
	))
	return s
}

// clock is a settable clock for caches.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
