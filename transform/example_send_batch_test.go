package transform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A send of your own: the BatchSender batches, runs the auxiliary
// transforms and calls Send with each batch; a SendError names what the
// destination refused.
func ExampleNewBatchSender() {
	send := func(_ context.Context, key string, data [][]byte) error {
		se := &transform.SendError{Service: "printer", Total: len(data), Attempts: 1}
		for i, d := range data {
			if len(d) > 12 {
				se.Failed = append(se.Failed, transform.FailedItem{Index: i, Data: d, Code: "TooLong", Err: fmt.Errorf("%d bytes", len(d))})
				continue
			}
			fmt.Printf("batch %q: %s\n", key, d)
		}
		if len(se.Failed) > 0 {
			return se
		}
		return nil
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{
		Type: "send_printer", Object: transform.ObjectSettings{BatchKey: "k"}, Batch: transform.BatchSettings{Count: 2}, Send: send,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, d := range []string{`{"k":"a"}`, `{"k":"b"}`, `{"k":"a"}`, `{"k":"b","long":1}`} {
		if _, err := bs.Transform(ctx, weir.NewMessage([]byte(d))); err != nil {
			fmt.Println("error:", err, "- failed items:", transform.FailedCount(err))
		}
	}
	if _, err := bs.Transform(ctx, weir.NewControl()); err != nil {
		fmt.Println("error:", err, "- failed items:", transform.FailedCount(err))
	}
	// Output:
	// batch "a": {"k":"a"}
	// batch "a": {"k":"a"}
	// batch "b": {"k":"b"}
	// error: transform send_printer: printer: 1 of 2 items failed after 1 attempts (TooLong ×1); item 1: 18 bytes - failed items: 1
}

// Posting batches of events as JSON arrays, with a secret in a header.
func ExampleNewSendHTTPPost() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Printf("%s %s\n", r.Header.Get("Authorization"), b)
	}))
	defer srv.Close()
	env := &transform.Env{Secrets: &transform.Secrets{}}
	env.Secrets.Set("token", "s3cr3t")
	agg, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	if err != nil {
		panic(err)
	}
	tf, err := transform.NewSendHTTPPost(env, transform.SendHTTPPostConfig{
		URL:           srv.URL,
		Headers:       transform.HTTPHeaders{{Key: "Authorization", Value: "Bearer ${SECRET:token}"}},
		Batch:         transform.BatchSettings{Count: 2},
		AuxTransforms: []transform.Transformer{agg},
	})
	if err != nil {
		panic(err)
	}
	defer tf.Close()
	ctx := context.Background()
	for _, d := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(d))); err != nil {
			panic(err)
		}
	}
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil { // sends the rest
		panic(err)
	}
	// Output:
	// Bearer s3cr3t [{"n":1},{"n":2}]
	// Bearer s3cr3t [{"n":3}]
}
