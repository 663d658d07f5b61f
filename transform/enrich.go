package transform

import (
	"context"
	"errors"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/kvstore"
)

// The enrich family adds context to messages from outside them. The KV
// store types read and write items of a KV store (see [kvstore.Store] for the
// kv_store setting, the stores built in and how a pipeline shares them):
//
//   - enrich_kv_store_item_get writes the value of the item keyed by
//     object.source_key to object.target_key;
//   - enrich_kv_store_item_set stores the value at object.target_key as the
//     item keyed by object.source_key;
//   - enrich_kv_store_set_add adds the value at object.target_key to the
//     set (a JSON array) keyed by object.source_key.
//
// Each builds a key from the value at object.source_key (its text; with a
// prefix setting, "<prefix>:<text>"); a message without that value passes
// unchanged. With close_kv_store, a control message resets the store (a
// file store reads its file again, a memory store is emptied). The
// deprecated Substation names enrich_kv_store_get and enrich_kv_store_set
// are aliases of the item types. meta_kv_store_lock (in the meta family in
// Substation) is registered here too.
//
// DNS, HTTP, GeoIP/ASN (mmdb), DynamoDB and Lambda enrichment are still to
// come (issue 6).

func enrichBuiltins() map[string]Factory {
	return map[string]Factory{
		"enrich_kv_store_item_get": decoded(NewEnrichKVStoreItemGet),
		"enrich_kv_store_get":      decoded(NewEnrichKVStoreItemGet), // deprecated alias
		"enrich_kv_store_item_set": decoded(NewEnrichKVStoreItemSet),
		"enrich_kv_store_set":      decoded(NewEnrichKVStoreItemSet), // deprecated alias
		"enrich_kv_store_set_add":  decoded(NewEnrichKVStoreSetAdd),
		"meta_kv_store_lock":       decoded(buildMetaKVStoreLock),
		"enrich_http_get":          decoded(NewEnrichHTTPGet),
		"enrich_http_post":         decoded(NewEnrichHTTPPost),
	}
}

// kvCheckKeys requires both object keys.
func kvCheckKeys(typ, src, dst string) error {
	switch {
	case src == "":
		return &weir.ConfigError{Type: typ, Field: "object.source_key", Err: weir.ErrMissingSetting}
	case dst == "":
		return &weir.ConfigError{Type: typ, Field: "object.target_key", Err: weir.ErrMissingSetting}
	}
	return nil
}

