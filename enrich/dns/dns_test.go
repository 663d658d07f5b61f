package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich/dns"
	"github.com/weirhq/weir/enrich/dns/dnstest"
)

// newDNS returns a DNS asking s, caching in a memory cache on clk.
func newDNS(t testing.TB, s *dnstest.Server, clk *clock, cfg dns.Config) *dns.Resolver {
	t.Helper()
	cfg.Servers = []string{s.Addr}
	if cfg.Cache == nil && clk != nil {
		cfg.Cache = cache.NewMemory(cache.MemoryConfig{Now: clk.Now})
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	d, err := dns.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Close()) })
	return d
}

func TestDNSLookups(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), dns.Config{})
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
		{name: "PTR NXDOMAIN", lookup: d.LookupAddr, in: "192.0.2.99", wantErr: dns.ErrNotFound},
		{name: "PTR bad IP", lookup: d.LookupAddr, in: "not-an-ip", wantErr: dns.ErrInvalidName},
		{name: "A and AAAA", lookup: d.LookupHost, in: "www.example", want: []string{"192.0.2.10", "192.0.2.11", "2001:db8::10"}},
		{name: "A only, case-insensitive", lookup: d.LookupHost, in: "V4ONLY.example.", want: []string{"192.0.2.20"}},
		{name: "IP literal", lookup: d.LookupHost, in: "192.0.2.5", want: []string{"192.0.2.5"}},
		{name: "host NXDOMAIN", lookup: d.LookupHost, in: "nope.example", wantErr: dns.ErrNotFound},
		{name: "host bad name", lookup: d.LookupHost, in: "a..b", wantErr: dns.ErrInvalidName},
		{name: "TXT", lookup: d.LookupTXT, in: "example", want: []string{"v=spf1 -all"}},
		{name: "TXT strings joined", lookup: d.LookupTXT, in: "multi.example", want: []string{"part one part two"}},
		{name: "TXT NODATA", lookup: d.LookupTXT, in: "www.example", wantErr: dns.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup(ctx, tt.in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				var de *dns.Error
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
	d := newDNS(t, s, clk, dns.Config{})
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
		assert.Equal(t, st.queries, s.Queries(mdns.TypePTR, rev), st.name)
	}
}

func TestDNSMaxTTLCaps(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	clk := newClock()
	d := newDNS(t, s, clk, dns.Config{MaxTTL: 10 * time.Second})
	ctx := context.Background()
	for range 2 {
		_, err := d.LookupTXT(ctx, "example")
		require.NoError(t, err)
	}
	assert.Equal(t, 1, s.Queries(mdns.TypeTXT, "example"))
	clk.Advance(10 * time.Second)
	_, err := d.LookupTXT(ctx, "example")
	require.NoError(t, err)
	assert.Equal(t, 2, s.Queries(mdns.TypeTXT, "example"), "TTL 300 capped at 10s")
}

func TestDNSNegativeCaching(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetNegativeTTL(20) // SOA: TTL 60, MINIMUM 20 → 20s
	clk := newClock()
	d := newDNS(t, s, clk, dns.Config{})
	ctx := context.Background()

	steps := []struct {
		advance time.Duration
		queries int
	}{{0, 1}, {0, 1}, {19 * time.Second, 1}, {time.Second, 2}}
	for i, st := range steps {
		clk.Advance(st.advance)
		_, err := d.LookupTXT(ctx, "gone.example")
		assert.ErrorIs(t, err, dns.ErrNotFound, i)
		assert.Equal(t, st.queries, s.Queries(mdns.TypeTXT, "gone.example"), i)
	}
}

func TestDNSRetriesDroppedQueries(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	// The two dropped queries each wait out the timeout; the third is
	// answered. On a busy machine an answer may still come too late for its
	// attempt, so the client has attempts to spare and the test counts at
	// least three queries instead of exactly three.
	d := newDNS(t, s, newClock(), dns.Config{Timeout: time.Second, Attempts: 8})
	s.Drop(2)
	got, err := d.LookupTXT(context.Background(), "example")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, got)
	assert.GreaterOrEqual(t, s.Queries(mdns.TypeTXT, "example"), 3)
}

func TestDNSTimeout(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), dns.Config{Timeout: 50 * time.Millisecond, Attempts: 2})
	s.Drop(2)
	_, err := d.LookupTXT(context.Background(), "example")
	assert.ErrorIs(t, err, dns.ErrTimeout)
	// The client gives up after its attempts; on a busy machine the server
	// may read the last of them a moment later. Both arrive.
	assert.Eventually(t, func() bool { return s.Queries(mdns.TypeTXT, "example") == 2 }, 10*time.Second, time.Millisecond)

	// Timeouts are not cached: a lookup succeeds as soon as the server
	// answers within the timeout (which a busy machine may take tries for;
	// a cached timeout would fail every one of them).
	var got []string
	assert.Eventually(t, func() bool {
		got, err = d.LookupTXT(context.Background(), "example")
		return err == nil
	}, 10*time.Second, time.Millisecond, "timeouts are not cached")
	assert.Equal(t, []string{"v=spf1 -all"}, got)
}

