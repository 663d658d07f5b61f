// Package kvstore holds the key-value stores of Substation configs: the
// stores that the enrich_kv_store_* transforms read and write and
// meta_kv_store_lock locks in. A store is described in a transform's
// settings by a Substation kv_store config:
//
//	{"type": "memory", "settings": {"capacity": 1024}}
//	{"type": "csv_file", "settings": {"file": "products.csv", "column": "product", "delimiter": ",", "header": "product,price"}}
//	{"type": "json_file", "settings": {"file": "prices.json", "is_lines": false}}
//	{"type": "text_file", "settings": {"file": "admins.txt"}}
//	{"type": "mmdb", "settings": {"file": "GeoLite2-ASN.mmdb"}}
//
// and built by [New] from the types of a [Registry]; Go callers may give a
// store of their own instead. A file is a local path, an http:// or
// https:// URL, or a URL that an opener of Env.Files serves (s3://bucket/key
// with package enrich/awsenrich), read once when the store is built and
// again on Reset. The "aws_dynamodb" type, which keeps items in a DynamoDB
// table shared by every process using it, is in package kvstore/dynamokv so
// that programs without it do not link the AWS SDK.
//
// Within a pipeline, transforms whose kv_store configs are identical share
// one store, as in Substation (where the sharing is process-wide): an
// enrich_kv_store_set_add fills the store an enrich_kv_store_item_get
// reads. A pipeline's stores are kept in a [Stores]. Stores used for locks
// are kept apart from those used for items, again as in Substation.
package kvstore

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/internal/registry"
)

// Store is a key-value store whose values are JSON text: the bytes
// [weir.Message.Set] writes for the value, so that an enrich transform can
// write them into a message as they are.
//
// Get returns the value of key and true, or false when the store has no
// value for key; an error means the store could not answer. The returned
// slice must not be modified. Get may be called concurrently.
//
// A store may also implement [Writer], [SetAdder], [Locker] and
// [Resetter]; transforms that need one of those check for it when they
// are built. The aws_dynamodb store of package kvstore/dynamokv implements
// all but Resetter.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
}

// Writer is a [Store] that can be written. Set stores value (JSON text,
// which the store may keep: the caller must not modify it) under key until
// expires; a zero expires means no expiry, one in the past that the value
// is expired at once.
type Writer interface {
	Store
	Set(ctx context.Context, key string, value []byte, expires time.Time) error
}

// SetAdder is a [Store] that keeps sets: SetAdd adds value (JSON text;
// each element of a JSON array) to the set under key, a JSON array, unless
// it holds it already, and sets the set's expiry as [Writer.Set] does.
type SetAdder interface {
	Store
	SetAdd(ctx context.Context, key string, value []byte, expires time.Time) error
}

// Locker is a store that can hold locks. Lock takes the lock key until
// expires (zero: until unlocked) and reports true, or reports false if the
// lock is held and not expired. Unlock releases it; releasing a lock not
// held is not an error. Both must be atomic across every user of the store.
type Locker interface {
	Lock(ctx context.Context, key string, expires time.Time) (bool, error)
	Unlock(ctx context.Context, key string) error
}

// Resetter is a store that can return to its initial state: a file store
// reads its file again, a memory store forgets every item. Transforms with
// close_kv_store set reset their store on each control message.
type Resetter interface {
	Reset(ctx context.Context) error
}

// Env carries what building a store needs. The zero value (and a nil
// *Env) builds the built-in types, reads local files and http(s) URLs, and
// uses the system clock.
type Env struct {
	// Types resolves kv_store types. Nil means [Builtins].
	Types *Registry
	// Files fetches the files of file-backed stores.
	Files enrich.Source
	// AWS configures stores that call AWS (aws_dynamodb): nil for the
	// SDK's default chain, an aws.Config, or a value of package awsenv.
	AWS any
	// HTTPClient, if set, is used where Files.HTTPClient is nil.
	HTTPClient *http.Client
	// Now is the clock of stores that read it; nil means time.Now.
	Now func() time.Time
}

