package aggregate_test

import (
	"fmt"

	"github.com/weirhq/weir/aggregate"
)

// Packing events into JSON arrays of at most three, one batch per tenant,
// as a Lambda would before writing them to a stream.
func Example() {
	b, err := aggregate.New(aggregate.Config{Count: 3})
	if err != nil {
		panic(err)
	}
	events := []struct{ tenant, data string }{
		{"acme", `{"n":1}`}, {"initech", `{"n":2}`}, {"acme", `{"n":3}`},
		{"acme", `{"n":4}`}, {"acme", `{"n":5}`},
	}
	ship := func(bt aggregate.Batch) {
		fmt.Printf("%s: %s\n", bt.Key, aggregate.AppendJSONArray(nil, bt.Items))
	}
	for _, e := range events {
		done, err := b.Add(e.tenant, []byte(e.data))
		if err != nil {
			panic(err) // an event larger than Config.Size
		}
		for _, bt := range done {
			ship(bt)
		}
	}
	// Whatever is left at the end of the invocation.
	for _, bt := range b.Flush() {
		ship(bt)
	}
	// Output:
	// acme: [{"n":1},{"n":3},{"n":4}]
	// acme: [{"n":5}]
	// initech: [{"n":2}]
}

func ExampleAppendNDJSON() {
	items := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}
	fmt.Printf("%q\n", aggregate.AppendNDJSON(nil, items))
	// Output:
	// "{\"a\":1}\n{\"b\":2}\n"
}

func ExampleAppendJoin() {
	items := [][]byte{[]byte("alpha"), []byte("beta")}
	fmt.Println(string(aggregate.AppendJoin(nil, items, []byte(" | "))))
	// Output:
	// alpha | beta
}

// Packing user records into KPL aggregated records for Kinesis, and
// reading them back as a consumer would.
func ExampleKPLAggregator() {
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{MaxCount: 2})
	if err != nil {
		panic(err)
	}
	var stream []aggregate.KPLRecord // what PutRecords would send
	put := func() {
		stream = append(stream, aggregate.KPLRecord{PartitionKey: a.PartitionKey(), Data: a.Append(nil)})
		a.Reset()
	}
	for i, event := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		r := aggregate.KPLRecord{PartitionKey: fmt.Sprint("host-", i), Data: []byte(event)}
		if err := a.Add(r); err == aggregate.ErrKPLFull {
			put()
			err = a.Add(r)
		}
		if err != nil {
			panic(err) // a record over 1 MiB, or a bad partition key
		}
	}
	put()
	for _, rec := range stream {
		users, err := aggregate.Deaggregate(rec)
		if err != nil {
			panic(err)
		}
		for _, u := range users {
			fmt.Printf("%d bytes -> %s %s\n", len(rec.Data), u.PartitionKey, u.Data)
		}
	}
	// Output:
	// 62 bytes -> host-0 {"n":1}
	// 62 bytes -> host-1 {"n":2}
	// 41 bytes -> host-2 {"n":3}
}

// With Hold, a full batch waits for the next item, as Substation's
// batches do: the item that does not fit releases it.
func ExampleConfig_hold() {
	b, err := aggregate.New(aggregate.Config{Count: 2, Hold: true})
	if err != nil {
		panic(err)
	}
	for _, item := range []string{`1`, `2`, `3`} {
		done, err := b.Add("", []byte(item))
		if err != nil {
			panic(err)
		}
		fmt.Printf("after %s: %d released\n", item, len(done))
		for _, bt := range done {
			fmt.Printf("  %s\n", aggregate.AppendJSONArray(nil, bt.Items))
		}
	}
	// Output:
	// after 1: 0 released
	// after 2: 0 released
	// after 3: 1 released
	//   [1,2]
}