func TestDNSServerFailure(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, newClock(), dns.Config{Attempts: 2})
	s.Fail("example", mdns.RcodeServerFailure)
	_, err := d.LookupTXT(context.Background(), "example")
	require.ErrorIs(t, err, dns.ErrServerFailure)
	var de *dns.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "SERVFAIL", de.Rcode)
	assert.Equal(t, s.Addr, de.Server)
	assert.Equal(t, 2, s.Queries(mdns.TypeTXT, "example"), "retried")

	s.Fail("example", mdns.RcodeSuccess)
	_, err = d.LookupTXT(context.Background(), "example")
	assert.NoError(t, err, "failures are not cached")
}

func TestDNSContextCanceled(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetLatency(2 * time.Second) // far beyond the context's 20 ms, even on a busy machine
	d := newDNS(t, s, newClock(), dns.Config{Timeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := d.LookupTXT(ctx, "example")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// The query in flight still completes and fills the cache.
	assert.Eventually(t, func() bool {
		got, err := d.LookupTXT(context.Background(), "example")
		return err == nil && len(got) == 1
	}, 20*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, s.Queries(mdns.TypeTXT, "example"))
}

func TestDNSSingleflight(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	// Every caller must join the first query while it is in flight: a
	// latency long enough for 64 goroutines to start on a busy machine.
	s.SetLatency(3 * time.Second)
	d := newDNS(t, s, newClock(), dns.Config{Timeout: time.Minute})
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
	assert.Equal(t, 1, s.Queries(mdns.TypePTR, "1.2.0.192.in-addr.arpa"))
}

func TestDNSCacheAside100k(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SynthesizePTR(true)
	// A timeout far beyond any wait a busy machine causes: a retried query
	// would be counted twice by the server.
	d := newDNS(t, s, newClock(), dns.Config{Timeout: time.Minute})
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
		cfg     dns.Config
		wantErr bool
	}{
		{name: "resolv.conf", cfg: dns.Config{ResolvConf: conf}},
		{name: "servers without port", cfg: dns.Config{Servers: []string{"192.0.2.53", "2001:db8::53", "[2001:db8::54]:5353"}}},
		{name: "missing resolv.conf", cfg: dns.Config{ResolvConf: filepath.Join(dir, "nope")}, wantErr: true},
		{name: "no nameserver", cfg: dns.Config{ResolvConf: empty}, wantErr: true},
		{name: "empty server", cfg: dns.Config{Servers: []string{""}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := dns.New(tt.cfg)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.NoError(t, d.Close())
		})
	}
}

func TestDNSFailingCacheStillAnswers(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	d := newDNS(t, s, nil, dns.Config{Cache: brokenCache{}})
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

func TestDNSTCPFallback(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	var want []string
	for i := range 300 { // about 4.8 kB: more than the 4,096 bytes asked for over UDP
		a := fmt.Sprintf("10.9.%d.%d", i/256, i%256)
		require.NoError(t, s.Add("big.example. 300 IN A "+a))
		want = append(want, a)
	}
	d := newDNS(t, s, newClock(), dns.Config{})
	got, err := d.LookupType(context.Background(), "big.example", mdns.TypeA)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 2, s.Queries(mdns.TypeA, "big.example"), "UDP, then TCP")
	assert.Equal(t, int64(1), s.TCPQueries())
}

// rawServer is a bare UDP socket on loopback that answers queries the way
// a test tells it to, to put the client's matching of answers to queries
// to the test.
type rawServer struct {
	pc net.PacketConn
}

func startRaw(t *testing.T) *rawServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	return &rawServer{pc: pc}
}

// query is a query the raw server read.
type query struct {
	msg  *mdns.Msg
	from net.Addr
}

