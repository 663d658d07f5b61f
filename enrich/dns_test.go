package enrich_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/enrich/dnstest"
)

// newDNS returns a DNS asking s, caching in a memory cache on clk.
func newDNS(t testing.TB, s *dnstest.Server, clk *clock, cfg enrich.DNSConfig) *enrich.DNS {
	t.Helper()
	cfg.Servers = []string{s.Addr}
	if cfg.Cache == nil && clk != nil {
		cfg.Cache = cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	d, err := enrich.NewDNS(cfg)
	require.NoError(t, err)
	return d
}

func TestDNSLookups(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{})
	ctx := context.Background()
	tests := []struct {
		name    string
		lookup  func(context.Context, string) ([]string, error)
		in      string
		want    []string
		wantErr error
	}{
		{name: "PTR v4", lookup: d.LookupAddr, in: "192.0.2.1", want: []string{"gw.example.", "gateway.example."}},
		{name: "PTR v6", lookup: d.LookupAddr, in: "2001:db8::1", want: []string{"v6.example."}},
		{name: "PTR v4-mapped v6", lookup: d.LookupAddr, in: "::ffff:192.0.2.1", want: []string{"gw.example.", "gateway.example."}},
		{name: "PTR NXDOMAIN", lookup: d.LookupAddr, in: "192.0.2.99", wantErr: enrich.ErrNotFound},
		{name: "PTR bad IP", lookup: d.LookupAddr, in: "not-an-ip", wantErr: enrich.ErrInvalidName},
		{name: "A and AAAA", lookup: d.LookupHost, in: "www.example", want: []string{"192.0.2.10", "192.0.2.11", "2001:db8::10"}},
		{name: "A only, case-insensitive", lookup: d.LookupHost, in: "V4ONLY.example.", want: []string{"192.0.2.20"}},
		{name: "IP literal", lookup: d.LookupHost, in: "192.0.2.5", want: []string{"192.0.2.5"}},
		{name: "host NXDOMAIN", lookup: d.LookupHost, in: "nope.example", wantErr: enrich.ErrNotFound},
		{name: "host bad name", lookup: d.LookupHost, in: "a..b", wantErr: enrich.ErrInvalidName},
		{name: "TXT", lookup: d.LookupTXT, in: "example", want: []string{"v=spf1 -all"}},
		{name: "TXT strings joined", lookup: d.LookupTXT, in: "multi.example", want: []string{"part one part two"}},
		{name: "TXT NODATA", lookup: d.LookupTXT, in: "www.example", wantErr: enrich.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup(ctx, tt.in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				var de *enrich.DNSError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, tt.in, de.Name)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDNSCachesForTTL(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	clk := newClock()
	d := newDNS(t, s, clk, enrich.DNSConfig{})
	ctx := context.Background()
	const rev = "1.2.0.192.in-addr.arpa."

	steps := []struct {
		name    string
		advance time.Duration
		queries int
	}{
		{name: "first lookup queries", queries: 1},
		{name: "repeat is cached", queries: 1},
		{name: "still cached before the min TTL (60s)", advance: 59 * time.Second, queries: 1},
		{name: "expired after the min TTL", advance: time.Second, queries: 2},
		{name: "cached again", advance: 30 * time.Second, queries: 2},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		got, err := d.LookupAddr(ctx, "192.0.2.1")
		require.NoError(t, err, st.name)
		assert.Equal(t, []string{"gw.example.", "gateway.example."}, got, st.name)
		assert.Equal(t, st.queries, s.Queries(dns.TypePTR, rev), st.name)
	}
}

func TestDNSMaxTTLCaps(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	clk := newClock()
	d := newDNS(t, s, clk, enrich.DNSConfig{MaxTTL: 10 * time.Second})
	ctx := context.Background()
	for range 2 {
		_, err := d.LookupTXT(ctx, "example")
		require.NoError(t, err)
	}
	assert.Equal(t, 1, s.Queries(dns.TypeTXT, "example"))
	clk.Advance(10 * time.Second)
	_, err := d.LookupTXT(ctx, "example")
	require.NoError(t, err)
	assert.Equal(t, 2, s.Queries(dns.TypeTXT, "example"), "TTL 300 capped at 10s")
}

func TestDNSNegativeCaching(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetNegativeTTL(20) // SOA: TTL 60, MINIMUM 20 → 20s
	clk := newClock()
	d := newDNS(t, s, clk, enrich.DNSConfig{})
	ctx := context.Background()

	steps := []struct {
		advance time.Duration
		queries int
	}{{0, 1}, {0, 1}, {19 * time.Second, 1}, {time.Second, 2}}
	for i, st := range steps {
		clk.Advance(st.advance)
		_, err := d.LookupTXT(ctx, "gone.example")
		assert.ErrorIs(t, err, enrich.ErrNotFound, i)
		assert.Equal(t, st.queries, s.Queries(dns.TypeTXT, "gone.example"), i)
	}
}

func TestDNSRetriesDroppedQueries(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{Timeout: 100 * time.Millisecond, Attempts: 3})
	s.Drop(2)
	got, err := d.LookupTXT(context.Background(), "example")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, got)
	assert.Equal(t, 3, s.Queries(dns.TypeTXT, "example"))
}

func TestDNSTimeout(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{Timeout: 50 * time.Millisecond, Attempts: 2})
	s.Drop(2)
	start := time.Now()
	_, err := d.LookupTXT(context.Background(), "example")
	assert.ErrorIs(t, err, enrich.ErrTimeout)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, 2, s.Queries(dns.TypeTXT, "example"))

	got, err := d.LookupTXT(context.Background(), "example")
	require.NoError(t, err, "timeouts are not cached")
	assert.Equal(t, []string{"v=spf1 -all"}, got)
}

