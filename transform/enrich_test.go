package transform_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/kvstore"
	"github.com/weirhq/weir/transform"
)

// kvFile writes content to name in a temporary folder and returns its path.
func kvFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestEnrichKVStoreItemGet(t *testing.T) {
	t.Parallel()
	csvPath := kvFile(t, "kv.csv", "product,price,calories\nchurro,9.99,500\n<b>,<1&2>,2\n")
	jsonPath := kvFile(t, "kv.json", `{"churro": 9.99, "big": 1e21, "obj": {"z": 1, "a": [1.50, "x"]}, "nul": null, "str": "{\"a\":1}"}`)
	linesPath := kvFile(t, "kv.jsonl", "{\"a\": null}\n{\"a\": 2, \"b\": 3}\n{\"a\": 4}\n")
	textPath := kvFile(t, "kv.txt", "alice\nbob\n")
	store := func(typ string, settings map[string]any) weir.Config {
		return weir.Config{Type: typ, Settings: settings}
	}
	csvStore := store("csv_file", map[string]any{"file": csvPath, "column": "product"})
	tests := []struct {
		name   string
		store  weir.Config
		prefix string
		object transform.ObjectSettings
		in     string
		want   string
	}{
		{name: "csv", store: csvStore, in: `{"k":"churro"}`, want: `{"k":"churro","v":{"calories":"500","price":"9.99"}}`},
		{name: "csv escapes as encoding/json", store: csvStore, in: `{"k":"<b>"}`, want: `{"k":"<b>","v":{"calories":"2","price":"\u003c1\u00262\u003e"}}`},
		{name: "csv miss is null", store: csvStore, in: `{"k":"eclair"}`, want: `{"k":"eclair","v":null}`},
		{name: "missing source passes", store: csvStore, in: `{"x":"churro"}`, want: `{"x":"churro"}`},
		{name: "non-JSON data passes", store: csvStore, in: `churro`, want: `churro`},
		{name: "csv header and delimiter", store: store("csv_file", map[string]any{"file": kvFile(t, "h.csv", "x;y\nchurro;9\n"), "column": "p", "delimiter": ";", "header": "p;q"}), in: `{"k":"churro"}`, want: `{"k":"churro","v":{"q":"9"}}`},
		{name: "json number", store: store("json_file", map[string]any{"file": jsonPath}), in: `{"k":"churro"}`, want: `{"k":"churro","v":9.99}`},
		{name: "json numbers as float64", store: store("json_file", map[string]any{"file": jsonPath}), in: `{"k":"big"}`, want: `{"k":"big","v":1000000000000000000000}`},
		{name: "json object re-encoded", store: store("json_file", map[string]any{"file": jsonPath}), in: `{"k":"obj"}`, want: `{"k":"obj","v":{"a":[1.5,"x"],"z":1}}`},
		{name: "json null", store: store("json_file", map[string]any{"file": jsonPath}), in: `{"k":"nul"}`, want: `{"k":"nul","v":null}`},
		{name: "json string holding JSON", store: store("json_file", map[string]any{"file": jsonPath}), in: `{"k":"str"}`, want: `{"k":"str","v":{"a":1}}`},
		{name: "json lines first non-null", store: store("json_file", map[string]any{"file": linesPath, "is_lines": true}), in: `{"k":"a"}`, want: `{"k":"a","v":2}`},
		{name: "text member", store: store("text_file", map[string]any{"file": textPath}), in: `{"k":"bob"}`, want: `{"k":"bob","v":true}`},
		{name: "text non-member", store: store("text_file", map[string]any{"file": textPath}), in: `{"k":"eve"}`, want: `{"k":"eve","v":false}`},
		{name: "number key", store: store("json_file", map[string]any{"file": kvFile(t, "n.json", `{"42":"answer"}`)}), in: `{"k":42}`, want: `{"k":42,"v":"answer"}`},
		{name: "prefix", store: store("json_file", map[string]any{"file": kvFile(t, "p.json", `{"p:churro":1}`)}), prefix: "p", in: `{"k":"churro"}`, want: `{"k":"churro","v":1}`},
		{name: "metadata target", store: csvStore, object: transform.ObjectSettings{SourceKey: "k", TargetKey: "meta info"}, in: `{"k":"churro"}`, want: `{"k":"churro"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obj := tt.object
			if obj.SourceKey == "" {
				obj = transform.ObjectSettings{SourceKey: "k", TargetKey: "v"}
			}
			tf, err := transform.NewEnrichKVStoreItemGet(context.Background(), nil, transform.EnrichKVStoreItemGetConfig{Object: obj, Prefix: tt.prefix, KVStore: tt.store})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.in))
			out, err := tf.Transform(context.Background(), msg)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
			if tt.object.TargetKey == "meta info" {
				assert.Equal(t, `{"info":{"calories":"500","price":"9.99"}}`, string(out[0].Metadata()))
			}
		})
	}
}

func TestEnrichKVStoreCloseReloads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := kvFile(t, "kv.json", `{"a":1}`)
	for _, reset := range []bool{false, true} {
		require.NoError(t, os.WriteFile(p, []byte(`{"a":1}`), 0o644))
		tf, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{
			Object:       transform.ObjectSettings{SourceKey: "k", TargetKey: "v"},
			KVStore:      weir.Config{Type: "json_file", Settings: map[string]any{"file": p}},
			CloseKVStore: reset,
		})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, []byte(`{"a":2}`), 0o644))
		out, err := tf.Transform(ctx, weir.NewControl())
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.True(t, out[0].IsControl())
		out, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"k":"a"}`)))
		require.NoError(t, err)
		want := `{"k":"a","v":1}`
		if reset {
			want = `{"k":"a","v":2}`
		}
		assert.Equal(t, want, string(out[0].Data()), "close_kv_store=%t", reset)
	}
}

func TestEnrichKVStoreItemSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	mem := cache.NewMemory(cache.MemoryConfig{Now: now})
	store := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: mem, Now: now})
	get := func(key string) string {
		v, ok, err := store.Get(ctx, key)
		require.NoError(t, err)
		if !ok {
			return "<missing>"
		}
		return string(v)
	}
	tests := []struct {
		name    string
		cfg     transform.EnrichKVStoreItemSetConfig
		in      string
		key     string
		want    string
		expires time.Duration // after which the item is gone; 0: never
	}{
		{name: "string", in: `{"k":"a","v":"x"}`, key: "a", want: `"x"`},
		{name: "object, keys sorted", in: `{"k":"b","v":{"z":1,"a":1.0}}`, key: "b", want: `{"a":1,"z":1}`},
		{name: "missing value is null", in: `{"k":"c"}`, key: "c", want: `null`},
		{name: "whole message", cfg: transform.EnrichKVStoreItemSetConfig{Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "@this"}}, in: `{"k":"d"}`, key: "d", want: `{"k":"d"}`},
		{name: "prefix", cfg: transform.EnrichKVStoreItemSetConfig{Prefix: "p", Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "v"}}, in: `{"k":"e","v":1}`, key: "p:e", want: `1`},
		{name: "ttl offset", cfg: transform.EnrichKVStoreItemSetConfig{TTLOffset: "10s", Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "v"}}, in: `{"k":"f","v":1}`, key: "f", want: `1`, expires: 10 * time.Second},
		{name: "ttl key in ms plus offset", cfg: transform.EnrichKVStoreItemSetConfig{TTLOffset: "1m", Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "v", TTLKey: "t"}}, in: `{"k":"g","v":1,"t":1704067230000}`, key: "g", want: `1`, expires: 90 * time.Second},
		{name: "ttl key in the past", cfg: transform.EnrichKVStoreItemSetConfig{Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "v", TTLKey: "t"}}, in: `{"k":"h","v":1,"t":1}`, key: "h", want: `<missing>`},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		if cfg.Object.SourceKey == "" {
			cfg.Object = transform.KVObjectSettings{SourceKey: "k", TargetKey: "v"}
		}
		cfg.Store, cfg.Now = store, now
		tf, err := transform.NewEnrichKVStoreItemSet(ctx, nil, cfg)
		require.NoError(t, err, tt.name)
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(tt.in)))
		require.NoError(t, err, tt.name)
		require.Len(t, out, 1)
		assert.Equal(t, tt.in, string(out[0].Data()), "%s: the message passes unchanged", tt.name)
		assert.Equal(t, tt.want, get(tt.key), tt.name)
		if tt.expires > 0 {
			clk = clk.Add(tt.expires - time.Second)
			assert.Equal(t, tt.want, get(tt.key), "%s: alive a second before expiry", tt.name)
			clk = clk.Add(time.Second)
			assert.Equal(t, "<missing>", get(tt.key), "%s: gone at expiry", tt.name)
			clk = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		}
	}
}