// types returns the registry to use.
func (e *Env) types() *Registry {
	if e != nil && e.Types != nil {
		return e.Types
	}
	return builtins()
}

// Source returns the file source stores fetch their files with: Files,
// with the Env's HTTP client and AWS configuration where Files has none.
func (e *Env) Source() enrich.Source {
	if e == nil {
		return enrich.Source{}
	}
	s := e.Files
	if s.HTTPClient == nil {
		s.HTTPClient = e.HTTPClient
	}
	if s.AWS == nil {
		s.AWS = e.AWS
	}
	return s
}

// Factory builds a store from its kv_store config. It returns
// *weir.ConfigErrors whose Field is relative to the config ("settings.file").
type Factory func(ctx context.Context, env *Env, cfg weir.Config) (Store, error)

// Registry maps kv_store type names to factories. The zero value is empty
// and ready to use; [Builtins] returns one with every built-in type. It is
// safe for concurrent use once registration is done.
type Registry struct {
	m registry.Map[Factory]
}

// Builtins returns a new Registry with the built-in types: memory,
// csv_file, json_file, text_file and mmdb.
func Builtins() *Registry {
	r := &Registry{}
	for name, f := range map[string]Factory{
		"memory":    newMemory,
		"csv_file":  newCSVFile,
		"json_file": newJSONFile,
		"text_file": newTextFile,
		"mmdb":      newMMDBStore,
	} {
		if err := r.Register(name, f); err != nil {
			panic(err) // two built-ins share a name: a bug in this package
		}
	}
	return r
}

// builtinsOnce holds the shared registry of built-ins.
var builtinsOnce struct {
	once sync.Once
	r    *Registry
}

func builtins() *Registry {
	builtinsOnce.once.Do(func() { builtinsOnce.r = Builtins() })
	return builtinsOnce.r
}

// Register adds a type. Registering a name twice is an error.
func (r *Registry) Register(name string, f Factory) error {
	return r.m.Register("kv_store", name, f, f == nil)
}

// Types returns the registered type names, sorted.
func (r *Registry) Types() []string { return r.m.Names() }

// Lookup returns the factory registered under name.
func (r *Registry) Lookup(name string) (Factory, bool) { return r.m.Lookup(name) }

// New builds the store a Substation kv_store config describes, with a type
// of env's registry (nil env: the built-ins). Files are read now. Errors
// are *weir.ConfigErrors naming the setting at fault ("settings.file", …);
// a file that cannot be loaded is one too, wrapping the
// *enrich.TableError.
//
// A memory store is a [CacheStore] over a [cache.Memory] of the given
// capacity (default 1024); the file stores are read-only [TableStore]s.
func New(ctx context.Context, env *Env, cfg weir.Config) (Store, error) {
	if cfg.Type == "" {
		return nil, &weir.ConfigError{Field: "type", Err: weir.ErrMissingSetting}
	}
	r := env.types()
	f, ok := r.Lookup(cfg.Type)
	if !ok {
		err := fmt.Errorf("%w %q", weir.ErrUnknownType, cfg.Type)
		if s := registry.Suggest(cfg.Type, r.Types()); s != "" {
			err = fmt.Errorf("%w; did you mean %q?", err, s)
		} else if cfg.Type == "aws_dynamodb" {
			err = fmt.Errorf("%w (it is in package kvstore/dynamokv; the weir command and package transform/all register it)", err)
		}
		return nil, &weir.ConfigError{Field: "type", Err: err}
	}
	if env == nil {
		env = &Env{}
	}
	return f(ctx, env, cfg)
}

