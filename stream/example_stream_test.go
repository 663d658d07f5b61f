package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// A Go service feeding a stream: handlers call Send as events arrive (Send
// blocks while the stream is full, which slows the handlers down instead of
// queuing without bound), a CPU-bound normalization stage runs on every
// core, an enrichment stage waits on a slow lookup with many workers, and
// the sink writes the results in arrival order.
func Example() {
	ctx := context.Background()
	normalize, err := transform.NewObjectCopy(transform.ObjectCopyConfig{
		Object: transform.ObjectSettings{SourceKey: "eventName", TargetKey: "event.action"},
	})
	if err != nil {
		panic(err)
	}
	enrich := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		time.Sleep(time.Millisecond) // a DNS or HTTP lookup
		if err := msg.Set("enriched", true); err != nil {
			return nil, err
		}
		return []*weir.Message{msg}, nil
	})

	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(msg)
		}
		return nil
	}, stream.Config{
		Stages: []stream.Stage{
			{Transformer: normalize, Name: "normalize"},        // GOMAXPROCS workers
			{Transformer: enrich, Workers: 64, Name: "enrich"}, // waits, so many workers
		},
		// Route failures aside instead of stopping the service.
		ErrorSink: func(_ context.Context, e *stream.Error) error {
			fmt.Println("failed:", e)
			return nil
		},
	})
	if err != nil {
		panic(err)
	}

	// The service's handler.
	handle := func(ctx context.Context, event string) error {
		return s.Send(ctx, weir.NewMessage([]byte(event)))
	}
	for _, name := range []string{"ConsoleLogin", "GetObject", "AssumeRole"} {
		if err := handle(ctx, `{"eventName":"`+name+`"}`); err != nil {
			fmt.Println("not accepted:", err)
		}
	}

	// At shutdown: flush, drain and stop.
	if err := s.Close(ctx); err != nil {
		fmt.Println("stream:", err)
	}
	// Output:
	// {"eventName":"ConsoleLogin","event":{"action":"ConsoleLogin"},"enriched":true}
	// {"eventName":"GetObject","event":{"action":"GetObject"},"enriched":true}
	// {"eventName":"AssumeRole","event":{"action":"AssumeRole"},"enriched":true}
}

// A Lambda-style batch: one stream lives as long as the function; each
// invocation sends its batch of records, flushes (so transforms that hold
// records, such as aggregations, release them), and returns the results in
// record order.
func Example_lambdaBatch() {
	ctx := context.Background()
	upper := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		return []*weir.Message{msg.SetData([]byte(strings.ToUpper(msg.String())))}, nil
	})

	var results []string // written by the sink, read after Flush
	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			results = append(results, msg.String())
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: upper, Workers: 8}}})
	if err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	handler := func(ctx context.Context, records []string) ([]string, error) {
		results = nil
		for _, r := range records {
			if err := s.Send(ctx, weir.NewMessage([]byte(r))); err != nil {
				return nil, err
			}
		}
		if err := s.Flush(ctx); err != nil {
			return nil, err
		}
		return slices.Clone(results), nil
	}

	for _, batch := range [][]string{{`"a"`, `"b"`, `"c"`}, {`"d"`, `"e"`}} {
		out, err := handler(ctx, batch)
		fmt.Println(out, err)
	}
	// Output:
	// ["A" "B" "C"] <nil>
	// ["D" "E"] <nil>
}

// Per-key order: events of one user stay in order, while a slow event holds
// back only its own user's.
func Example_perKey() {
	ctx := context.Background()
	// Alice's first event is slow: it waits until Bob's last has been
	// delivered (a lookup that takes that long).
	bobDone := make(chan struct{})
	slowFirst := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.Get("n").Int() == 1 {
			<-bobDone
		}
		return []*weir.Message{msg}, nil
	})
	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(msg)
			if msg.Get("n").Int() == 4 {
				close(bobDone)
			}
		}
		return nil
	}, stream.Config{
		Stages: []stream.Stage{{Transformer: slowFirst, Workers: 4}},
		Order:  stream.PerKey,
		Key:    func(msg *weir.Message) string { return msg.Get("user").String() },
	})
	if err != nil {
		panic(err)
	}
	for _, e := range []string{
		`{"user":"alice","n":1}`, // slow
		`{"user":"bob","n":2}`,
		`{"user":"alice","n":3}`, // waits for alice's first
		`{"user":"bob","n":4}`,
	} {
		if err := s.Send(ctx, weir.NewMessage([]byte(e))); err != nil {
			panic(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// {"user":"bob","n":2}
	// {"user":"bob","n":4}
	// {"user":"alice","n":1}
	// {"user":"alice","n":3}
}

// Collect runs a batch through a stream and returns what comes out, in
// order.
func ExampleCollect() {
	ctx := context.Background()
	drop, err := transform.NewUtilityDrop(transform.UtilityDropConfig{})
	if err != nil {
		panic(err)
	}
	dropB := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.String() == `"b"` {
			return drop.Transform(ctx, msg)
		}
		return []*weir.Message{msg}, nil
	})
	out, err := stream.Collect(ctx, stream.Config{Stages: []stream.Stage{{Transformer: dropB}}},
		slices.Values([]*weir.Message{
			weir.NewMessage([]byte(`"a"`)),
			weir.NewMessage([]byte(`"b"`)),
			weir.NewMessage([]byte(`"c"`)),
		}))
	fmt.Println(out, err)
	// Output: ["a" "c"] <nil>
}

