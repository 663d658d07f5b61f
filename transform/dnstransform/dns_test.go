package dnstransform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich/dns"
	"github.com/weirhq/weir/enrich/dns/dnstest"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/dnstransform"
	"github.com/weirhq/weir/transform/transformtest"
)

// dnsServer starts a loopback DNS server and a resolver asking it.
func dnsServer(t testing.TB) (*dnstest.Server, *dns.Resolver) {
	t.Helper()
	s, err := dnstest.Start()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Add(
		"1.2.0.192.in-addr.arpa. 300 IN PTR gw.example.",
		"www.example. 120 IN A 192.0.2.10",
		"www.example. 90 IN AAAA 2001:db8::10",
		"example. 300 IN TXT \"v=spf1 -all\"",
	))
	d, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: 10 * time.Second, // generous: a busy machine
		Cache: cache.NewMemory(cache.MemoryConfig{})})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Close()) })
	return s, d
}

func TestEnrichDNS(t *testing.T) {
	t.Parallel()
	s, d := dnsServer(t)
	obj := transform.ObjectSettings{SourceKey: "k", TargetKey: "v"}
	ip, domain, txt := dnstransform.NewEnrichDNSIPLookup, dnstransform.NewEnrichDNSDomainLookup, dnstransform.NewEnrichDNSTXTLookup
	tests := []struct {
		name    string
		newT    func(dnstransform.EnrichDNSConfig) (*dnstransform.EnrichDNS, error)
		object  transform.ObjectSettings
		in      string
		want    string
		wantErr error
	}{
		{name: "ip", newT: ip, object: obj, in: `{"k":"192.0.2.1"}`, want: `{"k":"192.0.2.1","v":["gw.example."]}`},
		{name: "ip whole data", newT: ip, in: `192.0.2.1`, want: `gw.example.`},
		{name: "ip missing source passes", newT: ip, object: obj, in: `{"x":1}`, want: `{"x":1}`},
		{name: "ip not found", newT: ip, object: obj, in: `{"k":"192.0.2.2"}`, wantErr: dns.ErrNotFound},
		{name: "ip malformed", newT: ip, object: obj, in: `{"k":"nope"}`, wantErr: weir.ErrInvalidData},
		{name: "domain", newT: domain, object: obj, in: `{"k":"www.example"}`, want: `{"k":"www.example","v":["192.0.2.10","2001:db8::10"]}`},
		{name: "domain whole data", newT: domain, in: `www.example`, want: `192.0.2.10`},
		{name: "domain not found", newT: domain, object: obj, in: `{"k":"nope.example"}`, wantErr: dns.ErrNotFound},
		{name: "txt", newT: txt, object: obj, in: `{"k":"example"}`, want: `{"k":"example","v":["v=spf1 -all"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tf, err := tt.newT(dnstransform.EnrichDNSConfig{Object: tt.object, DNS: d, ID: "x"})
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				var te *transform.Error
				assert.ErrorAs(t, err, &te)
				return
			}
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))

			ctl := weir.NewControl()
			out, err = tf.Transform(context.Background(), ctl)
			require.NoError(t, err)
			assert.Equal(t, []*weir.Message{ctl}, out)
		})
	}
	assert.Equal(t, 1, s.Queries(mdns.TypePTR, "1.2.0.192.in-addr.arpa"), "cached across messages")
}

func TestEnrichDNSTimeout(t *testing.T) {
	t.Parallel()
	s, d := dnsServer(t)
	s.SetLatency(5 * time.Second) // far beyond the request's 30 ms timeout, even on a busy machine
	tf, err := dnstransform.NewEnrichDNSTXTLookup(dnstransform.EnrichDNSConfig{DNS: d, Request: dnstransform.EnrichDNSRequestSettings{Timeout: "30ms"}})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte("example")))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestEnrichDNSConfig(t *testing.T) {
	t.Parallel()
	reg := testEnv().Transforms
	tests := []struct {
		name, settings, field string
	}{
		{name: "source without target", settings: `{"object":{"source_key":"a"}}`, field: "object.target_key"},
		{name: "target without source", settings: `{"object":{"target_key":"a"}}`, field: "object.source_key"},
		{name: "bad timeout", settings: `{"request":{"timeout":"soon"}}`, field: "request.timeout"},
		{name: "negative timeout", settings: `{"request":{"timeout":"-1s"}}`, field: "request.timeout"},
		{name: "unknown setting", settings: `{"nameservers":["x"]}`, field: "nameservers"},
		{name: "empty server", settings: `{"servers":[""]}`, field: "servers"},
		{name: "valid", settings: `{"object":{"source_key":"a","target_key":"b"},"request":{"timeout":"2s"},"id":"rdns"}`},
	}
	for _, typ := range []string{"enrich_dns_ip_lookup", "enrich_dns_domain_lookup", "enrich_dns_txt_lookup"} {
		for _, tt := range tests {
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				var settings map[string]any
				require.NoError(t, json.Unmarshal([]byte(tt.settings), &settings))
				_, err := (&transform.Env{Transforms: reg}).New(context.Background(), weir.Config{Type: typ, Settings: settings})
				if tt.field == "" {
					if _, serr := os.Stat("/etc/resolv.conf"); serr != nil {
						// Built from JSON, the resolver reads the system's
						// nameservers; without them construction must fail.
						assert.Error(t, err)
						return
					}
					assert.NoError(t, err)
					return
				}
				var ce *weir.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.field, ce.Field)
			})
		}
	}
}

// TestEnrichDNSServersSetting builds each DNS type from JSON with the
// servers setting and checks that its lookups reach that server, not the
// system's resolver.
func TestEnrichDNSServersSetting(t *testing.T) {
	t.Parallel()
	s, _ := dnsServer(t)
	reg := testEnv().Transforms
	tests := []struct{ typ, in, want string }{
		{"enrich_dns_ip_lookup", `{"k":"192.0.2.1"}`, `{"k":"192.0.2.1","v":["gw.example."]}`},
		{"enrich_dns_domain_lookup", `{"k":"www.example"}`, `{"k":"www.example","v":["192.0.2.10","2001:db8::10"]}`},
		{"enrich_dns_txt_lookup", `{"k":"example"}`, `{"k":"example","v":["v=spf1 -all"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			settings := map[string]any{
				"object":  map[string]any{"source_key": "k", "target_key": "v"},
				"request": map[string]any{"timeout": "20s"}, // generous: a busy machine
				"servers": []any{s.Addr},
			}
			tf, err := (&transform.Env{Transforms: reg}).New(context.Background(), weir.Config{Type: tt.typ, Settings: settings})
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, tf.(interface{ Close() error }).Close()) })
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.JSONEq(t, tt.want, string(out[0].Data()))
		})
	}
}