func newMemory(_ context.Context, _ *Env, cfg weir.Config) (Store, error) {
	var s struct {
		Capacity int `json:"capacity"`
	}
	if err := cfg.Decode(&s); err != nil {
		return nil, SettingsError(err)
	}
	if s.Capacity < 0 {
		return nil, &weir.ConfigError{Field: "settings.capacity", Err: fmt.Errorf("%d is negative", s.Capacity)}
	}
	return NewCacheStore(CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{MaxItems: s.Capacity})}), nil
}

func newCSVFile(_ context.Context, env *Env, cfg weir.Config) (Store, error) {
	var s struct {
		File      string `json:"file"`
		Column    string `json:"column"`
		Delimiter string `json:"delimiter"`
		Header    string `json:"header"`
		FetchSettings
	}
	if err := cfg.Decode(&s); err != nil {
		return nil, SettingsError(err)
	}
	src, err := s.FetchSettings.apply(env.Source())
	if err != nil {
		return nil, err
	}
	if s.Column == "" {
		return nil, &weir.ConfigError{Field: "settings.column", Err: weir.ErrMissingSetting}
	}
	tc := enrich.TableConfig{Path: s.File, Format: enrich.CSV, Column: s.Column, Source: src}
	if s.Delimiter != "" {
		r, _ := utf8.DecodeRuneInString(s.Delimiter)
		if r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
			return nil, &weir.ConfigError{Field: "settings.delimiter", Err: fmt.Errorf("%q cannot separate CSV values", s.Delimiter)}
		}
		tc.Delimiter = r
	}
	if s.Header != "" {
		r := csv.NewReader(strings.NewReader(s.Header))
		if tc.Delimiter != 0 {
			r.Comma = tc.Delimiter
		}
		h, err := r.Read()
		if err != nil {
			return nil, &weir.ConfigError{Field: "settings.header", Err: err}
		}
		tc.Header = h
	}
	return newTableStore(s.File, tc)
}

func newJSONFile(_ context.Context, env *Env, cfg weir.Config) (Store, error) {
	var s struct {
		File    string `json:"file"`
		IsLines bool   `json:"is_lines"`
		FetchSettings
	}
	if err := cfg.Decode(&s); err != nil {
		return nil, SettingsError(err)
	}
	src, err := s.FetchSettings.apply(env.Source())
	if err != nil {
		return nil, err
	}
	tc := enrich.TableConfig{Path: s.File, Format: enrich.JSON, Value: Reencode, Source: src}
	if s.IsLines {
		tc.Format = enrich.JSONLines
	}
	return newTableStore(s.File, tc)
}

func newTextFile(_ context.Context, env *Env, cfg weir.Config) (Store, error) {
	var s struct {
		File string `json:"file"`
		FetchSettings
	}
	if err := cfg.Decode(&s); err != nil {
		return nil, SettingsError(err)
	}
	src, err := s.FetchSettings.apply(env.Source())
	if err != nil {
		return nil, err
	}
	return newTableStore(s.File, enrich.TableConfig{Path: s.File, Format: enrich.Text, Source: src})
}

// Stores holds the KV stores of one pipeline, one per distinct kv_store
// config (and use: items or locks), built with Env when a transform first
// asks for it. The zero value is empty and ready to use; set Env before
// first use. It is safe for concurrent use. Whoever makes a Stores closes
// it: a transform.Pipeline closes the one it made.
type Stores struct {
	// Env is what the stores are built with.
	Env Env

	mu     sync.Mutex
	stores map[string]Store
}

// Store returns the store cfg describes, building it with [New] the
// first time.
func (s *Stores) Store(ctx context.Context, cfg weir.Config) (Store, error) {
	return s.get(ctx, "item", cfg)
}

// LockStore is Store for stores used for locks, which are kept apart from
// those used for items even when their configs are the same.
func (s *Stores) LockStore(ctx context.Context, cfg weir.Config) (Store, error) {
	return s.get(ctx, "lock", cfg)
}

