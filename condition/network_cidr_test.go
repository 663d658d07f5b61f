package condition_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func TestNetworkIPInCIDR(t *testing.T) {
	t.Parallel()
	cfg := func(cidrs string) string {
		return `{"type":"network_ip_in_cidr","settings":{"cidrs":[` + cidrs + `]}}`
	}
	field := func(cidrs string) string {
		return `{"type":"network_ip_in_cidr","settings":{"object":{"source_key":"ip"},"cidrs":[` + cidrs + `]}}`
	}
	const private = `"10.0.0.0/8","172.16.0.0/12","192.168.0.0/16","fc00::/7"`
	runInspectCases(t, []inspectCase{
		{name: "v4 in", cfg: cfg(private), data: "172.20.1.1", want: true},
		{name: "v4 first", cfg: cfg(private), data: "10.0.0.0", want: true},
		{name: "v4 last", cfg: cfg(private), data: "10.255.255.255", want: true},
		{name: "v4 out", cfg: cfg(private), data: "172.32.0.1"},
		{name: "v6 in", cfg: cfg(private), data: "fd00::1", want: true},
		{name: "v6 out", cfg: cfg(private), data: "2001:db8::1"},
		{name: "mapped address in v4 range", cfg: cfg(private), data: "::ffff:192.168.1.1", want: true},
		{name: "mapped range", cfg: cfg(`"::ffff:10.0.0.0/104"`), data: "10.9.9.9", want: true},
		{name: "host bits ignored", cfg: cfg(`"10.1.2.3/8"`), data: "10.200.0.1", want: true},
		{name: "v4 not in v6 any", cfg: cfg(`"::/0"`), data: "1.2.3.4"},
		{name: "v4 any", cfg: cfg(`"0.0.0.0/0"`), data: "1.2.3.4", want: true},
		{name: "single host", cfg: cfg(`"8.8.8.8/32"`), data: "8.8.8.8", want: true},
		{name: "zone rejected", cfg: cfg(`"fe80::/10"`), data: "fe80::1%eth0"},
		{name: "not an ip", cfg: cfg(`"0.0.0.0/0"`), data: "example.com"},
		{name: "empty", cfg: cfg(`"0.0.0.0/0"`), data: ""},
		{name: "field in", cfg: field(private), data: `{"ip":"192.168.4.20"}`, want: true},
		{name: "field out", cfg: field(private), data: `{"ip":"8.8.8.8"}`},
		{name: "field missing", cfg: field(`"0.0.0.0/0"`), data: `{"addr":"8.8.8.8"}`},
		{name: "field number", cfg: field(`"0.0.0.0/0"`), data: `{"ip":134744072}`},
		{name: "metadata", cfg: `{"type":"network_ip_in_cidr","settings":{"object":{"source_key":"meta ip"},"cidrs":["127.0.0.0/8"]}}`,
			data: `{}`, meta: `{"ip":"127.0.0.1"}`, want: true},
	})
}

func TestNetworkIPInCIDRConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cfg, field string
	}{
		{"no cidrs", `{"type":"network_ip_in_cidr"}`, "cidrs"},
		{"empty cidrs", `{"type":"network_ip_in_cidr","settings":{"cidrs":[]}}`, "cidrs"},
		{"bad cidr", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8","300.0.0.0/8"]}}`, "cidrs.1"},
		{"bare address", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.1"]}}`, "cidrs.0"},
		{"target key", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8"],"object":{"source_key":"a","target_key":"b"}}}`, "object.target_key"},
		{"unknown setting", `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8"],"cidr":"x"}}`, "cidr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := condition.New(context.Background(), parseConfig(t, tc.cfg))
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, "network_ip_in_cidr", ce.Type)
		})
	}
}

func TestNetworkIPInCIDRControl(t *testing.T) {
	t.Parallel()
	in, err := condition.NewNetworkIPInCIDR(condition.NetworkIPInCIDRConfig{CIDRs: []string{"0.0.0.0/0"}})
	require.NoError(t, err)
	ok, err := in.Inspect(context.Background(), weir.NewControl())
	require.NoError(t, err)
	assert.False(t, ok)
}

func ExampleNewNetworkIPInCIDR() {
	in, err := condition.NewNetworkIPInCIDR(condition.NetworkIPInCIDRConfig{
		Object: condition.ObjectSettings{SourceKey: "client.ip"},
		CIDRs:  []string{"10.0.0.0/8", "192.168.0.0/16", "fc00::/7"},
	})
	if err != nil {
		panic(err)
	}
	for _, ip := range []string{"10.1.2.3", "fd00::1", "8.8.8.8", "not an ip"} {
		msg := weir.NewMessage([]byte(`{"client":{"ip":"` + ip + `"}}`))
		ok, _ := in.Inspect(context.Background(), msg)
		fmt.Println(ip, ok)
	}
	// Output:
	// 10.1.2.3 true
	// fd00::1 true
	// 8.8.8.8 false
	// not an ip false
}

func BenchmarkNetworkIPInCIDR(b *testing.B) {
	for _, n := range []int{4, 64} {
		cidrs := make([]string, n)
		for i := range cidrs {
			cidrs[i] = fmt.Sprintf("10.%d.0.0/16", i)
		}
		in, err := condition.NewNetworkIPInCIDR(condition.NetworkIPInCIDRConfig{
			Object: condition.ObjectSettings{SourceKey: "client.ip"}, CIDRs: cidrs})
		if err != nil {
			b.Fatal(err)
		}
		data := []byte(`{"client":{"ip":"192.168.4.20"}}`) // a miss: every range is compared
		b.Run(fmt.Sprintf("ranges=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := in.Inspect(ctx, weir.NewMessage(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
