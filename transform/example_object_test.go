package transform_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewObjectCopy() {
	tf, err := transform.NewObjectCopy(transform.ObjectCopyConfig{
		Object: transform.ObjectSettings{SourceKey: "src.ip", TargetKey: "related.ip"},
	})
	if err != nil {
		panic(err)
	}

	msg := weir.NewMessage([]byte(`{"src":{"ip":"10.1.1.2"}}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"src":{"ip":"10.1.1.2"},"related":{"ip":"10.1.1.2"}}
}

func ExampleNewObjectInsert() {
	tf, err := transform.NewObjectInsert(transform.ObjectInsertConfig{
		Object: transform.ObjectSettings{TargetKey: "event.tags"},
		Value:  []string{"auth", "vpn"},
	})
	if err != nil {
		panic(err)
	}

	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"event":{"id":7}}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"event":{"id":7,"tags":["auth","vpn"]}}
}

// A Substation config for object_to_integer, built with transform.New.
// "https" is not a number: as Substation does, Weir writes 0 and counts a
// coercion (with Env.Strict it is a *weir.CoercionError instead).
func ExampleNew_objectToInteger() {
	var cfg weir.Config
	err := json.Unmarshal([]byte(`{
		"type": "object_to_integer",
		"settings": {"object": {"source_key": "port", "target_key": "port"}}
	}`), &cfg)
	if err != nil {
		panic(err)
	}
	tf, err := transform.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}

	for _, data := range []string{`{"port":"443"}`, `{"port":8080.9}`, `{"port":"https"}`} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(data)))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"port":443}
	// {"port":8080}
	// {"port":0}
}
