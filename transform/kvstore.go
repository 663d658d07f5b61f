package transform

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich"
)

// KV stores: the key-value stores that the enrich_kv_store_* transforms
// read and write and meta_kv_store_lock locks in. A KV store is described
// in a transform's settings by a Substation kv_store config:
//
//	{"type": "memory", "settings": {"capacity": 1024}}
//	{"type": "csv_file", "settings": {"file": "products.csv", "column": "product", "delimiter": ",", "header": "product,price"}}
//	{"type": "json_file", "settings": {"file": "prices.json", "is_lines": false}}
//	{"type": "text_file", "settings": {"file": "admins.txt"}}
//
// and built by [NewKVStore]; Go callers may give a store of their own
// instead (the Store field of each config). A file is a local path, an
// http:// or https:// URL, or s3://bucket/key, read once when the store is
// built and again on Reset (see [enrich.Source]: S3 takes its region,
// endpoint and credentials from the AWS_* environment variables); "mmdb"
// reads a MaxMind database
// ({"file": "GeoLite2-ASN.mmdb"}). "aws_dynamodb" keeps items in a
// DynamoDB table shared by every process using it ([DynamoDBKVStore]).
//
// Within a pipeline, transforms whose kv_store configs are identical share
// one store, as in Substation (where the sharing is process-wide): an
// enrich_kv_store_set_add fills the store an enrich_kv_store_item_get
// reads. The pipeline's stores are kept in a [KVStores] carried by the
// context the transforms are built with ([WithKVStores]); without one, each
// transform builds a store of its own. Stores used for locks are kept apart
// from those used for items, again as in Substation.

// KVStore is a key-value store whose values are JSON text: the bytes
// [weir.Message.Set] writes for the value, so that an enrich transform can
// write them into a message as they are.
//
// Get returns the value of key and true, or false when the store has no
// value for key; an error means the store could not answer. The returned
// slice must not be modified. Get may be called concurrently.
//
// A store may also implement [KVWriter], [KVSetAdder], [KVLocker] and
// [KVResetter]; transforms that need one of those check for it when they
// are built. [DynamoDBKVStore] implements all but KVResetter.
type KVStore interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
}

// KVWriter is a [KVStore] that can be written. Set stores value (JSON text,
// which the store may keep: the caller must not modify it) under key until
// expires; a zero expires means no expiry, one in the past that the value
// is expired at once.
type KVWriter interface {
	KVStore
	Set(ctx context.Context, key string, value []byte, expires time.Time) error
}

// KVSetAdder is a [KVStore] that keeps sets: SetAdd adds value (JSON text;
// each element of a JSON array) to the set under key, a JSON array, unless
// it holds it already, and sets the set's expiry as [KVWriter.Set] does.
type KVSetAdder interface {
	KVStore
	SetAdd(ctx context.Context, key string, value []byte, expires time.Time) error
}

// KVLocker is a store that can hold locks. Lock takes the lock key until
// expires (zero: until unlocked) and reports true, or reports false if the
// lock is held and not expired. Unlock releases it; releasing a lock not
// held is not an error. Both must be atomic across every user of the store.
type KVLocker interface {
	Lock(ctx context.Context, key string, expires time.Time) (bool, error)
	Unlock(ctx context.Context, key string) error
}

// KVResetter is a store that can return to its initial state: a file store
// reads its file again, a memory store forgets every item. Transforms with
// close_kv_store set reset their store on each control message.
type KVResetter interface {
	Reset(ctx context.Context) error
}

// ---------------------------------------------------------------------------
// KVStores: the stores of a pipeline

// KVStores holds the KV stores of one pipeline, one per distinct kv_store
// config (and use: items or locks), built when a transform first asks for
// it. The zero value is empty and ready to use; it is safe for concurrent
// use.
//
// Build a pipeline's transforms with a context from [WithKVStores] so that
// they share stores; a fresh KVStores gives the pipeline fresh in-memory
// stores.
type KVStores struct {
	mu     sync.Mutex
	stores map[string]KVStore
}

// Store returns the store cfg describes, building it with [NewKVStore] the
// first time.
func (s *KVStores) Store(ctx context.Context, cfg weir.Config) (KVStore, error) {
	return s.get(ctx, "item", cfg)
}