// SendLines feeds newline-delimited JSON (a file, a decompressed S3 object,
// standard input) into a stream, one message per line.
func ExampleStream_SendLines() {
	ctx := context.Background()
	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(msg.Get("eventName"))
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: transform.Chain()}}})
	if err != nil {
		panic(err)
	}
	input := "{\"eventName\":\"ConsoleLogin\"}\n\n{\"eventName\":\"GetObject\"}\r\n"
	if err := s.SendLines(ctx, strings.NewReader(input)); err != nil {
		panic(err)
	}
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// ConsoleLogin
	// GetObject
}

// SendBatch suits a source that delivers records in batches (a Kinesis
// GetRecords call, an SQS receive, a Lambda event, the lines at hand in a
// read buffer): the stream hands several of them to a worker at once,
// which costs less per message than a Send each.
func ExampleStream_SendBatch() {
	ctx := context.Background()
	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(msg)
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: transform.Chain(), Workers: 2}}})
	if err != nil {
		panic(err)
	}
	records := [][]byte{[]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`)}
	batch := make([]*weir.Message, len(records))
	for i, r := range records {
		batch[i] = weir.NewMessage(r)
	}
	n, sendErr := s.SendBatch(ctx, batch)
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Println("sent", n, sendErr)
	// Output:
	// {"n":1}
	// {"n":2}
	// {"n":3}
	// sent 3 <nil>
}

// Stats reports what each stage did.
func ExampleStream_Stats() {
	ctx := context.Background()
	evens := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if !msg.IsControl() && msg.Get("n").Int()%2 == 1 {
			return nil, nil // drop odd numbers
		}
		return []*weir.Message{msg}, nil
	})
	s, err := stream.New(ctx, func(context.Context, *weir.Message) error { return nil },
		stream.Config{Stages: []stream.Stage{{Transformer: evens, Workers: 2, Name: "evens"}}})
	if err != nil {
		panic(err)
	}
	for i := range 10 {
		if err := s.Send(ctx, weir.NewMessage(fmt.Appendf(nil, `{"n":%d}`, i))); err != nil {
			panic(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	st := s.Stats()
	fmt.Printf("sent %d, delivered %d, in flight %d\n", st.Sent, st.Delivered, st.InFlight)
	for _, ss := range st.Stages {
		fmt.Printf("%s: in %d, out %d, dropped %d, errored %d, flushes %d\n",
			ss.Name, ss.In, ss.Out, ss.Dropped, ss.Errored, ss.Flushes)
	}
	// Output:
	// sent 10, delivered 5, in flight 0
	// evens: in 10, out 5, dropped 5, errored 0, flushes 1
}

// With RecoverPanics, a transformer's panic on one bad record becomes an
// error routed by the error policy, and the stream goes on.
func Example_recoverPanics() {
	ctx := context.Background()
	parse := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.Get("n").Int() == 2 {
			var m map[string]int
			m["boom"]++ // a bug that only this record reaches
		}
		return []*weir.Message{msg}, nil
	})
	s, err := stream.New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(msg)
		}
		return nil
	}, stream.Config{
		Stages:        []stream.Stage{{Transformer: parse, Workers: 1}},
		RecoverPanics: true,
		ErrorSink: func(_ context.Context, e *stream.Error) error {
			var pe *stream.PanicError
			fmt.Println("message", e.Seq, "panicked:", errors.As(e, &pe), pe.Value)
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	for _, e := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if err := s.Send(ctx, weir.NewMessage([]byte(e))); err != nil {
			panic(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// {"n":1}
	// message 1 panicked: true assignment to entry in nil map
	// {"n":3}
}
