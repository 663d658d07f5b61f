package transform_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewFormatFromGzip() {
	// Round trip: compress, then decompress with a limit on the output.
	to, err := transform.NewFormatToGzip(transform.FormatToGzipConfig{})
	if err != nil {
		panic(err)
	}
	from, err := transform.NewFormatFromGzip(transform.FormatFromGzipConfig{MaxSize: 1 << 20})
	if err != nil {
		panic(err)
	}
	out, err := transform.Chain(to, from).Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])

	// Past max_size the transform fails with an error matching weir.ErrTooLarge, which also matches
	// weir.ErrInvalidData: route the message aside and go on.
	small, err := transform.NewFormatFromGzip(transform.FormatFromGzipConfig{MaxSize: 100})
	if err != nil {
		panic(err)
	}
	_, err = transform.Chain(to, small).Transform(context.Background(), weir.NewMessage(bytes.Repeat([]byte("a"), 1000)))
	fmt.Println(errors.Is(err, weir.ErrTooLarge), errors.Is(err, weir.ErrInvalidData))
	// Output:
	// {"a":1}
	// true true
}

func ExampleNewFormatFromBase64() {
	tf, err := transform.NewFormatFromBase64(transform.FormatFromBase64Config{
		Object: transform.ObjectSettings{SourceKey: "payload", TargetKey: "payload"},
	})
	if err != nil {
		panic(err)
	}
	// A decoded JSON object is written as JSON, other text as a string.
	for _, data := range []string{`{"payload":"eyJ1c2VyIjoiYWxpY2UifQ=="}`, `{"payload":"aGVsbG8="}`} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(data)))
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"payload":{"user":"alice"}}
	// {"payload":"hello"}
}

func ExampleNewFormatFromZip() {
	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	for _, f := range []struct{ name, body string }{{"a.log", "first"}, {"b.log", "second"}} {
		w, err := zw.Create(f.name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}

	tf, err := transform.NewFormatFromZip(transform.FormatFromZipConfig{})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(context.Background(), weir.NewMessage(archive.Bytes()))
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Println(m)
	}
	// Output:
	// first
	// second
}

func ExampleNewFormatFromPrettyPrint() {
	// Pretty-printed JSON read line by line comes back as one compact
	// message per object; the lines before the last are dropped.
	tf, err := transform.NewFormatFromPrettyPrint(transform.FormatFromPrettyPrintConfig{})
	if err != nil {
		panic(err)
	}
	lines := strings.Split("{\n  \"user\": \"alice\",\n  \"tags\": [\"a\", \"b\"]\n}", "\n")
	for _, line := range lines {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(line)))
		if err != nil {
			panic(err)
		}
		for _, m := range out {
			fmt.Println(m)
		}
	}
	// Output:
	// {"user":"alice","tags":["a","b"]}
}

func ExampleNewFormatFromCSV() {
	tf, err := transform.NewFormatFromCSV(transform.FormatFromCSVConfig{HeaderLine: true})
	if err != nil {
		panic(err)
	}
	file := "time,user,action\n2024-01-01T00:00:00Z,alice,login\n2024-01-01T00:05:00Z,bob,\"log,out\"\n"
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(file)))
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Println(m)
	}
	// Output:
	// {"time":"2024-01-01T00:00:00Z","user":"alice","action":"login"}
	// {"time":"2024-01-01T00:05:00Z","user":"bob","action":"log,out"}
}

func ExampleNewFormatFromKV() {
	tf, err := transform.NewFormatFromKV(transform.FormatFromKVConfig{
		Object: transform.ObjectSettings{SourceKey: "message", TargetKey: "fw"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"message":"action=deny srcip=10.0.0.1 msg=\"blocked by policy 7\""}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"message":"action=deny srcip=10.0.0.1 msg=\"blocked by policy 7\"","fw":{"action":"deny","srcip":"10.0.0.1","msg":"blocked by policy 7"}}
}