// LockStore is Store for stores used for locks, which are kept apart from
// those used for items even when their configs are the same.
func (s *KVStores) LockStore(ctx context.Context, cfg weir.Config) (KVStore, error) {
	return s.get(ctx, "lock", cfg)
}

func (s *KVStores) get(ctx context.Context, use string, cfg weir.Config) (KVStore, error) {
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
	st, err := NewKVStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if s.stores == nil {
		s.stores = make(map[string]KVStore)
	}
	s.stores[key] = st
	return st, nil
}

// Close closes every store that implements io.Closer and forgets them all.
func (s *KVStores) Close() error {
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

// kvStoreFor returns the store a transform uses: given, else from the
// pipeline's KVStores, else a new one, which the transform owns (own is
// then true: the transform closes it). lock says it is for locks.
func kvStoreFor(ctx context.Context, env *Env, given KVStore, cfg weir.Config, lock bool) (st KVStore, own bool, err error) {
	if given != nil {
		return given, false, nil
	}
	if cfg.Type == "" {
		return nil, false, &weir.ConfigError{Field: "kv_store", Err: errKVRequired}
	}
	switch s := env.kvStores(); {
	case s == nil:
		st, err = NewKVStore(ctx, cfg)
		own = true
	case lock:
		st, err = s.LockStore(ctx, cfg)
	default:
		st, err = s.Store(ctx, cfg)
	}
	return st, own && err == nil, kvFieldErr(err)
}

// ownedStore closes a KV store that a transform made for itself.
type ownedStore struct {
	st   KVStore // nil when the store is not the transform's
	once sync.Once
	err  error
}

// Close closes the store if the transform owns it and it implements
// io.Closer; it closes it once, however often it is called.
func (o *ownedStore) Close() error {
	o.once.Do(func() {
		if c, ok := o.st.(io.Closer); ok {
			o.err = c.Close()
		}
	})
	return o.err
}

func newOwnedStore(st KVStore, own bool) *ownedStore {
	if !own {
		st = nil
	}
	return &ownedStore{st: st}
}

// kvFieldErr puts "kv_store." in front of the setting a config error names.
func kvFieldErr(err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) && ce.Type == "" {
		return &weir.ConfigError{Field: strings.TrimSuffix("kv_store."+ce.Field, "."), Err: ce.Err}
	}
	return err
}

var errKVRequired = errors.New("required setting is missing")

// ---------------------------------------------------------------------------
// Building stores from kv_store configs

// NewKVStore builds the KV store a Substation kv_store config describes:
// of type memory, csv_file, json_file, text_file, mmdb or aws_dynamodb
// (see the package comment on KV stores). Files are read now. Errors are *weir.ConfigErrors
// naming the setting at fault ("settings.file", …); a file that cannot be
// loaded is one too, wrapping the *enrich.TableError.
//
// A memory store is a [CacheKVStore] over a [cache.Memory] of the given
// capacity (default 1024); the file stores are read-only [TableKVStore]s.
func NewKVStore(_ context.Context, cfg weir.Config) (KVStore, error) {
	switch cfg.Type {
	case "memory":
		var s struct {
			Capacity int `json:"capacity"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, kvSettingsErr(err)
		}
		if s.Capacity < 0 {
			return nil, &weir.ConfigError{Field: "settings.capacity", Err: fmt.Errorf("%d is negative", s.Capacity)}
		}
		return NewCacheKVStore(CacheKVStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{MaxItems: s.Capacity})}), nil
	case "csv_file":
		var s struct {
			File      string `json:"file"`
			Column    string `json:"column"`
			Delimiter string `json:"delimiter"`
			Header    string `json:"header"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, kvSettingsErr(err)
		}
		if s.Column == "" {
			return nil, &weir.ConfigError{Field: "settings.column", Err: errKVRequired}
		}
		tc := enrich.TableConfig{Path: s.File, Format: enrich.CSV, Column: s.Column}
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
		return newTableKVStore(s.File, tc)
	case "json_file":
		var s struct {
			File    string `json:"file"`
			IsLines bool   `json:"is_lines"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, kvSettingsErr(err)
		}
		tc := enrich.TableConfig{Path: s.File, Format: enrich.JSON, Value: kvReencode}
		if s.IsLines {
			tc.Format = enrich.JSONLines
		}
		return newTableKVStore(s.File, tc)
	case "text_file":
		var s struct {
			File string `json:"file"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, kvSettingsErr(err)
		}
		return newTableKVStore(s.File, enrich.TableConfig{Path: s.File, Format: enrich.Text})
	case "mmdb":
		return newMMDBKVStore(cfg)
	case "aws_dynamodb":
		return newDynamoDBKVStore(cfg)
	case "":
		return nil, &weir.ConfigError{Field: "type", Err: errKVRequired}
	default:
		return nil, &weir.ConfigError{Field: "type", Err: fmt.Errorf("%w %q", weir.ErrUnknownType, cfg.Type)}
	}
}