// BenchmarkEnrichDNSStream runs reverse lookups of distinct addresses (no
// cache hits) through a stream stage of workers against a loopback server
// answering in 2 ms: at best workers / 2 ms msgs/s (128,000 for 256
// workers); %ideal is the share reached, cpu-µs/op the CPU time (user +
// system) the process — client, server and stream — spent per message.
func BenchmarkEnrichDNSStream(b *testing.B) {
	for _, workers := range []int{256, 64, 32, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			benchEnrichDNSStream(b, workers)
		})
	}
}

func benchEnrichDNSStream(b *testing.B, workers int) {
	const latency = 2 * time.Millisecond
	s, err := dnstest.Start()
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	s.SynthesizePTR(true)
	s.SetLatency(latency)
	d, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: time.Second})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, d.Close()) })
	tf, err := dnstransform.NewEnrichDNSIPLookup(dnstransform.EnrichDNSConfig{
		Object: transform.ObjectSettings{SourceKey: "ip", TargetKey: "host"}, DNS: d})
	require.NoError(b, err)

	var out atomic.Int64
	ctx := context.Background()
	st, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			out.Add(1)
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: tf, Workers: workers}}})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := range b.N {
		ip := fmt.Sprintf(`{"ip":"10.%d.%d.%d"}`, i>>16&255, i>>8&255, i&255)
		if err := st.Send(ctx, weir.NewMessage([]byte(ip))); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, st.Close(ctx))
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	require.Equal(b, int64(b.N), out.Load())
	require.Equal(b, int64(b.N), s.Total(), "a query per message")
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(100*rate/(float64(workers)/latency.Seconds()), "%ideal")
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEnrichDNSCacheAside runs 100k events over 1k distinct addresses
// through the transform and reports how many queries the server saw.
func BenchmarkEnrichDNSCacheAside(b *testing.B) {
	const events, distinct = 100_000, 1_000
	for range b.N {
		s, err := dnstest.Start()
		require.NoError(b, err)
		s.SynthesizePTR(true)
		d, err := dns.New(dns.Config{Servers: []string{s.Addr}})
		require.NoError(b, err)
		tf, err := dnstransform.NewEnrichDNSIPLookup(dnstransform.EnrichDNSConfig{
			Object: transform.ObjectSettings{SourceKey: "ip", TargetKey: "host"}, DNS: d})
		require.NoError(b, err)
		ctx := context.Background()
		for i := range events {
			n := i % distinct
			msg := weir.NewMessage(fmt.Appendf(nil, `{"ip":"10.0.%d.%d"}`, n>>8, n&255))
			if _, err := tf.Transform(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(s.Total()), "queries")
		b.ReportMetric(events, "events")
		require.NoError(b, d.Close())
		require.NoError(b, s.Close())
	}
}

// TestContract checks the DNS transforms against transformtest's contract,
// with a loopback DNS server.
func TestContract(t *testing.T) {
	t.Parallel()
	_, d := dnsServer(t)
	obj := transform.ObjectSettings{SourceKey: "k", TargetKey: "v"}
	for typ, tc := range map[string]struct {
		newT  func(dnstransform.EnrichDNSConfig) (*dnstransform.EnrichDNS, error)
		input string
	}{
		"enrich_dns_ip_lookup":     {dnstransform.NewEnrichDNSIPLookup, `{"k":"192.0.2.1"}`},
		"enrich_dns_domain_lookup": {dnstransform.NewEnrichDNSDomainLookup, `{"k":"www.example"}`},
		"enrich_dns_txt_lookup":    {dnstransform.NewEnrichDNSTXTLookup, `{"k":"example"}`},
	} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			transformtest.Run(t, func() (transform.Transformer, error) {
				return tc.newT(dnstransform.EnrichDNSConfig{Object: obj, DNS: d})
			}, transformtest.Options{
				Inputs: [][]byte{[]byte(tc.input), []byte(`{"k":"nope.example"}`), []byte(`{"x":1}`)},
				Key:    "k",
			})
		})
	}
}
