package transform

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/kvstore"
)

// enrichRegistry returns the built-ins plus the enrich family, whether or
// not builtin.go lists it yet.
func enrichRegistry(t testing.TB) *Registry {
	t.Helper()
	r := Builtins()
	have := map[string]bool{}
	for _, n := range r.Types() {
		have[n] = true
	}
	for n, f := range enrichBuiltins() {
		if !have[n] {
			require.NoError(t, r.Register(n, f))
		}
	}
	return r
}

// kvClock is a settable clock for tests.
type kvClock struct{ ns atomic.Int64 }

func newKVClock() *kvClock {
	c := &kvClock{}
	c.ns.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *kvClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *kvClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestKVStoreExamples runs Substation's KV-store example pipelines as
// Substation runs them: each transform sees every message before the next
// one does, and each pipeline has fresh stores.
func TestKVStoreExamples(t *testing.T) {
	names := []string{
		"transform__enrich__kvstore_csv", "transform__enrich__kvstore_json", "transform__enrich__kvstore_set_add",
		"transform__meta__exactly_once_consumer", "transform__meta__exactly_once_producer", "transform__meta__exactly_once_system",
	}
	reg := enrichRegistry(t)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("../testdata/conformance/substation-v2/examples", name+".json"))
		require.NoError(t, err)
		var vectors []struct {
			Config struct {
				Transforms []weir.Config `json:"transforms"`
			} `json:"config"`
			Files    map[string]string `json:"files"`
			Input    []kvVectorMsg     `json:"input"`
			Expected []kvVectorMsg     `json:"expected"`
		}
		require.NoError(t, json.Unmarshal(b, &vectors), name)
		for _, v := range vectors {
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				for p, content := range v.Files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644))
				}
				t.Chdir(dir)
				stores := new(kvstore.Stores)
				defer func() { assert.NoError(t, stores.Close()) }()
				ctx := context.Background()
				env := &Env{Transforms: reg, KVStores: stores}
				// send_stdout takes os.Stdout when built: keep the test's
				// output clean. No parallel test runs meanwhile.
				devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				require.NoError(t, err)
				stdout := os.Stdout
				os.Stdout = devNull
				ts, err := env.newAll(ctx, v.Config.Transforms)
				os.Stdout = stdout
				require.NoError(t, err)
				defer devNull.Close()

				var msgs []*weir.Message
				for _, in := range v.Input {
					msgs = append(msgs, weir.NewMessage([]byte(in.Data)))
				}
				out, err := Apply(ctx, ts, msgs...)
				require.NoError(t, err)
				flushed, err := Apply(ctx, ts, weir.NewControl())
				require.NoError(t, err)
				var got []kvVectorMsg
				for _, m := range append(out, flushed...) {
					if !m.IsControl() {
						got = append(got, kvVectorMsg{Data: string(m.Data()), Metadata: m.Metadata()})
					}
				}
				require.Len(t, got, len(v.Expected))
				for i, want := range v.Expected {
					assert.Equal(t, want.Data, got[i].Data, "output %d", i)
					if len(want.Metadata) > 0 {
						assert.JSONEq(t, string(want.Metadata), string(got[i].Metadata), "output %d", i)
					} else {
						assert.Empty(t, got[i].Metadata, "output %d", i)
					}
				}
			})
		}
	}
}

type kvVectorMsg struct {
	Data     string          `json:"data"`
	Metadata json.RawMessage `json:"metadata"`
}

