package transform

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

func TestNetwork(t *testing.T) {
	t.Parallel()
	const obj = `"object":{"source_key":"a","target_key":"a"}`
	cfg := func(typ, settings string) string {
		return `{"type":"network_` + typ + `","settings":{` + settings + `}}`
	}
	tests := []struct {
		name, config, in, want string
	}{
		// Substation v2 conformance vectors (byte for byte).
		{"registered/data", cfg("domain_registered_domain", ``), `c.b.com`, `b.com`},
		{"registered/object", cfg("domain_registered_domain", obj), `{"a":"c.b.com"}`, `{"a":"b.com"}`},
		{"subdomain/data", cfg("domain_subdomain", ``), `c.b.com`, `c`},
		{"subdomain/object", cfg("domain_subdomain", obj), `{"a":"c.b.com"}`, `{"a":"c"}`},
		{"tld/data", cfg("domain_top_level_domain", ``), `b.com`, `com`},
		{"tld/object", cfg("domain_top_level_domain", obj), `{"a":"b.com"}`, `{"a":"com"}`},

		// Multi-label suffixes and deeper names.
		{"registered/co.uk", cfg("domain_registered_domain", ``), `x.y.b.co.uk`, `b.co.uk`},
		{"registered/itself", cfg("domain_registered_domain", ``), `b.com`, `b.com`},
		{"registered/private suffix", cfg("domain_registered_domain", ``), `foo.bar.github.io`, `bar.github.io`},
		{"subdomain/deep", cfg("domain_subdomain", ``), `x.y.b.co.uk`, `x.y`},
		// Substation takes out the registered domain's first occurrence.
		{"subdomain/suffix inside", cfg("domain_subdomain", ``), `x.b.comy.b.com`, `xy.b.com`},
		// An IP address is split at its dots, as a name under no listed
		// suffix (Substation's version of publicsuffix).
		{"registered/ip", cfg("domain_registered_domain", ``), `10.0.1.6`, `1.6`},
		{"subdomain/ip", cfg("domain_subdomain", obj), `{"a":"10.0.1.6"}`, `{"a":"10.0"}`},
		{"tld/ip", cfg("domain_top_level_domain", ``), `8.8.8.8`, `8`},
		{"tld/ipv6", cfg("domain_top_level_domain", ``), `2001:db8::1`, `2001:db8::1`},
		{"tld/co.uk", cfg("domain_top_level_domain", ``), `b.co.uk`, `co.uk`},
		{"tld/unlisted", cfg("domain_top_level_domain", ``), `host.internal`, `internal`},
		{"tld/empty", cfg("domain_top_level_domain", ``), ``, ``},
		{"tld/new target", cfg("domain_top_level_domain", `"object":{"source_key":"d","target_key":"tld"}`),
			`{"d":"a.b.org"}`, `{"d":"a.b.org","tld":"org"}`},
		{"missing passes", cfg("domain_subdomain", obj), `{"b":"x"}`, `{"b":"x"}`},

		// network_ip_in_cidr
		{"cidr/in", cfg("ip_in_cidr", `"cidrs":["10.0.0.0/8","192.168.0.0/16"],"object":{"source_key":"ip","target_key":"internal"}`),
			`{"ip":"192.168.4.20"}`, `{"ip":"192.168.4.20","internal":true}`},
		{"cidr/out", cfg("ip_in_cidr", `"cidrs":["10.0.0.0/8"],"object":{"source_key":"ip","target_key":"internal"}`),
			`{"ip":"11.0.0.1"}`, `{"ip":"11.0.0.1","internal":false}`},
		{"cidr/v6", cfg("ip_in_cidr", `"cidrs":["2001:db8::/32"],"object":{"source_key":"ip","target_key":"doc"}`),
			`{"ip":"2001:db8:1::5"}`, `{"ip":"2001:db8:1::5","doc":true}`},
		{"cidr/mapped", cfg("ip_in_cidr", `"cidrs":["10.0.0.0/8"],"object":{"source_key":"ip","target_key":"in"}`),
			`{"ip":"::ffff:10.1.1.1"}`, `{"ip":"::ffff:10.1.1.1","in":true}`},
		{"cidr/not an ip", cfg("ip_in_cidr", `"cidrs":["0.0.0.0/0"],"object":{"source_key":"ip","target_key":"in"}`),
			`{"ip":"example.com"}`, `{"ip":"example.com","in":false}`},
		{"cidr/number", cfg("ip_in_cidr", `"cidrs":["0.0.0.0/0"],"object":{"source_key":"ip","target_key":"in"}`),
			`{"ip":167772161}`, `{"ip":167772161,"in":false}`},
		{"cidr/missing", cfg("ip_in_cidr", `"cidrs":["0.0.0.0/0"],"object":{"source_key":"ip","target_key":"in"}`),
			`{"x":1}`, `{"x":1}`},
		{"cidr/data", cfg("ip_in_cidr", `"cidrs":["127.0.0.0/8"]`), `127.0.0.1`, `true`},
		{"cidr/data out", cfg("ip_in_cidr", `"cidrs":["127.0.0.0/8"]`), `{"ip":"127.0.0.1"}`, `false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tc.config), tc.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tc.want, string(out[0].Data()))
		})
	}
}

func TestNetworkDomainErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, in string
	}{
		{"registered/suffix only", "network_domain_registered_domain", "com"},
		{"registered/multi-label suffix only", "network_domain_registered_domain", "co.uk"},
		{"registered/empty", "network_domain_registered_domain", ""},
		{"registered/empty label", "network_domain_registered_domain", "a..com"},
		{"registered/leading dot", "network_domain_registered_domain", ".b.com"},
		{"registered/trailing dot", "network_domain_registered_domain", "b.com."},
		{"subdomain/none", "network_domain_subdomain", "b.com"},
		{"subdomain/invalid", "network_domain_subdomain", "com"},
		// Substation takes out the first occurrence of "b.com": none left.
		{"subdomain/repeated", "network_domain_subdomain", "b.com.b.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, o := range []ObjectSettings{{}, {SourceKey: "d", TargetKey: "d"}} {
				tf, err := New(context.Background(), weir.Config{Type: tc.typ,
					Settings: map[string]any{"object": map[string]any{"source_key": o.SourceKey, "target_key": o.TargetKey}}})
				require.NoError(t, err)
				data := tc.in
				if o.SourceKey != "" {
					data = `{"d":"` + tc.in + `"}`
				}
				out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(data)))
				assert.Nil(t, out)
				assert.ErrorIs(t, err, weir.ErrInvalidData)
				var te *Error
				require.True(t, errors.As(err, &te), "%T", err)
				assert.Equal(t, tc.typ, te.Type)
			}
		})
	}
}

func TestNetworkConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, field string
	}{
		{"domain source without target", `{"type":"network_domain_subdomain","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"cidr none", `{"type":"network_ip_in_cidr","settings":{"object":{"source_key":"a","target_key":"b"}}}`, "cidrs"},
		{"cidr empty list", `{"type":"network_ip_in_cidr","settings":{"cidrs":[]}}`, "cidrs"},
		{"cidr bad", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","10.0.0.0/33"]}}`, "cidrs.1"},
		{"cidr bare address", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.1"]}}`, "cidrs.0"},
		{"cidr target without source", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8"],"object":{"target_key":"b"}}}`, "object.source_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), strCfg(t, tc.config))
			var ce *weir.ConfigError
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, strCfg(t, tc.config).Type, ce.Type)
		})
	}
}

