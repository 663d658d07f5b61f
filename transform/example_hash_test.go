package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewHashSHA256() {
	// Pseudonymize a user name: keep a stable hash, drop the name.
	tf, err := transform.NewHashSHA256(transform.HashSHA256Config{
		Object: transform.ObjectSettings{SourceKey: "user", TargetKey: "user"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"user":"alice","action":"login"}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"user":"2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90","action":"login"}
}

func ExampleNewHashMD5() {
	// With no keys the digest of the whole data replaces the data.
	tf, err := transform.NewHashMD5(transform.HashMD5Config{})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte("a")))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// 0cc175b9c0f1b6a831c399e269772661
}

func ExampleNewHashXXHash64() {
	// A fast, non-cryptographic key for deduplication.
	tf, err := transform.NewHashXXHash64(transform.HashXXHash64Config{
		Object: transform.ObjectSettings{SourceKey: "@this", TargetKey: "event_key"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"host":"web-1","pid":42}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Get("event_key"))
	// Output:
	// 0153656c75340b71
}