// notFoundServer returns the URL of a loopback server that answers every
// request with 404, closed when the test ends.
func notFoundServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNewKVStoreErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := notFoundServer(t)
	csvPath := filepath.Join(dir, "t.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte("a,b\n1,2\n"), 0o644))
	tests := []struct {
		name      string
		cfg       string
		wantField string
		wantErr   error
		source    bool // the cause is an *enrich.SourceError
	}{
		{name: "no type", cfg: `{}`, wantField: "type"},
		{name: "unknown type", cfg: `{"type":"redis"}`, wantField: "type", wantErr: weir.ErrUnknownType},
		{name: "mmdb missing file", cfg: `{"type":"mmdb","settings":{"file":"x.mmdb"}}`, wantField: "settings.file", wantErr: os.ErrNotExist},
		{name: "unknown memory setting", cfg: `{"type":"memory","settings":{"size":1}}`, wantField: "settings.size"},
		{name: "negative capacity", cfg: `{"type":"memory","settings":{"capacity":-1}}`, wantField: "settings.capacity"},
		{name: "capacity not a number", cfg: `{"type":"memory","settings":{"capacity":"big"}}`, wantField: "settings.capacity"},
		{name: "csv without file", cfg: `{"type":"csv_file","settings":{"column":"a"}}`, wantField: "settings.file"},
		{name: "csv without column", cfg: `{"type":"csv_file","settings":{"file":"` + csvPath + `"}}`, wantField: "settings.column"},
		{name: "csv column not found", cfg: `{"type":"csv_file","settings":{"file":"` + csvPath + `","column":"c"}}`, wantField: "settings.file"},
		{name: "csv bad delimiter", cfg: `{"type":"csv_file","settings":{"file":"` + csvPath + `","column":"a","delimiter":"\""}}`, wantField: "settings.delimiter"},
		{name: "csv bad header", cfg: `{"type":"csv_file","settings":{"file":"` + csvPath + `","column":"a","header":"a,\"b"}}`, wantField: "settings.header"},
		{name: "missing file", cfg: `{"type":"text_file","settings":{"file":"` + filepath.Join(dir, "none") + `"}}`, wantField: "settings.file", wantErr: os.ErrNotExist},
		{name: "malformed s3 location", cfg: `{"type":"json_file","settings":{"file":"s3://bucket"}}`, wantField: "settings.file", source: true},
		{name: "http file not found", cfg: `{"type":"text_file","settings":{"file":"` + url + `/list.txt"}}`, wantField: "settings.file", wantErr: fs.ErrNotExist, source: true},
		{name: "json file not JSON", cfg: `{"type":"json_file","settings":{"file":"` + csvPath + `"}}`, wantField: "settings.file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg weir.Config
			require.NoError(t, json.Unmarshal([]byte(tt.cfg), &cfg))
			_, err := kvstore.New(context.Background(), nil, cfg)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			assert.Equal(t, tt.wantField, ce.Field)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if tt.source {
				assert.ErrorAs(t, err, new(*enrich.SourceError))
			}

			// Through a transform, the field is under kv_store.
			_, err = NewEnrichKVStoreItemGet(context.Background(), nil, EnrichKVStoreItemGetConfig{
				Object:  ObjectSettings{SourceKey: "a", TargetKey: "b"},
				KVStore: cfg,
			})
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "enrich_kv_store_item_get", ce.Type)
			if cfg.Type == "" {
				assert.Equal(t, "kv_store", ce.Field, "no kv_store at all")
			} else {
				assert.Equal(t, "kv_store."+tt.wantField, ce.Field)
			}
		})
	}
}