// kvReset resets st on a control message if asked to.
func kvReset(ctx context.Context, typ, id string, st kvstore.Store, reset bool, msg *weir.Message) ([]*weir.Message, error) {
	if r, ok := st.(kvstore.Resetter); ok && reset {
		if err := r.Reset(ctx); err != nil {
			return nil, &Error{Type: typ, ID: id, Err: err}
		}
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// enrich_kv_store_item_get

// EnrichKVStoreItemGetConfig configures [EnrichKVStoreItemGet], the
// enrich_kv_store_item_get transform (alias enrich_kv_store_get).
//
//	{"type": "enrich_kv_store_item_get", "settings": {
//	    "object": {"source_key": "product", "target_key": "info"},
//	    "kv_store": {"type": "csv_file", "settings": {"file": "products.csv", "column": "product"}}}}
type EnrichKVStoreItemGetConfig struct {
	// Object.SourceKey is the path of the key, Object.TargetKey where the
	// value is written. Both are required.
	Object ObjectSettings `json:"object"`
	// Prefix, if set, is put before the key, with a colon.
	Prefix string `json:"prefix,omitempty"`
	// CloseKVStore resets the store on each control message.
	CloseKVStore bool `json:"close_kv_store,omitempty"`
	// kvstore.Store describes the store; required unless Store is set.
	KVStore weir.Config `json:"kv_store"`
	// Store is the store to use instead of building one from KVStore.
	Store kvstore.Store `json:"-"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
}

// EnrichKVStoreItemGet writes the value of a KV store item into messages.
// An item the store does not have is written as null, as Substation does.
// It is safe for concurrent use if its store is.
type EnrichKVStoreItemGet struct {
	id, prefix string
	src, dst   string
	reset      bool
	store      kvstore.Store
	owned      *ownedStore
}

// NewEnrichKVStoreItemGet returns an EnrichKVStoreItemGet. The store is
// cfg.Store, or else the one cfg.KVStore describes, shared through
// env.KVStores if set; otherwise the transform makes a store of its own and
// closes it on Close. env may be nil.
func NewEnrichKVStoreItemGet(ctx context.Context, env *Env, cfg EnrichKVStoreItemGetConfig) (*EnrichKVStoreItemGet, error) {
	const typ = "enrich_kv_store_item_get"
	if err := kvCheckKeys(typ, cfg.Object.SourceKey, cfg.Object.TargetKey); err != nil {
		return nil, err
	}
	st, own, err := kvStoreFor(ctx, env, cfg.Store, cfg.KVStore, false)
	if err != nil {
		return nil, configErr(typ, err)
	}
	return &EnrichKVStoreItemGet{
		id: cfg.ID, prefix: cfg.Prefix,
		src: cfg.Object.SourceKey, dst: cfg.Object.TargetKey,
		reset: cfg.CloseKVStore, store: st, owned: newOwnedStore(st, own),
	}, nil
}

// Close closes the store if the transform made it; it is safe to call more
// than once.
func (t *EnrichKVStoreItemGet) Close() error { return t.owned.Close() }

// Transform implements [Transformer].
func (t *EnrichKVStoreItemGet) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "enrich_kv_store_item_get"
	if msg.IsControl() {
		return kvReset(ctx, typ, t.id, t.store, t.reset, msg)
	}
	k := msg.Get(t.src)
	if !k.Exists() {
		return msg.AsSlice(), nil
	}
	v, ok, err := t.store.Get(ctx, kvKey(t.prefix, k))
	if err != nil {
		return nil, &Error{Type: typ, ID: t.id, Err: err}
	}
	if !ok {
		v = []byte("null")
	}
	// Stores never modify their values and messages never modify the bytes
	// given to them, so the value is shared, capped against appends.
	if err := msg.SetRaw(t.dst, v[:len(v):len(v)]); err != nil {
		return nil, &Error{Type: typ, ID: t.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// enrich_kv_store_item_set

// EnrichKVStoreItemSetConfig configures [EnrichKVStoreItemSet], the
// enrich_kv_store_item_set transform (alias enrich_kv_store_set).
//
//	{"type": "enrich_kv_store_item_set", "settings": {
//	    "object": {"source_key": "user", "target_key": "@this", "ttl_key": "expires"},
//	    "ttl_offset": "24h",
//	    "kv_store": {"type": "memory", "settings": {"capacity": 4096}}}}
type EnrichKVStoreItemSetConfig struct {
	// Object.SourceKey is the path of the key, Object.TargetKey the path of
	// the value to store (stored as null if missing); both are required.
	// Object.TTLKey is the path of a Unix time at which the item expires.
	Object KVObjectSettings `json:"object"`
	// Prefix, if set, is put before the key, with a colon.
	Prefix string `json:"prefix,omitempty"`
	// TTLOffset is a Go duration ("1h"), counted in whole seconds: added
	// to the time at Object.TTLKey, or without it to the current time, to
	// make the item's expiry. Without either the item does not expire.
	TTLOffset string `json:"ttl_offset,omitempty"`
	// CloseKVStore resets the store on each control message.
	CloseKVStore bool `json:"close_kv_store,omitempty"`
	// kvstore.Store describes the store; required unless Store is set. It must
	// be writable ([kvstore.Writer]): a memory store, not a file.
	KVStore weir.Config `json:"kv_store"`
	// Store is the store to use instead of building one from KVStore.
	Store kvstore.Store `json:"-"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
}

// EnrichKVStoreItemSet stores a value of each message as a KV store item.
// The message passes unchanged. It is safe for concurrent use if its store
// is.
type EnrichKVStoreItemSet struct{ kvWrite }

// NewEnrichKVStoreItemSet returns an EnrichKVStoreItemSet; the store is
// found as for [NewEnrichKVStoreItemGet] and must be a [kvstore.Writer].
func NewEnrichKVStoreItemSet(ctx context.Context, env *Env, cfg EnrichKVStoreItemSetConfig) (*EnrichKVStoreItemSet, error) {
	const typ = "enrich_kv_store_item_set"
	w, st, err := newKVWrite(ctx, env, typ, cfg)
	if err != nil {
		return nil, err
	}
	kw, ok := st.(kvstore.Writer)
	if !ok {
		_ = w.owned.Close()
		return nil, &weir.ConfigError{Type: typ, Field: "kv_store", Err: errors.New("the store is read-only")}
	}
	w.write = kw.Set
	return &EnrichKVStoreItemSet{w}, nil
}

// kvWrite is the body shared by the transforms that write each message's
// value under its key: item_set (write = Set) and set_add (write = SetAdd).
type kvWrite struct {
	typ, id, prefix string
	src, dst        string
	ttl             kvTTL
	reset           bool
	store           kvstore.Store
	owned           *ownedStore
	write           func(ctx context.Context, key string, value []byte, expires time.Time) error
}

// Close closes the store if the transform made it; it is safe to call more
// than once.
func (w *kvWrite) Close() error { return w.owned.Close() }

// newKVWrite checks cfg and finds its store; the caller sets write.
func newKVWrite(ctx context.Context, env *Env, typ string, cfg EnrichKVStoreItemSetConfig) (kvWrite, kvstore.Store, error) {
	if err := kvCheckKeys(typ, cfg.Object.SourceKey, cfg.Object.TargetKey); err != nil {
		return kvWrite{}, nil, err
	}
	ttl, err := newKVTTL(cfg.Object.TTLKey, cfg.TTLOffset, cfg.Now)
	if err != nil {
		return kvWrite{}, nil, configErr(typ, err)
	}
	st, own, err := kvStoreFor(ctx, env, cfg.Store, cfg.KVStore, false)
	if err != nil {
		return kvWrite{}, nil, configErr(typ, err)
	}
	return kvWrite{
		typ: typ, id: cfg.ID, prefix: cfg.Prefix,
		src: cfg.Object.SourceKey, dst: cfg.Object.TargetKey,
		ttl: ttl, reset: cfg.CloseKVStore, store: st, owned: newOwnedStore(st, own),
	}, st, nil
}

// Transform implements [Transformer].
func (t *kvWrite) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return kvReset(ctx, t.typ, t.id, t.store, t.reset, msg)
	}
	k := msg.Get(t.src)
	if !k.Exists() {
		return msg.AsSlice(), nil
	}
	v, err := kvstore.Encode(msg.Get(t.dst).Any())
	if err == nil {
		err = t.write(ctx, kvKey(t.prefix, k), v, t.ttl.expires(msg))
	}
	if err != nil {
		return nil, &Error{Type: t.typ, ID: t.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// enrich_kv_store_set_add

// EnrichKVStoreSetAddConfig configures [EnrichKVStoreSetAdd], the
// enrich_kv_store_set_add transform. Its settings are those of
// enrich_kv_store_item_set.
//
//	{"type": "enrich_kv_store_set_add", "settings": {
//	    "object": {"source_key": "customer", "target_key": "order"},
//	    "ttl_offset": "10s",
//	    "kv_store": {"type": "memory", "settings": {"capacity": 1024}}}}
type EnrichKVStoreSetAddConfig EnrichKVStoreItemSetConfig

// EnrichKVStoreSetAdd adds a value of each message to a set kept as a KV
// store item (a JSON array, in the order values were first added; an array
// value adds each of its elements). The message passes unchanged. It is
// safe for concurrent use if its store is.
type EnrichKVStoreSetAdd struct{ kvWrite }

// NewEnrichKVStoreSetAdd returns an EnrichKVStoreSetAdd; the store is found
// as for [NewEnrichKVStoreItemGet] and must be a [kvstore.SetAdder].
func NewEnrichKVStoreSetAdd(ctx context.Context, env *Env, cfg EnrichKVStoreSetAddConfig) (*EnrichKVStoreSetAdd, error) {
	const typ = "enrich_kv_store_set_add"
	w, st, err := newKVWrite(ctx, env, typ, EnrichKVStoreItemSetConfig(cfg))
	if err != nil {
		return nil, err
	}
	a, ok := st.(kvstore.SetAdder)
	if !ok {
		_ = w.owned.Close()
		return nil, &weir.ConfigError{Type: typ, Field: "kv_store", Err: errors.New("the store cannot keep sets (it is read-only)")}
	}
	w.write = a.SetAdd
	return &EnrichKVStoreSetAdd{w}, nil
}
