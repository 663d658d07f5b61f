package transform_test

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewTimeFromString() {
	// Reformat a date: parse it into Unix nanoseconds, then format those.
	from, err := transform.NewTimeFromString(transform.TimeFromStringConfig{
		Format:   "02/Jan/2006:15:04:05 -0700", // an Apache access log timestamp
		Location: "UTC",
		Object:   transform.ObjectSettings{SourceKey: "time", TargetKey: "time"},
	})
	if err != nil {
		panic(err)
	}
	to, err := transform.NewTimeToString(transform.TimeToStringConfig{
		Format:   time.RFC3339,
		Location: "UTC",
		Object:   transform.ObjectSettings{SourceKey: "time", TargetKey: "@timestamp"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"time":"10/Oct/2023:13:55:36 -0700"}`))
	out, err := transform.Chain(from, to).Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"time":1696971336000000000,"@timestamp":"2023-10-10T20:55:36Z"}
}

func ExampleNewTimeToString() {
	// Without a location, time_to_string writes local time; name one to
	// get the same output everywhere.
	tf, err := transform.NewTimeToString(transform.TimeToStringConfig{
		Format:   "2006-01-02 15:04:05 MST",
		Location: "America/New_York",
		Object:   transform.ObjectSettings{SourceKey: "ns", TargetKey: "local"},
	})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"ns":1639877490000000000}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"ns":1639877490000000000,"local":"2021-12-18 20:31:30 EST"}
}

func ExampleNewTimeFromUnixMilli() {
	// Normalize epoch milliseconds (JavaScript, many SaaS APIs) to seconds.
	from, err := transform.NewTimeFromUnixMilli(transform.TimeFromUnixMilliConfig{
		Object: transform.ObjectSettings{SourceKey: "ts", TargetKey: "ts"},
	})
	if err != nil {
		panic(err)
	}
	to, err := transform.NewTimeToUnix(transform.TimeToUnixConfig{
		Object: transform.ObjectSettings{SourceKey: "ts", TargetKey: "ts"},
	})
	if err != nil {
		panic(err)
	}
	out, err := transform.Chain(from, to).Transform(context.Background(), weir.NewMessage([]byte(`{"ts":1639877490123}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"ts":1639877490}
}

func ExampleNewTimeNow() {
	// Stamp each message with the time it was processed. Tests inject a
	// clock to get fixed output.
	tf, err := transform.NewTimeNow(transform.TimeNowConfig{
		Object: transform.ObjectSettings{TargetKey: "event.ingested"},
		Now:    func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"event":{"action":"login"}}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"event":{"action":"login","ingested":1704164645000000000}}
}
