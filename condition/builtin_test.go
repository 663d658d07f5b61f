package condition_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// sample is a working config for each built-in type and a message it says
// something about.
var samples = []struct {
	cfg, data string
	// onControl is the answer for a control message: false for every leaf
	// type; the meta types ask their nested inspectors.
	onControl bool
}{
	{cfg: `{"type":"network_ip_in_cidr","settings":{"cidrs":["10.0.0.0/8"]}}`, data: `10.0.0.1`},
	{cfg: `{"type":"all","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `abc`},
	{cfg: `{"type":"any","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `abc`},
	{cfg: `{"type":"none","settings":{"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `xyz`, onControl: true},
	{cfg: `{"type":"meta_all","settings":{"object":{"source_key":"a"},"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `{"a":["a","ba"]}`},
	{cfg: `{"type":"meta_any","settings":{"object":{"source_key":"a"},"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `{"a":["a","b"]}`},
	{cfg: `{"type":"meta_none","settings":{"object":{"source_key":"a"},"conditions":[{"type":"string_contains","settings":{"value":"a"}}]}}`, data: `{"a":["c","b"]}`},
	{cfg: `{"type":"exists","settings":{"object":{"source_key":"a"}}}`, data: `{"a":1}`},
	{cfg: `{"type":"format_json"}`, data: `{"a":1}`},
	{cfg: `{"type":"format_mime","settings":{"type":"application/zip"}}`, data: "PK\x03\x04"},
	{cfg: `{"type":"network_ip_global_unicast"}`, data: `8.8.8.8`},
	{cfg: `{"type":"network_ip_link_local_multicast"}`, data: `224.0.0.1`},
	{cfg: `{"type":"network_ip_link_local_unicast"}`, data: `169.254.0.1`},
	{cfg: `{"type":"network_ip_loopback","settings":{"object":{"source_key":"ip"}}}`, data: `{"ip":"127.0.0.1"}`},
	{cfg: `{"type":"network_ip_multicast"}`, data: `224.0.0.1`},
	{cfg: `{"type":"network_ip_private"}`, data: `10.0.0.1`},
	{cfg: `{"type":"network_ip_unicast"}`, data: `10.0.0.1`},
	{cfg: `{"type":"network_ip_unspecified"}`, data: `::`},
	{cfg: `{"type":"network_ip_valid"}`, data: `::1`},
	{cfg: `{"type":"number_bitwise_and","settings":{"value":3}}`, data: `2`},
	{cfg: `{"type":"number_bitwise_not"}`, data: `2`},
	{cfg: `{"type":"number_bitwise_or","settings":{"value":3}}`, data: `2`},
	{cfg: `{"type":"number_bitwise_xor","settings":{"value":3}}`, data: `2`},
	{cfg: `{"type":"number_equal_to","settings":{"value":3,"object":{"source_key":"n"}}}`, data: `{"n":3}`},
	{cfg: `{"type":"number_greater_than","settings":{"value":3}}`, data: `4`},
	{cfg: `{"type":"number_less_than","settings":{"object":{"source_key":"a","target_key":"b"}}}`, data: `{"a":1,"b":2}`},
	{cfg: `{"type":"number_length_equal_to","settings":{"value":3}}`, data: `abc`},
	{cfg: `{"type":"number_length_greater_than","settings":{"value":2,"measurement":"char"}}`, data: `abc`},
	{cfg: `{"type":"number_length_less_than","settings":{"value":4,"object":{"source_key":"a"}}}`, data: `{"a":"abc"}`},
	{cfg: `{"type":"string_contains","settings":{"value":"b"}}`, data: `abc`},
	{cfg: `{"type":"string_ends_with","settings":{"value":"c"}}`, data: `abc`},
	{cfg: `{"type":"string_equal_to","settings":{"value":"abc","object":{"source_key":"s"}}}`, data: `{"s":"abc"}`},
	{cfg: `{"type":"string_greater_than","settings":{"value":"a"}}`, data: `abc`},
	{cfg: `{"type":"string_less_than","settings":{"value":"b"}}`, data: `abc`},
	{cfg: `{"type":"string_match","settings":{"pattern":"^a.c$"}}`, data: `abc`},
	{cfg: `{"type":"string_starts_with","settings":{"value":"a"}}`, data: `abc`},
	{cfg: `{"type":"utility_random"}`, data: `abc`},
}

func TestBuiltinTypes(t *testing.T) {
	t.Parallel()
	want := make([]string, 0, len(samples))
	for _, s := range samples {
		want = append(want, parseConfig(t, s.cfg).Type)
	}
	sort.Strings(want)
	assert.Equal(t, want, condition.Builtins().Types(), "every built-in has a sample and vice versa")
}

func TestBuiltinControlMessages(t *testing.T) {
	t.Parallel()
	for _, s := range samples {
		cfg := parseConfig(t, s.cfg)
		t.Run(cfg.Type, func(t *testing.T) {
			t.Parallel()
			in, err := condition.New(context.Background(), cfg)
			require.NoError(t, err)
			ok, err := in.Inspect(context.Background(), weir.NewControl())
			require.NoError(t, err)
			assert.Equal(t, s.onControl, ok)
		})
	}
}

// Every built-in is safe for concurrent use (run with -race): one inspector,
// many goroutines, each with its own messages.
func TestBuiltinConcurrentUse(t *testing.T) {
	t.Parallel()
	const goroutines, rounds = 8, 50
	for _, s := range samples {
		cfg := parseConfig(t, s.cfg)
		t.Run(cfg.Type, func(t *testing.T) {
			t.Parallel()
			in, err := condition.New(context.Background(), cfg)
			require.NoError(t, err)
			want, err := in.Inspect(context.Background(), weir.NewMessage([]byte(s.data)))
			require.NoError(t, err)
			if cfg.Type != "utility_random" {
				assert.True(t, want, "the sample should be true")
			}

			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for range goroutines {
				wg.Go(func() {
					for range rounds {
						got, err := in.Inspect(context.Background(), weir.NewMessage([]byte(s.data)))
						if err == nil && got != want && cfg.Type != "utility_random" {
							err = fmt.Errorf("got %v, want %v", got, want)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// Inspecting a message does not change it.
func TestBuiltinsDoNotModifyMessages(t *testing.T) {
	t.Parallel()
	for _, s := range samples {
		cfg := parseConfig(t, s.cfg)
		t.Run(cfg.Type, func(t *testing.T) {
			t.Parallel()
			in, err := condition.New(context.Background(), cfg)
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(s.data)).SetMetadata([]byte(`{"m":1}`))
			_, err = in.Inspect(context.Background(), msg)
			require.NoError(t, err)
			assert.Equal(t, s.data, string(msg.Data()))
			assert.JSONEq(t, `{"m":1}`, string(msg.Metadata()))
		})
	}
}