func TestNetworkControl(t *testing.T) {
	t.Parallel()
	cfgs := []weir.Config{
		{Type: "network_domain_registered_domain"},
		{Type: "network_domain_subdomain"},
		{Type: "network_domain_top_level_domain"},
		{Type: "network_ip_in_cidr", Settings: map[string]any{"cidrs": []any{"10.0.0.0/8"}}},
	}
	for _, c := range cfgs {
		tf, err := New(context.Background(), c)
		require.NoError(t, err, c.Type)
		ctrl := weir.NewControl()
		out, err := tf.Transform(context.Background(), ctrl)
		require.NoError(t, err, c.Type)
		assert.Equal(t, []*weir.Message{ctrl}, out, c.Type)
	}
}

const netBenchEvent = `{"dns":{"question":"api.eu.example.co.uk"},"client":{"ip":"192.168.4.20"}}`

func BenchmarkNetworkDomainRegisteredDomain(b *testing.B) {
	strBench(b, strMust(NewNetworkDomainRegisteredDomain(NetworkDomainRegisteredDomainConfig{
		Object: ObjectSettings{SourceKey: "dns.question", TargetKey: "dns.registered_domain"}})), netBenchEvent)
}

func BenchmarkNetworkDomainSubdomain(b *testing.B) {
	strBench(b, strMust(NewNetworkDomainSubdomain(NetworkDomainSubdomainConfig{
		Object: ObjectSettings{SourceKey: "dns.question", TargetKey: "dns.subdomain"}})), netBenchEvent)
}

func BenchmarkNetworkDomainTopLevelDomain(b *testing.B) {
	strBench(b, strMust(NewNetworkDomainTopLevelDomain(NetworkDomainTopLevelDomainConfig{
		Object: ObjectSettings{SourceKey: "dns.question", TargetKey: "dns.tld"}})), netBenchEvent)
}

func BenchmarkNetworkIPInCIDR(b *testing.B) {
	strBench(b, strMust(NewNetworkIPInCIDR(NetworkIPInCIDRConfig{
		CIDRs:  []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"},
		Object: ObjectSettings{SourceKey: "client.ip", TargetKey: "client.internal"}})), netBenchEvent)
}
