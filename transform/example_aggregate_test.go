package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewAggregateToArray() {
	// Group events into arrays of at most two per user.
	tf, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{
		Object: transform.ObjectSettings{BatchKey: "user", TargetKey: "events"},
		Batch:  transform.BatchSettings{Count: 2},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, e := range []string{
		`{"user":"alice","n":1}`,
		`{"user":"bob","n":2}`,
		`{"user":"alice","n":3}`, // alice's batch is full
		`{"user":"bob","n":4}`,   // so is bob's
		`{"user":"alice","n":5}`, // does not fit: alice's batch is released
	} {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(e)))
		if err != nil {
			panic(err)
		}
		for _, m := range out {
			fmt.Println(m)
		}
	}
	// A control message releases what is left, then comes out itself.
	out, err := tf.Transform(ctx, weir.NewControl())
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		if !m.IsControl() {
			fmt.Println(m)
		}
	}
	// Output:
	// {"events":[{"user":"alice","n":1},{"user":"alice","n":3}]}
	// {"events":[{"user":"alice","n":5}]}
	// {"events":[{"user":"bob","n":2},{"user":"bob","n":4}]}
}

func ExampleNewAggregateFromArray() {
	// Split a record holding several events into one message per event,
	// keeping the record's other fields.
	tf, err := transform.NewAggregateFromArray(transform.AggregateFromArrayConfig{
		Object: transform.ObjectSettings{SourceKey: "events", TargetKey: "event"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"host":"web1","events":[{"id":1},{"id":2}]}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Println(m)
	}
	// Output:
	// {"host":"web1","event":{"id":1}}
	// {"host":"web1","event":{"id":2}}
}

func ExampleNewAggregateFromString() {
	// Split newline-delimited JSON into messages.
	tf, err := transform.NewAggregateFromString(transform.AggregateFromStringConfig{Separator: "\n"})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte("{\"a\":1}\n{\"b\":2}"))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Println(m)
	}
	// Output:
	// {"a":1}
	// {"b":2}
}

func ExampleNewAggregateToString() {
	// Join messages into newline-delimited batches of up to three.
	tf, err := transform.NewAggregateToString(transform.AggregateToStringConfig{
		Separator: "\n",
		Batch:     transform.BatchSettings{Count: 3},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, msg := range []*weir.Message{
		weir.NewMessage([]byte(`{"n":1}`)),
		weir.NewMessage([]byte(`{"n":2}`)),
		weir.NewControl(), // releases the batch, then comes out itself
	} {
		out, err := tf.Transform(ctx, msg)
		if err != nil {
			panic(err)
		}
		for _, m := range out {
			if !m.IsControl() {
				fmt.Printf("%q\n", m.Data())
			}
		}
	}
	// Output:
	// "{\"n\":1}\n{\"n\":2}"
}