func (r *rawServer) read(t *testing.T) query {
	t.Helper()
	buf := make([]byte, mdns.MaxMsgSize)
	require.NoError(t, r.pc.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, from, err := r.pc.ReadFrom(buf)
	require.NoError(t, err)
	m := new(mdns.Msg)
	require.NoError(t, m.Unpack(buf[:n]))
	return query{msg: m, from: from}
}

// answer sends q's asker a TXT answer saying txt, altered by edit.
func (r *rawServer) answer(t *testing.T, q query, txt string, edit func(*mdns.Msg)) {
	t.Helper()
	m := new(mdns.Msg)
	m.SetReply(q.msg)
	m.Answer = []mdns.RR{&mdns.TXT{Hdr: mdns.RR_Header{Name: q.msg.Question[0].Name, Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 60}, Txt: []string{txt}}}
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	require.NoError(t, err)
	_, err = r.pc.WriteTo(b, q.from)
	require.NoError(t, err)
}

func TestDNSMatchesAnswersToQueries(t *testing.T) {
	t.Parallel()
	raw := startRaw(t)
	d, err := dns.New(dns.Config{Servers: []string{raw.pc.LocalAddr().String()}, Timeout: 5 * time.Second, Attempts: 1})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Close()) })

	const n = 32
	type result struct {
		name string
		got  []string
		err  error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			name := fmt.Sprintf("q%d.example", i)
			got, err := d.LookupTXT(context.Background(), name)
			results <- result{name, got, err}
		}()
	}
	qs := make([]query, n)
	for i := range qs {
		qs[i] = raw.read(t)
	}
	// Answer in reverse order, each real answer after answers that must be
	// ignored: another ID, another question, not a response, garbage.
	for i := n - 1; i >= 0; i-- {
		q := qs[i]
		raw.answer(t, q, "spoof: wrong id", func(m *mdns.Msg) { m.Id++ })
		raw.answer(t, q, "spoof: wrong question", func(m *mdns.Msg) { m.Question[0].Name = "other.example." })
		raw.answer(t, q, "spoof: wrong type", func(m *mdns.Msg) { m.Question[0].Qtype = mdns.TypeA })
		raw.answer(t, q, "spoof: not a response", func(m *mdns.Msg) { m.Response = false })
		_, err := raw.pc.WriteTo([]byte{byte(q.msg.Id >> 8), byte(q.msg.Id), 0x81, 0x80, 0, 1}, q.from) // truncated header
		require.NoError(t, err)
		raw.answer(t, q, "answer to "+strings.ToLower(q.msg.Question[0].Name), func(m *mdns.Msg) {
			m.Question[0].Name = strings.ToUpper(m.Question[0].Name) // servers may change the case
		})
	}
	for range n {
		r := <-results
		if assert.NoError(t, r.err, r.name) {
			assert.Equal(t, []string{"answer to " + r.name + "."}, r.got)
		}
	}
}

func TestDNSRetriesConcurrentDrops(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SynthesizePTR(true)
	// Generous per attempt: an answered attempt must not time out on a busy
	// machine.
	d := newDNS(t, s, newClock(), dns.Config{Timeout: time.Second, Attempts: 3})
	s.Drop(16)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			ip := fmt.Sprintf("10.2.0.%d", i)
			got, err := d.LookupAddr(context.Background(), ip)
			if assert.NoError(t, err, ip) {
				assert.Equal(t, []string{fmt.Sprintf("host-10-2-0-%d.example.", i)}, got)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(64+16), s.Total(), "each dropped query asked again")
}

func TestDNSClose(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.SetLatency(5 * time.Second) // queries that Close did not end would get answers, not ErrClosed
	d, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: time.Minute})
	require.NoError(t, err)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := d.LookupTXT(context.Background(), fmt.Sprintf("t%d.example", i))
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return s.Total() == n }, 20*time.Second, time.Millisecond)
	require.NoError(t, d.Close())
	for range n {
		assert.ErrorIs(t, <-errs, dns.ErrClosed, "queries in flight end at Close")
	}
	_, err = d.LookupTXT(context.Background(), "example")
	assert.ErrorIs(t, err, dns.ErrClosed)
	assert.NoError(t, d.Close(), "twice")
}

// BenchmarkDNSLookup runs reverse lookups of distinct addresses (no cache
// hits) from goroutines against a loopback server answering in 2 ms, with
// no stream in between: at best workers / 2 ms lookups a second.
// latency-ms is the mean time a lookup took, cpu-µs/op the CPU time
// (user + system) the process — client and server — spent per lookup.
func BenchmarkDNSLookup(b *testing.B) {
	const latency = 2 * time.Millisecond
	for _, workers := range []int{32, 64, 128, 256} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := startDNS(b)
			s.SynthesizePTR(true)
			s.SetLatency(latency)
			d := newDNS(b, s, nil, dns.Config{Timeout: time.Second})
			ctx := context.Background()
			var (
				next  atomic.Int64
				spent atomic.Int64
				wg    sync.WaitGroup
			)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range workers {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
						start := time.Now()
						if _, err := d.LookupAddr(ctx, ip); err != nil {
							b.Error(err)
							return
						}
						spent.Add(int64(time.Since(start)))
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
			rate := float64(b.N) / b.Elapsed().Seconds()
			mean := time.Duration(spent.Load() / int64(b.N))
			b.ReportMetric(rate, "lookups/s")
			b.ReportMetric(100*rate/(float64(workers)/latency.Seconds()), "bound-%")
			b.ReportMetric(float64(mean)/float64(time.Millisecond), "latency-ms")
		})
	}
}

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
