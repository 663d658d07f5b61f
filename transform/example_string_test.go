package transform_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewStringReplace() {
	// Mask the digits of a card number, keeping the last four.
	tf, err := transform.NewStringReplace(transform.StringReplaceConfig{
		Pattern:     `\d{4}-`,
		Replacement: "****-",
		Object:      transform.ObjectSettings{SourceKey: "card", TargetKey: "card"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"card":"4111-1111-1111-1234"}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"card":"****-****-****-1234"}
}

func ExampleNewStringCapture() {
	// Named groups make an object.
	tf, err := transform.NewStringCapture(transform.StringCaptureConfig{
		Pattern: `^(?P<user>[^@]+)@(?P<domain>.+)$`,
		Object:  transform.ObjectSettings{SourceKey: "email", TargetKey: "email_parts"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"email":"alice@example.com"}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])

	// With Count, the last group of each match makes an array.
	tf, err = transform.NewStringCapture(transform.StringCaptureConfig{
		Pattern: `(\d+)`,
		Count:   -1,
		Object:  transform.ObjectSettings{SourceKey: "ports", TargetKey: "ports"},
	})
	if err != nil {
		panic(err)
	}
	msg = weir.NewMessage([]byte(`{"ports":"tcp/22, tcp/443"}`))
	out, err = tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"email":"alice@example.com","email_parts":{"user":"alice","domain":"example.com"}}
	// {"ports":["22","443"]}
}

func ExampleNewStringToSnake() {
	tf, err := transform.NewStringToSnake(transform.StringToSnakeConfig{
		Object: transform.ObjectSettings{SourceKey: "event", TargetKey: "event"},
	})
	if err != nil {
		panic(err)
	}
	for _, data := range []string{
		`{"event":"UserLoggedIn"}`,
		`{"event":"HTTPRequest sent"}`,
	} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(data)))
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"event":"user_logged_in"}
	// {"event":"http_request_sent"}
}

func ExampleNew_stringSplit() {
	// A Substation v2 config.
	var cfg weir.Config
	err := json.Unmarshal([]byte(`{
		"type": "string_split",
		"settings": {
			"object": {"source_key": "groups", "target_key": "groups"},
			"separator": ";"
		}
	}`), &cfg)
	if err != nil {
		panic(err)
	}
	tf, err := transform.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"groups":"admins;devs;ops"}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"groups":["admins","devs","ops"]}
}