func TestKVStoresSharing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := func(capacity int) weir.Config {
		return weir.Config{Type: "memory", Settings: map[string]any{"capacity": json.Number(strconv.Itoa(capacity))}}
	}
	var s kvstore.Stores
	a, err := s.Store(ctx, mem(10))
	require.NoError(t, err)
	b, err := s.Store(ctx, mem(10))
	require.NoError(t, err)
	c, err := s.Store(ctx, mem(11))
	require.NoError(t, err)
	l, err := s.LockStore(ctx, mem(10))
	require.NoError(t, err)
	assert.Same(t, a, b, "identical configs share a store")
	assert.NotSame(t, a, c, "different configs do not")
	assert.NotSame(t, a, l, "lock stores are kept apart")
	require.NoError(t, s.Close())
	d, err := s.Store(ctx, mem(10))
	require.NoError(t, err)
	assert.NotSame(t, a, d, "Close forgets the stores")

	// Transforms built with the same kvstore.Stores share; without one they do not.
	shared := &Env{KVStores: &kvstore.Stores{}}
	for _, env := range []*Env{shared, nil} {
		set, err := NewEnrichKVStoreItemSet(ctx, env, EnrichKVStoreItemSetConfig{Object: KVObjectSettings{SourceKey: "k", TargetKey: "v"}, KVStore: mem(4)})
		require.NoError(t, err)
		get, err := NewEnrichKVStoreItemGet(ctx, env, EnrichKVStoreItemGetConfig{Object: ObjectSettings{SourceKey: "k", TargetKey: "got"}, KVStore: mem(4)})
		require.NoError(t, err)
		msg := weir.NewMessage([]byte(`{"k":"x","v":"y"}`))
		_, err = set.Transform(ctx, msg)
		require.NoError(t, err)
		_, err = get.Transform(ctx, msg)
		require.NoError(t, err)
		want := `{"k":"x","v":"y","got":"y"}`
		if env != shared {
			want = `{"k":"x","v":"y","got":null}`
		}
		assert.Equal(t, want, string(msg.Data()))
	}
}

func TestCacheKVStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newKVClock()
	s := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{Now: clk.Now}), Now: clk.Now})
	get := func(key string) string {
		v, ok, err := s.Get(ctx, key)
		require.NoError(t, err)
		if !ok {
			return "<missing>"
		}
		return string(v)
	}

	// Set, with and without expiry; an expired Set deletes.
	require.NoError(t, s.Set(ctx, "a", []byte(`1`), time.Time{}))
	require.NoError(t, s.Set(ctx, "b", []byte(`2`), clk.Now().Add(time.Minute)))
	assert.Equal(t, "1", get("a"))
	assert.Equal(t, "2", get("b"))
	clk.Advance(time.Minute)
	assert.Equal(t, "<missing>", get("b"))
	require.NoError(t, s.Set(ctx, "a", []byte(`3`), clk.Now().Add(-time.Second)))
	assert.Equal(t, "<missing>", get("a"))

	// SetAdd.
	for _, v := range []string{`"pizza"`, `"burger"`, `"pizza"`, `[1,"burger",{"b":1,"a":2}]`, `1.0`, `{"a":2,"b":1}`, `null`} {
		require.NoError(t, s.SetAdd(ctx, "set", []byte(v), time.Time{}))
	}
	assert.Equal(t, `["pizza","burger",1,{"a":2,"b":1},null]`, get("set"))
	require.NoError(t, s.Set(ctx, "scalar", []byte(`"x"`), time.Time{}))
	require.NoError(t, s.SetAdd(ctx, "scalar", []byte(`"<y>"`), time.Time{}))
	assert.Equal(t, `["\u003cy\u003e"]`, get("scalar"), "a value that is not a set is replaced; encoding/json escapes")
	require.NoError(t, s.SetAdd(ctx, "empty", []byte(`[]`), time.Time{}))
	assert.Equal(t, `[]`, get("empty"))
	require.NoError(t, s.SetAdd(ctx, "ttl", []byte(`1`), clk.Now().Add(time.Second)))
	clk.Advance(time.Second)
	assert.Equal(t, "<missing>", get("ttl"))

	// Locks.
	ok, err := s.Lock(ctx, "l", clk.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)
	ok, _ = s.Lock(ctx, "l", time.Time{})
	assert.False(t, ok, "held")
	clk.Advance(time.Minute)
	ok, _ = s.Lock(ctx, "l", time.Time{})
	assert.True(t, ok, "expired locks are free")
	require.NoError(t, s.Unlock(ctx, "l"))
	require.NoError(t, s.Unlock(ctx, "l"), "unlocking a free lock")
	ok, _ = s.Lock(ctx, "l", clk.Now().Add(-time.Second))
	assert.True(t, ok, "a lock expired from the start is taken")
	ok, _ = s.Lock(ctx, "l", clk.Now().Add(-time.Second))
	assert.True(t, ok, "and not stored")

	// Reset empties a memory cache.
	require.NoError(t, s.Set(ctx, "a", []byte(`1`), time.Time{}))
	require.NoError(t, s.Reset(ctx))
	assert.Equal(t, "<missing>", get("a"))
}

