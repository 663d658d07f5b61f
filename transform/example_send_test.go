package transform_test

import (
	"context"
	"fmt"
	"os"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewSendStdout() {
	// Print batches of two messages, each as one JSON array. Writer defaults
	// to os.Stdout; the auxiliary transforms shape each batch.
	aux, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	if err != nil {
		panic(err)
	}
	tf, err := transform.NewSendStdout(transform.SendStdoutConfig{
		Batch:         transform.BatchSettings{Count: 2},
		AuxTransforms: []transform.Transformer{aux},
		Writer:        os.Stdout,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, e := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(e)))
		if err != nil {
			panic(err)
		}
		// Messages pass through a send unchanged. A full batch is written
		// when the next message does not fit, as in Substation.
		fmt.Println("passed:", out[0])
	}
	// A control message writes the last batch.
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil {
		panic(err)
	}
	// Output:
	// passed: {"n":1}
	// passed: {"n":2}
	// [{"n":1},{"n":2}]
	// passed: {"n":3}
	// [{"n":3}]
}

func ExampleNewSendFile() {
	dir, err := os.MkdirTemp("", "weir-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// Write a JSON Lines file named <dir>/events.jsonl (add
	// FilePath.UUID for a new file per batch). Without a separator
	// among the auxiliary transforms the data would be concatenated.
	var aux []transform.Transformer
	for _, cfg := range []weir.Config{
		{Type: "aggregate_to_string", Settings: map[string]any{"separator": "\n"}},
		{Type: "string_append", Settings: map[string]any{"suffix": "\n"}},
	} {
		t, err := transform.New(context.Background(), cfg)
		if err != nil {
			panic(err)
		}
		aux = append(aux, t)
	}
	tf, err := transform.NewSendFile(transform.SendFileConfig{
		FilePath:      transform.FilePath{Prefix: dir + "/events", Suffix: ".jsonl"},
		AuxTransforms: aux,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, msg := range []*weir.Message{
		weir.NewMessage([]byte(`{"n":1}`)),
		weir.NewMessage([]byte(`{"n":2}`)),
		weir.NewControl(), // writes the file
	} {
		if _, err := tf.Transform(ctx, msg); err != nil {
			panic(err)
		}
	}
	b, err := os.ReadFile(dir + "/events.jsonl")
	if err != nil {
		panic(err)
	}
	fmt.Print(string(b))
	// Output:
	// {"n":1}
	// {"n":2}
}
