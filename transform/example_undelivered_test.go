package transform_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A runner that accounts for every message counts what a send reports
// undelivered: the messages of a failed batch were passed on before it
// failed, and the message whose call sent it fails with it.
func ExampleUndelivered() {
	refuse := true
	send := func(_ context.Context, _ string, data [][]byte) error {
		if refuse {
			refuse = false
			return errors.New("destination unavailable") // nothing acknowledged
		}
		for _, d := range data {
			fmt.Printf("delivered %s\n", d)
		}
		return nil
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{Type: "send_example", Batch: transform.BatchSettings{Count: 2}, Send: send})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, d := range []string{"a", "b", "c", "d", "e"} {
		if _, err := bs.Transform(ctx, weir.NewMessage([]byte(d))); err != nil {
			lost, _ := transform.Undelivered(err)
			fmt.Printf("%s failed: %q not delivered\n", d, lost)
		}
	}
	if _, err := bs.Transform(ctx, weir.NewControl()); err != nil {
		panic(err)
	}
	// Output:
	// c failed: ["a" "b" "c"] not delivered
	// delivered d
	// delivered e
}