func TestEnrichKVStoreSetAdd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{})})
	add, err := transform.NewEnrichKVStoreSetAdd(ctx, nil, transform.EnrichKVStoreSetAddConfig{
		Object: transform.KVObjectSettings{SourceKey: "customer", TargetKey: "order"},
		Store:  store,
	})
	require.NoError(t, err)
	get, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{
		Object: transform.ObjectSettings{SourceKey: "customer", TargetKey: "orders"},
		Store:  store,
	})
	require.NoError(t, err)

	var wg sync.WaitGroup
	for _, order := range []string{"pizza", "burger", "pizza", "salad", "burger"} {
		wg.Go(func() {
			_, err := add.Transform(ctx, weir.NewMessage([]byte(`{"customer":"bob","order":"`+order+`"}`)))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	_, err = add.Transform(ctx, weir.NewMessage([]byte(`{"order":"lost"}`)))
	require.NoError(t, err, "no key: passes")
	out, err := get.Transform(ctx, weir.NewMessage([]byte(`{"customer":"bob"}`)))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"pizza", "burger", "salad"}, weir.ValueOf(out[0].Data()).Get("orders").Any())
}

func TestEnrichKVStoreConfigErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := weir.Config{Type: "memory"}
	text := weir.Config{Type: "text_file", Settings: map[string]any{"file": kvFile(t, "t.txt", "a\n")}}
	both := transform.KVObjectSettings{SourceKey: "k", TargetKey: "v"}
	tests := []struct {
		name  string
		build func() error
		field string
	}{
		{"get without source", func() error {
			_, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{Object: transform.ObjectSettings{TargetKey: "v"}, KVStore: mem})
			return err
		}, "object.source_key"},
		{"get without target", func() error {
			_, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{Object: transform.ObjectSettings{SourceKey: "k"}, KVStore: mem})
			return err
		}, "object.target_key"},
		{"get without store", func() error {
			_, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{Object: transform.ObjectSettings{SourceKey: "k", TargetKey: "v"}})
			return err
		}, "kv_store"},
		{"set into a file", func() error {
			_, err := transform.NewEnrichKVStoreItemSet(ctx, nil, transform.EnrichKVStoreItemSetConfig{Object: both, KVStore: text})
			return err
		}, "kv_store"},
		{"set_add into a file", func() error {
			_, err := transform.NewEnrichKVStoreSetAdd(ctx, nil, transform.EnrichKVStoreSetAddConfig{Object: both, KVStore: text})
			return err
		}, "kv_store"},
		{"bad ttl_offset", func() error {
			_, err := transform.NewEnrichKVStoreItemSet(ctx, nil, transform.EnrichKVStoreItemSetConfig{Object: both, KVStore: mem, TTLOffset: "1 day"})
			return err
		}, "ttl_offset"},
		{"set_add without target", func() error {
			_, err := transform.NewEnrichKVStoreSetAdd(ctx, nil, transform.EnrichKVStoreSetAddConfig{Object: transform.KVObjectSettings{SourceKey: "k"}, KVStore: mem})
			return err
		}, "object.target_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.build()
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.NotEmpty(t, ce.Type)
		})
	}
}

// failingStore fails every call.
type failingStore struct{}

func (failingStore) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, os.ErrDeadlineExceeded
}

func (failingStore) Set(context.Context, string, []byte, time.Time) error {
	return os.ErrDeadlineExceeded
}

func TestEnrichKVStoreStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	obj := transform.ObjectSettings{SourceKey: "k", TargetKey: "v"}
	get, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{Object: obj, Store: failingStore{}, ID: "g"})
	require.NoError(t, err)
	set, err := transform.NewEnrichKVStoreItemSet(ctx, nil, transform.EnrichKVStoreItemSetConfig{Object: transform.KVObjectSettings{SourceKey: "k", TargetKey: "v"}, Store: failingStore{}})
	require.NoError(t, err)
	for _, tf := range []transform.Transformer{get, set} {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"k":1}`)))
		var te *transform.Error
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.Nil(t, out)
	}
}

func BenchmarkEnrichKVStoreItemGet(b *testing.B) {
	p := kvFile(b, "kv.csv", "ip,asn,org\n192.0.2.1,64500,Example\n198.51.100.7,64501,Other\n")
	tf, err := transform.NewEnrichKVStoreItemGet(context.Background(), nil, transform.EnrichKVStoreItemGetConfig{
		Object:  transform.ObjectSettings{SourceKey: "source.ip", TargetKey: "source.as"},
		KVStore: weir.Config{Type: "csv_file", Settings: map[string]any{"file": p, "column": "ip"}},
	})
	require.NoError(b, err)
	data := []byte(`{"source":{"ip":"198.51.100.7","port":443},"event":{"action":"login"}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}
