package kvstore

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// MMDBStore is a read-only [Store] over an [enrich.MMDB]; it is what
// the mmdb kv_store type builds:
//
//	{"type": "mmdb", "settings": {"file": "GeoLite2-ASN.mmdb"}}
//
// Its keys are IP addresses and its values the whole records of the
// networks that hold them, as JSON objects (as Substation's mmdb store
// returns them). An address in no network of the file has no value, which
// enrich_kv_store_item_get writes as null. A key that is not an IP address
// (an empty one, one with a prefix or a zone) is an error that matches
// [weir.ErrInvalidData].
//
// The file may be a local path or an http(s):// or s3:// URL, as for the
// other file stores (see the package doc). Reset reopens (refetches) the file,
// swapping the new one in atomically; Close closes it.
type MMDBStore struct {
	db *enrich.MMDB
}

// NewMMDBStore returns a store over db. It panics if db is nil.
func NewMMDBStore(db *enrich.MMDB) *MMDBStore {
	if db == nil {
		panic("kvstore: NewMMDBStore: nil MMDB")
	}
	return &MMDBStore{db: db}
}

// errNotIP is the error of a key that is not an IP address; the key is
// left out of it, as it may be private data.
var errNotIP = fmt.Errorf("%w: mmdb kv_store: the key is not an IP address", weir.ErrInvalidData)

// Get implements [Store].
func (s *MMDBStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	addr, err := netip.ParseAddr(key)
	if err != nil || addr.Zone() != "" {
		return nil, false, errNotIP
	}
	return s.db.Lookup(addr)
}

// Reset implements [Resetter]: it reopens the file. If that fails the
// store keeps the file it had.
func (s *MMDBStore) Reset(context.Context) error { return s.db.Reload() }

// Close closes the file.
func (s *MMDBStore) Close() error { return s.db.Close() }

// newMMDBStore builds the mmdb kv_store type from its config.
func newMMDBStore(_ context.Context, env *Env, cfg weir.Config) (Store, error) {
	var s struct {
		File string `json:"file"`
		FetchSettings
	}
	if err := cfg.Decode(&s); err != nil {
		return nil, SettingsError(err)
	}
	if s.File == "" {
		return nil, &weir.ConfigError{Field: "settings.file", Err: weir.ErrMissingSetting}
	}
	src, err := s.FetchSettings.apply(env.Source())
	if err != nil {
		return nil, err
	}
	db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: s.File, Source: src})
	if err != nil {
		return nil, &weir.ConfigError{Field: "settings.file", Err: err}
	}
	return NewMMDBStore(db), nil
}
