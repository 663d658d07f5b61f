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
