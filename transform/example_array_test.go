package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewArrayJoin() {
	tf, err := transform.NewArrayJoin(transform.ArrayJoinConfig{
		Separator: ".",
		Object:    transform.ObjectSettings{SourceKey: "labels", TargetKey: "fqdn"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"labels":["www","example","com"]}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"labels":["www","example","com"],"fqdn":"www.example.com"}
}

func ExampleNewArrayZip() {
	// Turn parallel arrays into rows.
	tf, err := transform.NewArrayZip(transform.ArrayZipConfig{
		Object: transform.ObjectSettings{SourceKey: "[names,sizes]", TargetKey: "files"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"names":["a.txt","b.html"],"sizes":[100,500]}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Get("files"))
	// Output:
	// [["a.txt",100],["b.html",500]]
}

func ExampleNewArrayFlatten() {
	for _, deep := range []bool{false, true} {
		tf, err := transform.NewArrayFlatten(transform.ArrayFlattenConfig{
			Deep:   deep,
			Object: transform.ObjectSettings{SourceKey: "ips", TargetKey: "ips"},
		})
		if err != nil {
			panic(err)
		}
		msg := weir.NewMessage([]byte(`{"ips":["10.0.0.1",["10.0.0.2",["10.0.0.3"]]]}`))
		out, err := tf.Transform(context.Background(), msg)
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"ips":["10.0.0.1","10.0.0.2",["10.0.0.3"]]}
	// {"ips":["10.0.0.1","10.0.0.2","10.0.0.3"]}
}

func ExampleNewArrayDedupe() {
	tf, err := transform.NewArrayDedupe(transform.ArrayDedupeConfig{
		Object: transform.ObjectSettings{SourceKey: "ports", TargetKey: "ports"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"ports":[443,80,443,8080,80.0]}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"ports":[443,80,8080]}
}