// kvSettingsErr names "settings." in a decoding error.
func kvSettingsErr(err error) error {
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

// newTableKVStore checks the file location (a path or URL) and loads the
// table.
func newTableKVStore(file string, tc enrich.TableConfig) (KVStore, error) {
	if file == "" {
		return nil, &weir.ConfigError{Field: "settings.file", Err: errKVRequired}
	}
	t, err := enrich.NewTable(tc)
	if err != nil {
		return nil, &weir.ConfigError{Field: "settings.file", Err: err}
	}
	return NewTableKVStore(t), nil
}

// kvEncode returns the JSON text [weir.Message.Set] writes for v: the
// form a KV store keeps values in, as Substation keeps the Go value and
// writes it with its SetValue.
func kvEncode(v any) ([]byte, error) {
	m := weir.NewMessage([]byte(`{}`))
	if err := m.Set("v", v); err != nil {
		return nil, err
	}
	return []byte(m.Get("v").Raw()), nil
}

// kvReencode re-encodes the JSON text raw as Substation writes the value
// it decodes to (numbers as float64, objects with sorted keys).
func kvReencode(raw []byte) ([]byte, error) {
	return kvEncode(gjson.ParseBytes(raw).Value())
}

// ---------------------------------------------------------------------------
// TableKVStore

// TableKVStore is a read-only [KVStore] over an [enrich.Table]; it is what
// the csv_file, json_file and text_file kv_store types build. The values
// are the table's. A text (set) table answers every key: true for its
// members, false for the rest, as Substation's text_file store does. Reset
// reloads the table's file.
type TableKVStore struct {
	t   *enrich.Table
	set bool
}

// NewTableKVStore returns a store over t.
func NewTableKVStore(t *enrich.Table) *TableKVStore {
	return &TableKVStore{t: t, set: t.Format() == enrich.Text}
}

// Get implements [KVStore]. It never returns an error.
func (s *TableKVStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, ok := s.t.Get(key)
	if !ok && s.set {
		return []byte("false"), true, nil
	}
	return v, ok, nil
}

// Reset implements [KVResetter]: it reloads the table. If that fails the
// table keeps its contents.
func (s *TableKVStore) Reset(context.Context) error { return s.t.Reload() }

// ---------------------------------------------------------------------------
// CacheKVStore

// CacheKVStoreConfig configures [NewCacheKVStore].
type CacheKVStoreConfig struct {
	// Cache holds the items. Required. Locks need it to implement
	// [cache.Adder], as [cache.Memory] does.
	Cache cache.Cache
	// Now returns the current time, to turn expiry times into TTLs; nil
	// means time.Now. Tests set it, with the cache's clock.
	Now func() time.Time
}

// CacheKVStore is a [KVStore] over a [cache.Cache]: it implements
// [KVWriter], [KVSetAdder], [KVLocker] and (over a [cache.Memory])
// [KVResetter]. It is what the memory kv_store type builds.
//
// SetAdd reads, changes and writes the set under a mutex of the store, so
// it is atomic only among the users of this CacheKVStore: over a cache
// shared by several processes, use a store with an atomic set-add instead.
// Locks rely on the cache's Add, atomic for every user of the cache.
type CacheKVStore struct {
	c     cache.Cache
	now   func() time.Time
	write sync.Mutex // serializes the writes, so SetAdd is atomic
}

// NewCacheKVStore returns a store over cfg.Cache. It panics if Cache is
// nil.
func NewCacheKVStore(cfg CacheKVStoreConfig) *CacheKVStore {
	if cfg.Cache == nil {
		panic("transform: NewCacheKVStore: nil cache")
	}
	s := &CacheKVStore{c: cfg.Cache, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// ttl turns an expiry time into a TTL; expired reports that it has passed.
func (s *CacheKVStore) ttl(expires time.Time) (ttl time.Duration, expired bool) {
	if expires.IsZero() {
		return 0, false
	}
	ttl = expires.Sub(s.now())
	return ttl, ttl <= 0
}

// Get implements [KVStore].
func (s *CacheKVStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return s.c.Get(ctx, key)
}

// Set implements [KVWriter].
func (s *CacheKVStore) Set(ctx context.Context, key string, value []byte, expires time.Time) error {
	s.write.Lock()
	defer s.write.Unlock()
	ttl, expired := s.ttl(expires)
	if expired {
		return s.c.Delete(ctx, key)
	}
	return s.c.Set(ctx, key, value, ttl)
}

// SetAdd implements [KVSetAdder]. Values are compared by their JSON text
// once decoded and re-encoded (so 1 and 1.0 are the same element); the set
// is kept as Substation writes a list, a JSON array encoded by
// encoding/json. A value under key that is not an array is replaced.
func (s *CacheKVStore) SetAdd(ctx context.Context, key string, value []byte, expires time.Time) error {
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
var errNoAdd = errors.New("transform: CacheKVStore: locks need a cache that implements cache.Adder")

// Lock implements [KVLocker]. A lock whose expiry has passed is taken at
// once and not stored.
func (s *CacheKVStore) Lock(ctx context.Context, key string, expires time.Time) (bool, error) {
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

// Unlock implements [KVLocker].
func (s *CacheKVStore) Unlock(ctx context.Context, key string) error {
	return s.c.Delete(ctx, key)
}

// Reset implements [KVResetter] over a [cache.Memory], which it clears;
// over other caches it does nothing.
func (s *CacheKVStore) Reset(context.Context) error {
	if m, ok := s.c.(*cache.Memory); ok {
		m.Clear()
	}
	return nil
}

// ---------------------------------------------------------------------------
// Helpers shared by the KV transforms

// KVObjectSettings is the "object" setting of enrich_kv_store_item_set,
// enrich_kv_store_set_add and meta_kv_store_lock: [ObjectSettings] plus
// ttl_key.
type KVObjectSettings struct {
	// SourceKey is the path of the item's key.
	SourceKey string `json:"source_key,omitempty"`
	// TargetKey is the path of the item's value (what is stored).
	TargetKey string `json:"target_key,omitempty"`
	// BatchKey is accepted for Substation configs and ignored.
	BatchKey string `json:"batch_key,omitempty"`
	// TTLKey is the path of the item's expiry time, a Unix time (seconds,
	// or finer: digits past the tenth are dropped). Optional.
	TTLKey string `json:"ttl_key,omitempty"`
}

// kvKey returns the store key for a message value: prefix:value.
func kvKey(prefix string, v weir.Value) string {
	if prefix == "" {
		return v.String()
	}
	return prefix + ":" + v.String()
}

// kvTTL is the expiry setting of the KV transforms that write.
type kvTTL struct {
	key    string // ttl_key
	offset int64  // ttl_offset, in whole seconds
	now    func() time.Time
}

// newKVTTL parses ttl_offset.
func newKVTTL(key, offset string, now func() time.Time) (kvTTL, error) {
	t := kvTTL{key: key, now: now}
	if t.now == nil {
		t.now = time.Now
	}
	if offset != "" {
		d, err := time.ParseDuration(offset)
		if err != nil {
			return kvTTL{}, &weir.ConfigError{Field: "ttl_offset", Err: err}
		}
		t.offset = int64(d / time.Second)
	}
	return t, nil
}

// expires returns the expiry time of msg's item, as Substation computes it
// (to the second): the Unix time at ttl_key plus ttl_offset; or without
// ttl_key, now plus ttl_offset; or none (zero). A computed time of 0 also
// means none.
func (t kvTTL) expires(msg *weir.Message) time.Time {
	var sec int64
	switch {
	case t.key != "":
		sec = truncateTTL(msg.Get(t.key)) + t.offset
	case t.offset != 0:
		sec = t.now().Unix() + t.offset
	}
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// truncateTTL reads a Unix time of any precision as seconds: the value's
// digits past the tenth are dropped (1696482368492 → 1696482368).
func truncateTTL(v weir.Value) int64 {
	n := len(v.String())
	if n <= 10 {
		return v.Int()
	}
	if n-10 > 18 {
		return 0
	}
	return v.Int() / int64(math.Pow10(n-10))
}

// sha256Hex returns the lowercase hex SHA-256 digest of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ---------------------------------------------------------------------------
// meta_kv_store_lock

// MetaKVStoreLockConfig configures [MetaKVStoreLock], the meta_kv_store_lock
// transform.
//
// In JSON the transforms are configs, built with [New]:
//
//	{"type": "meta_kv_store_lock", "settings": {
//	    "prefix": "eo_consumer", "ttl_offset": "1m",
//	    "kv_store": {"type": "memory", "settings": {"capacity": 1024}},
//	    "transforms": [{"type": "send_stdout"}]}}
type MetaKVStoreLockConfig struct {
	// Object.SourceKey is the path of the lock key; without it (or when the
	// message has no value there) the key is the hex SHA-256 digest of the
	// message data. Object.TTLKey is the path of a Unix time at which the
	// lock expires. TargetKey and BatchKey are ignored.
	Object KVObjectSettings
	// Prefix, if set, is put before the key, with a colon.
	Prefix string
	// TTLOffset is a Go duration ("1m"), counted in whole seconds: added to
	// the time at Object.TTLKey, or without it to the current time, to make
	// the lock's expiry. Without either the lock lasts until unlocked.
	TTLOffset string
	// Transforms run in sequence, like a [Chain], on the messages whose
	// lock was taken. At least one is required.
	Transforms []Transformer
	// KVStore describes the store that holds the locks, required unless
	// Store is set; the memory and aws_dynamodb types can hold locks.
	KVStore weir.Config
	// Store holds the locks instead of a store built from KVStore.
	Store KVLocker
	// ID names this transform in errors.
	ID string
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// MetaKVStoreLock runs its transforms on each message at most once while
// the message's lock lives: it takes a lock keyed by the message (or a
// value of it) in a KV store, runs the transforms if it got the lock, and
// passes the message unchanged if another message holds it. Sharing the
// store between processes (aws_dynamodb) makes that exactly-once
// across them. It is the meta_kv_store_lock transform.
//
// Locks are released only by expiry, or on failure: when the transforms
// (or the store) fail on a message, every lock taken since the last control
// message is released, because the messages of a batch the transforms held
// were not delivered, and the error is returned. A control message goes
// through the transforms; once it does without error, those locks are
// kept.
//
// A MetaKVStoreLock is safe for concurrent use if its transforms and store
// are; control messages are expected between data messages, not alongside
// them (as a stream delivers them).
type MetaKVStoreLock struct {
	id     string
	src    string
	prefix string
	ttl    kvTTL
	tfs    []Transformer
	locker KVLocker
	owned  *ownedStore

	mu   sync.Mutex
	keys []string // taken since the last control message
}

// metaKVStoreLockSettings is the JSON shape of meta_kv_store_lock's
// settings.
type metaKVStoreLockSettings struct {
	Object     KVObjectSettings `json:"object"`
	Prefix     string           `json:"prefix,omitempty"`
	TTLOffset  string           `json:"ttl_offset,omitempty"`
	Transforms []weir.Config    `json:"transforms"`
	KVStore    weir.Config      `json:"kv_store"`
	ID         string           `json:"id,omitempty"`
}

func buildMetaKVStoreLock(ctx context.Context, env *Env, s metaKVStoreLockSettings) (*MetaKVStoreLock, error) {
	ts, err := buildAll(ctx, env, "transforms", s.Transforms)
	if err != nil {
		return nil, err
	}
	return NewMetaKVStoreLock(ctx, env, MetaKVStoreLockConfig{
		Object: s.Object, Prefix: s.Prefix, TTLOffset: s.TTLOffset,
		Transforms: ts, KVStore: s.KVStore, ID: s.ID,
	})
}

// NewMetaKVStoreLock returns a MetaKVStoreLock. It takes ownership of the
// transforms (see [MetaKVStoreLock.Close]). The store is cfg.Store, or
// else the one cfg.KVStore describes, shared through the [KVStores] ctx
// carries if any (with the other lock stores of the same config).
func NewMetaKVStoreLock(ctx context.Context, env *Env, cfg MetaKVStoreLockConfig) (*MetaKVStoreLock, error) {
	const typ = "meta_kv_store_lock"
	if len(cfg.Transforms) == 0 {
		return nil, &weir.ConfigError{Type: typ, Field: "transforms", Err: errors.New("at least one transform is required")}
	}
	if err := checkTransformers("transforms", cfg.Transforms); err != nil {
		return nil, configErr(typ, err)
	}
	ttl, err := newKVTTL(cfg.Object.TTLKey, cfg.TTLOffset, cfg.Now)
	if err != nil {
		return nil, configErr(typ, err)
	}
	locker := cfg.Store
	owned := newOwnedStore(nil, false)
	if locker == nil {
		st, own, err := kvStoreFor(ctx, env, nil, cfg.KVStore, true)
		if err != nil {
			return nil, configErr(typ, err)
		}
		owned = newOwnedStore(st, own)
		var ok bool
		if locker, ok = st.(KVLocker); !ok {
			_ = owned.Close()
			return nil, &weir.ConfigError{Type: typ, Field: "kv_store", Err: errors.New("the store cannot hold locks (only memory stores can yet)")}
		}
	}
	return &MetaKVStoreLock{
		id: cfg.ID, src: cfg.Object.SourceKey, prefix: cfg.Prefix, ttl: ttl,
		tfs: append([]Transformer(nil), cfg.Transforms...), locker: locker, owned: owned,
	}, nil
}

// Transform implements [Transformer].
func (l *MetaKVStoreLock) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "meta_kv_store_lock"
	if msg.IsControl() {
		out, err := applyOne(ctx, l.tfs, msg)
		if err != nil {
			l.unlockAll(ctx)
			return nil, &Error{Type: typ, ID: l.id, Err: err}
		}
		l.mu.Lock()
		l.keys = l.keys[:0]
		l.mu.Unlock()
		return out, nil
	}

	var key string
	if v := l.lockValue(msg); v.Exists() {
		key = v.String()
	} else {
		key = sha256Hex(msg.Data())
	}
	if l.prefix != "" {
		key = l.prefix + ":" + key
	}
	ok, err := l.locker.Lock(ctx, key, l.ttl.expires(msg))
	if err != nil {
		l.unlockAll(ctx)
		return nil, &Error{Type: typ, ID: l.id, Err: err}
	}
	if !ok {
		return msg.AsSlice(), nil // done before (or being done)
	}
	l.mu.Lock()
	l.keys = append(l.keys, key)
	l.mu.Unlock()

	out, err := applyOne(ctx, l.tfs, msg)
	if err != nil {
		l.unlockAll(ctx)
		return nil, &Error{Type: typ, ID: l.id, Err: err}
	}
	return out, nil
}

// lockValue returns the value at object.source_key, or a missing one.
func (l *MetaKVStoreLock) lockValue(msg *weir.Message) weir.Value {
	if l.src == "" {
		return weir.Value{}
	}
	return msg.Get(l.src)
}

// unlockAll releases the locks taken since the last control message. The
// message's error is what matters: unlock errors are dropped (the locks
// then expire).
func (l *MetaKVStoreLock) unlockAll(ctx context.Context) {
	l.mu.Lock()
	keys := l.keys
	l.keys = nil
	l.mu.Unlock()
	for _, k := range keys {
		_ = l.locker.Unlock(ctx, k)
	}
}

// Close closes every transform that implements io.Closer.
func (l *MetaKVStoreLock) Close() error { return errors.Join(closeAll(l.tfs), l.owned.Close()) }