// plainCache is a cache.Cache without Add.
type plainCache struct{ cache.Cache }

func TestCacheKVStoreLockNeedsAdder(t *testing.T) {
	t.Parallel()
	s := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: plainCache{cache.NewMemory(cache.MemoryConfig{})}})
	_, err := s.Lock(context.Background(), "k", time.Time{})
	assert.ErrorContains(t, err, "cache.Adder")
	assert.NoError(t, s.Reset(context.Background()), "Reset does nothing on other caches")
	assert.Panics(t, func() { kvstore.NewCacheStore(kvstore.CacheStoreConfig{}) })
}

func TestCacheKVStoreConcurrentSetAdd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{})})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				assert.NoError(t, s.SetAdd(ctx, "k", []byte(strconv.Itoa(g*100+i)), time.Time{}))
			}
		})
	}
	wg.Wait()
	v, _, _ := s.Get(ctx, "k")
	var got []int
	require.NoError(t, json.Unmarshal(v, &got))
	assert.Len(t, got, 200, "no add is lost")
}

func TestKVExpires(t *testing.T) {
	t.Parallel()
	clk := newKVClock()
	now := clk.Now().Unix()
	msg := weir.NewMessage([]byte(`{"s":1700000000,"ms":1700000000123,"ns":1700000000123456789,"str":"1700000000","zero":0,"huge":"1234567890123456789012345678901"}`))
	tests := []struct {
		key, offset string
		want        int64 // Unix seconds; 0: no expiry
	}{
		{"", "", 0},
		{"", "1m", now + 60},
		{"", "1500ms", now + 1},
		{"", "-1h", now - 3600},
		{"s", "", 1700000000},
		{"ms", "", 1700000000},
		{"ns", "", 1700000000},
		{"str", "", 1700000000},
		{"s", "1h", 1700003600},
		{"missing", "", 0},
		{"missing", "1m", 60},
		{"zero", "", 0},
		{"huge", "", 0},
	}
	for _, tt := range tests {
		ttl, err := newKVTTL(tt.key, tt.offset, clk.Now)
		require.NoError(t, err)
		got := ttl.expires(msg)
		if tt.want == 0 {
			assert.True(t, got.IsZero(), "%s %s: %v", tt.key, tt.offset, got)
		} else {
			assert.Equal(t, tt.want, got.Unix(), "%s %s", tt.key, tt.offset)
		}
	}
	_, err := newKVTTL("", "soon", nil)
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "ttl_offset", ce.Field)
}

func TestMetaKVStoreLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newKVClock()
	store := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{Now: clk.Now}), Now: clk.Now})

	// The nested transform counts what it sees and fails on "fail".
	var seen []string
	var mu sync.Mutex
	nested := Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if m.IsControl() {
			return []*weir.Message{m}, nil
		}
		mu.Lock()
		seen = append(seen, string(m.Data()))
		mu.Unlock()
		if m.Get("fail").Exists() {
			return nil, errors.New("delivery failed")
		}
		return []*weir.Message{m}, nil
	})
	lock, err := NewMetaKVStoreLock(ctx, nil, MetaKVStoreLockConfig{
		Object: KVObjectSettings{SourceKey: "id"}, Prefix: "p", TTLOffset: "1m",
		Transforms: []Transformer{nested}, Store: store, Now: clk.Now,
	})
	require.NoError(t, err)
	run := func(data string) (string, error) {
		out, err := lock.Transform(ctx, weir.NewMessage([]byte(data)))
		if err != nil {
			return "", err
		}
		require.Len(t, out, 1)
		return string(out[0].Data()), nil
	}

	for _, d := range []string{`{"id":1}`, `{"id":1,"x":2}`, `{"a":"b"}`, `{"a":"b"}`, `{"id":2}`} {
		got, err := run(d)
		require.NoError(t, err)
		assert.Equal(t, d, got, "messages pass either way")
	}
	assert.Equal(t, []string{`{"id":1}`, `{"a":"b"}`, `{"id":2}`}, seen, "duplicates skip the transforms")
	_, held, _ := store.Get(ctx, "p:1")
	assert.True(t, held, "the key is prefix:source value")
	_, held, _ = store.Get(ctx, "p:"+sha256Hex([]byte(`{"a":"b"}`)))
	assert.True(t, held, "without a source value, the key is the data's SHA-256")

	// A control message that goes through keeps the locks.
	out, err := lock.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.True(t, out[0].IsControl())

	// A failure releases every lock taken since the last control message.
	seen = nil
	_, err = run(`{"id":3}`)
	require.NoError(t, err)
	_, err = run(`{"id":4,"fail":true}`)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "meta_kv_store_lock", te.Type)
	for key, want := range map[string]bool{"p:1": true, "p:2": true, "p:3": false, "p:4": false} {
		_, held, _ := store.Get(ctx, key)
		assert.Equal(t, want, held, key)
	}
	_, _ = run(`{"id":3}`)
	assert.Equal(t, []string{`{"id":3}`, `{"id":4,"fail":true}`, `{"id":3}`}, seen, "released keys run again")

	// Locks expire with their TTL.
	clk.Advance(time.Minute)
	seen = nil
	_, _ = run(`{"id":1}`)
	assert.Equal(t, []string{`{"id":1}`}, seen)
}

func TestMetaKVStoreLockJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := &Env{Transforms: enrichRegistry(t), KVStores: &kvstore.Stores{}}
	cfg := func(s string) weir.Config {
		var c weir.Config
		require.NoError(t, json.Unmarshal([]byte(s), &c))
		return c
	}
	lock := `{"type":"meta_kv_store_lock","settings":{"object":{"source_key":"id"},"kv_store":{"type":"memory"},"transforms":[{"type":"utility_drop"}]}}`
	a, err := env.New(ctx, cfg(lock))
	require.NoError(t, err)
	b, err := env.New(ctx, cfg(lock))
	require.NoError(t, err)
	out, err := a.Transform(ctx, weir.NewMessage([]byte(`{"id":1}`)))
	require.NoError(t, err)
	assert.Empty(t, out, "locked: the nested utility_drop ran")
	out, err = b.Transform(ctx, weir.NewMessage([]byte(`{"id":1}`)))
	require.NoError(t, err)
	assert.Len(t, out, 1, "a second lock of the same config shares the store: already locked")

	for _, tt := range []struct{ cfg, field string }{
		{`{"type":"meta_kv_store_lock","settings":{"kv_store":{"type":"memory"}}}`, "transforms"},
		{`{"type":"meta_kv_store_lock","settings":{"transforms":[{"type":"utility_drop"}]}}`, "kv_store"},
		{`{"type":"meta_kv_store_lock","settings":{"kv_store":{"type":"text_file","settings":{"file":"x"}},"transforms":[{"type":"utility_drop"}]}}`, "kv_store.settings.file"},
		{`{"type":"meta_kv_store_lock","settings":{"ttl_offset":"x","kv_store":{"type":"memory"},"transforms":[{"type":"utility_drop"}]}}`, "ttl_offset"},
		{`{"type":"meta_kv_store_lock","settings":{"kv_store":{"type":"memory"},"transforms":[{"type":"nope"}]}}`, "transforms.0"},
	} {
		_, err := env.New(ctx, cfg(tt.cfg))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, tt.cfg)
		assert.Equal(t, tt.field, ce.Field, tt.cfg)
	}
}

func TestMetaKVStoreLockReadOnlyStore(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "l.txt")
	require.NoError(t, os.WriteFile(p, []byte("a\n"), 0o644))
	_, err := NewMetaKVStoreLock(context.Background(), nil, MetaKVStoreLockConfig{
		Transforms: []Transformer{Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) { return []*weir.Message{m}, nil })},
		KVStore:    weir.Config{Type: "text_file", Settings: map[string]any{"file": p}},
	})
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "kv_store", ce.Field)
}