func (s *Stores) get(ctx context.Context, use string, cfg weir.Config) (Store, error) {
	sig, err := json.Marshal(cfg) // map keys sorted: a canonical signature
	if err != nil {
		return nil, &weir.ConfigError{Err: err}
	}
	key := use + " " + string(sig)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stores[key]; ok {
		return st, nil
	}
	st, err := New(ctx, &s.Env, cfg)
	if err != nil {
		return nil, err
	}
	if s.stores == nil {
		s.stores = make(map[string]Store)
	}
	s.stores[key] = st
	return st, nil
}

// Close closes every store that implements io.Closer and forgets them all.
func (s *Stores) Close() error {
	s.mu.Lock()
	stores := s.stores
	s.stores = nil
	s.mu.Unlock()
	var errs []error
	for _, st := range stores {
		if c, ok := st.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// SettingsError puts "settings." in front of the setting a
// *weir.ConfigError names, for factories whose errors name settings
// relative to the settings object; other errors are returned as they are.
func SettingsError(err error) error {
	var ce *weir.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	field := "settings"
	if ce.Field != "" {
		field += "." + ce.Field
	}
	return &weir.ConfigError{Field: field, Err: ce.Err}
}

// newTableStore checks the file location (a path or URL) and loads the
// table.
func newTableStore(file string, tc enrich.TableConfig) (Store, error) {
	if file == "" {
		return nil, &weir.ConfigError{Field: "settings.file", Err: weir.ErrMissingSetting}
	}
	t, err := enrich.NewTable(tc)
	if err != nil {
		return nil, &weir.ConfigError{Field: "settings.file", Err: err}
	}
	return NewTableStore(t), nil
}

// Encode returns the JSON text [weir.Message.Set] writes for v: the
// form a KV store keeps values in, as Substation keeps the Go value and
// writes it with its SetValue.
func Encode(v any) ([]byte, error) {
	m := weir.NewMessage([]byte(`{}`))
	if err := m.Set("v", v); err != nil {
		return nil, err
	}
	return []byte(m.Get("v").Raw()), nil
}

// Reencode re-encodes the JSON text raw as Substation writes the value
// it decodes to (numbers as float64, objects with sorted keys).
func Reencode(raw []byte) ([]byte, error) {
	return Encode(gjson.ParseBytes(raw).Value())
}

// ---------------------------------------------------------------------------
// TableStore

// TableStore is a read-only [Store] over an [enrich.Table]; it is what
// the csv_file, json_file and text_file kv_store types build. The values
// are the table's. A text (set) table answers every key: true for its
// members, false for the rest, as Substation's text_file store does. Reset
// reloads the table's file.
type TableStore struct {
	t   *enrich.Table
	set bool
}

// NewTableStore returns a store over t.
func NewTableStore(t *enrich.Table) *TableStore {
	return &TableStore{t: t, set: t.Format() == enrich.Text}
}

// Get implements [Store]. It never returns an error.
func (s *TableStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, ok := s.t.Get(key)
	if !ok && s.set {
		return []byte("false"), true, nil
	}
	return v, ok, nil
}

// Reset implements [Resetter]: it reloads the table. If that fails the
// table keeps its contents.
func (s *TableStore) Reset(context.Context) error { return s.t.Reload() }

// ---------------------------------------------------------------------------
// CacheStore

// CacheStoreConfig configures [NewCacheStore].
type CacheStoreConfig struct {
	// Cache holds the items. Required. Locks need it to implement
	// [cache.Adder], as [cache.Memory] does.
	Cache cache.Cache
	// Now returns the current time, to turn expiry times into TTLs; nil
	// means time.Now. Tests set it, with the cache's clock.
	Now func() time.Time
}

// CacheStore is a [Store] over a [cache.Cache]: it implements
// [Writer], [SetAdder], [Locker] and (over a [cache.Memory])
// [Resetter]. It is what the memory kv_store type builds.
//
// SetAdd reads, changes and writes the set under a mutex of the store, so
// it is atomic only among the users of this CacheStore: over a cache
// shared by several processes, use a store with an atomic set-add instead.
// Locks rely on the cache's Add, atomic for every user of the cache.
type CacheStore struct {
	c     cache.Cache
	now   func() time.Time
	write sync.Mutex // serializes the writes, so SetAdd is atomic
}

// NewCacheStore returns a store over cfg.Cache. It panics if Cache is
// nil.
func NewCacheStore(cfg CacheStoreConfig) *CacheStore {
	if cfg.Cache == nil {
		panic("kvstore: NewCacheStore: nil cache")
	}
	s := &CacheStore{c: cfg.Cache, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// ttl turns an expiry time into a TTL; expired reports that it has passed.
func (s *CacheStore) ttl(expires time.Time) (ttl time.Duration, expired bool) {
	if expires.IsZero() {
		return 0, false
	}
	ttl = expires.Sub(s.now())
	return ttl, ttl <= 0
}

// Get implements [Store].
func (s *CacheStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return s.c.Get(ctx, key)
}

// Set implements [Writer].
func (s *CacheStore) Set(ctx context.Context, key string, value []byte, expires time.Time) error {
	s.write.Lock()
	defer s.write.Unlock()
	ttl, expired := s.ttl(expires)
	if expired {
		return s.c.Delete(ctx, key)
	}
	return s.c.Set(ctx, key, value, ttl)
}

// SetAdd implements [SetAdder]. Values are compared by their JSON text
// once decoded and re-encoded (so 1 and 1.0 are the same element); the set
// is kept as Substation writes a list, a JSON array encoded by
// encoding/json. A value under key that is not an array is replaced.
func (s *CacheStore) SetAdd(ctx context.Context, key string, value []byte, expires time.Time) error {
	s.write.Lock()
	defer s.write.Unlock()
	ttl, expired := s.ttl(expires)
	if expired {
		return s.c.Delete(ctx, key)
	}
	var elems []any
	seen := map[string]bool{}
	add := func(r gjson.Result) error {
		v := r.Value()
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			elems = append(elems, v)
		}
		return nil
	}
	old, ok, err := s.c.Get(ctx, key)
	if err != nil {
		return err
	}
	if r := gjson.ParseBytes(old); ok && r.IsArray() {
		for _, e := range r.Array() {
			if err := add(e); err != nil {
				return err
			}
		}
	}
	if r := gjson.ParseBytes(value); r.IsArray() {
		for _, e := range r.Array() {
			if err := add(e); err != nil {
				return err
			}
		}
	} else if err := add(r); err != nil {
		return err
	}
	if elems == nil {
		elems = []any{}
	}
	set, err := json.Marshal(elems)
	if err != nil {
		return err
	}
	return s.c.Set(ctx, key, set, ttl)
}

// errNoAdd is the error of locking in a cache that is not a cache.Adder.
var errNoAdd = errors.New("kvstore: CacheStore: locks need a cache that implements cache.Adder")

// Lock implements [Locker]. A lock whose expiry has passed is taken at
// once and not stored.
func (s *CacheStore) Lock(ctx context.Context, key string, expires time.Time) (bool, error) {
	a, ok := s.c.(cache.Adder)
	if !ok {
		return false, errNoAdd
	}
	ttl, expired := s.ttl(expires)
	if expired {
		return true, nil
	}
	return a.Add(ctx, key, nil, ttl)
}

// Unlock implements [Locker].
func (s *CacheStore) Unlock(ctx context.Context, key string) error {
	return s.c.Delete(ctx, key)
}

// Reset implements [Resetter] over a [cache.Memory], which it clears;
// over other caches it does nothing.
func (s *CacheStore) Reset(context.Context) error {
	if m, ok := s.c.(*cache.Memory); ok {
		m.Clear()
	}
	return nil
}
