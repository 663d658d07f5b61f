package transform_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/kvstore"
	"github.com/weirhq/weir/transform"
)

func ExampleNewEnrichKVStoreItemGet() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "products.csv")
	if err := os.WriteFile(file, []byte("product,price,calories\nchurro,9.99,500\n"), 0o644); err != nil {
		panic(err)
	}

	ctx := context.Background()
	tf, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{
		Object:  transform.ObjectSettings{SourceKey: "product", TargetKey: "info"},
		KVStore: weir.Config{Type: "csv_file", Settings: map[string]any{"file": file, "column": "product"}},
	})
	if err != nil {
		panic(err)
	}
	for _, data := range []string{`{"product":"churro"}`, `{"product":"eclair"}`} {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(data)))
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out[0].Data()))
	}
	// Output:
	// {"product":"churro","info":{"calories":"500","price":"9.99"}}
	// {"product":"eclair","info":null}
}

func ExampleNewEnrichKVStoreSetAdd() {
	ctx := context.Background()
	// Both transforms use one store: give it to each, or build them with
	// the same kvstore.Stores (transform.WithKVStores) from identical
	// kv_store configs.
	store := kvstore.NewCacheStore(kvstore.CacheStoreConfig{Cache: cache.NewMemory(cache.MemoryConfig{})})
	add, err := transform.NewEnrichKVStoreSetAdd(ctx, nil, transform.EnrichKVStoreSetAddConfig{
		Object:    transform.KVObjectSettings{SourceKey: "customer", TargetKey: "order"},
		TTLOffset: "24h",
		Store:     store,
	})
	if err != nil {
		panic(err)
	}
	get, err := transform.NewEnrichKVStoreItemGet(ctx, nil, transform.EnrichKVStoreItemGetConfig{
		Object: transform.ObjectSettings{SourceKey: "customer", TargetKey: "orders"},
		Store:  store,
	})
	if err != nil {
		panic(err)
	}
	for _, order := range []string{"pizza", "burger", "pizza"} {
		out, err := transform.Apply(ctx, []transform.Transformer{add, get},
			weir.NewMessage([]byte(`{"customer":"bob","order":"`+order+`"}`)))
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out[0].Data()))
	}
	// Output:
	// {"customer":"bob","order":"pizza","orders":["pizza"]}
	// {"customer":"bob","order":"burger","orders":["pizza","burger"]}
	// {"customer":"bob","order":"pizza","orders":["pizza","burger"]}
}

func ExampleNewMetaKVStoreLock() {
	ctx := context.Background()
	mark, err := transform.NewObjectInsert(transform.ObjectInsertConfig{
		Object: transform.ObjectSettings{TargetKey: "processed"},
		Value:  true,
	})
	if err != nil {
		panic(err)
	}
	// Each distinct message is processed once while its lock lives (a
	// minute); duplicates pass unchanged.
	once, err := transform.NewMetaKVStoreLock(ctx, nil, transform.MetaKVStoreLockConfig{
		Prefix:     "eo",
		TTLOffset:  "1m",
		Transforms: []transform.Transformer{mark},
		KVStore:    weir.Config{Type: "memory"},
	})
	if err != nil {
		panic(err)
	}
	for _, data := range []string{`{"a":"b"}`, `{"a":"b"}`, `{"c":"d"}`} {
		out, err := once.Transform(ctx, weir.NewMessage([]byte(data)))
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out[0].Data()))
	}
	// Output:
	// {"a":"b","processed":true}
	// {"a":"b"}
	// {"c":"d","processed":true}
}
