package transform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/kvstore"
)

// The KV transforms (enrich_kv_store_item_get, enrich_kv_store_item_set,
// enrich_kv_store_set_add, meta_kv_store_lock) read, write and lock in the
// stores of package kvstore. A transform's store is the one its Go config
// gives (Store), or else the one its kv_store config describes, shared
// through Env.KVStores when set (as a Pipeline sets it), or else a store of
// the transform's own, which it closes on Close.

// kvStoreFor returns the store a transform uses: given, else from the
// pipeline's kvstore.Stores, else a new one, which the transform owns (own is
// then true: the transform closes it). lock says it is for locks.
func kvStoreFor(ctx context.Context, env *Env, given kvstore.Store, cfg weir.Config, lock bool) (st kvstore.Store, own bool, err error) {
	if given != nil {
		return given, false, nil
	}
	if cfg.Type == "" {
		return nil, false, &weir.ConfigError{Field: "kv_store", Err: weir.ErrMissingSetting}
	}
	switch s := env.kvStores(); {
	case s == nil:
		kenv := env.KVStoreEnv()
		st, err = kvstore.New(ctx, &kenv, cfg)
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
	st   kvstore.Store // nil when the store is not the transform's
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

func newOwnedStore(st kvstore.Store, own bool) *ownedStore {
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
	// kvstore.Store describes the store that holds the locks, required unless
	// Store is set; the memory and aws_dynamodb types can hold locks.
	KVStore weir.Config
	// Store holds the locks instead of a store built from KVStore.
	Store kvstore.Locker
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
	locker kvstore.Locker
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
// else the one cfg.KVStore describes, shared through the [kvstore.Stores] ctx
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
		if locker, ok = st.(kvstore.Locker); !ok {
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