func TestDNSServerFailure(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{Attempts: 2})
	s.Fail("example", dns.RcodeServerFailure)
	_, err := d.LookupTXT(context.Background(), "example")
	require.ErrorIs(t, err, enrich.ErrServerFailure)
	var de *enrich.DNSError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "SERVFAIL", de.Rcode)
	assert.Equal(t, s.Addr, de.Server)
	assert.Equal(t, 2, s.Queries(dns.TypeTXT, "example"), "retried")

	s.Fail("example", dns.RcodeSuccess)
	_, err = d.LookupTXT(context.Background(), "example")
	assert.NoError(t, err, "failures are not cached")
}

func TestDNSContextCanceled(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetLatency(200 * time.Millisecond)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := d.LookupTXT(ctx, "example")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// The query in flight still completes and fills the cache.
	assert.Eventually(t, func() bool {
		got, err := d.LookupTXT(context.Background(), "example")
		return err == nil && len(got) == 1
	}, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, s.Queries(dns.TypeTXT, "example"))
}

func TestDNSSingleflight(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetLatency(50 * time.Millisecond)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			got, err := d.LookupAddr(context.Background(), "192.0.2.1")
			if err == nil && len(got) != 2 {
				err = fmt.Errorf("got %v", got)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 1, s.Queries(dns.TypePTR, "1.2.0.192.in-addr.arpa"))
}

func TestDNSCacheAside100k(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SynthesizePTR(true)
	d := newDNS(t, s, newClock(), enrich.DNSConfig{})
	ctx := context.Background()
	const events, distinct = 100_000, 1_000
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := w; i < events; i += workers {
				n := i % distinct
				ip := fmt.Sprintf("10.1.%d.%d", n/256, n%256)
				got, err := d.LookupAddr(ctx, ip)
				if !assert.NoError(t, err) || !assert.Len(t, got, 1) {
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("cache-aside: %d events, %d distinct IPs, server saw %d queries", events, distinct, s.Total())
	assert.Equal(t, int64(distinct), s.Total())
}

func TestNewDNS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	require.NoError(t, os.WriteFile(conf, []byte("nameserver 127.0.0.1\nnameserver ::1\n"), 0o644))
	empty := filepath.Join(dir, "empty.conf")
	require.NoError(t, os.WriteFile(empty, []byte("search example\n"), 0o644))
	tests := []struct {
		name    string
		cfg     enrich.DNSConfig
		wantErr bool
	}{
		{name: "resolv.conf", cfg: enrich.DNSConfig{ResolvConf: conf}},
		{name: "servers without port", cfg: enrich.DNSConfig{Servers: []string{"192.0.2.53", "2001:db8::53", "[2001:db8::54]:5353"}}},
		{name: "missing resolv.conf", cfg: enrich.DNSConfig{ResolvConf: filepath.Join(dir, "nope")}, wantErr: true},
		{name: "no nameserver", cfg: enrich.DNSConfig{ResolvConf: empty}, wantErr: true},
		{name: "empty server", cfg: enrich.DNSConfig{Servers: []string{""}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := enrich.NewDNS(tt.cfg)
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestDNSFailingCacheStillAnswers(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, nil, enrich.DNSConfig{Cache: brokenCache{}})
	got, err := d.LookupTXT(context.Background(), "example")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, got)
}

type brokenCache struct{}

var errBroken = errors.New("cache down")

func (brokenCache) Get(context.Context, string) ([]byte, bool, error) { return nil, false, errBroken }
func (brokenCache) Set(context.Context, string, []byte, time.Duration) error {
	return errBroken
}
func (brokenCache) Delete(context.Context, string) error { return errBroken }
