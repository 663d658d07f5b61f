package stream_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// A stream that runs in the sender's goroutine (Inline) and hands each
// message back once the sink is done with it (Release), so that the
// sender reuses it: one message serves the whole input, as in weir run
// with one worker.
func Example_inlineRecycle() {
	upper := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if !msg.IsControl() {
			if err := msg.SetString("user", msg.Get("user").String()+"!"); err != nil {
				return nil, err
			}
		}
		return msg.AsSlice(), nil
	})
	var free []*weir.Message
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Println(string(msg.Data())) // done with msg on return
		}
		return nil
	}, stream.Config{
		Stages:  []stream.Stage{{Transformer: upper}},
		Inline:  true,
		Release: func(msg *weir.Message) { free = append(free, msg) },
	})
	if err != nil {
		panic(err)
	}
	made := 0
	for _, line := range []string{`{"user":"alice"}`, `{"user":"bob"}`, `{"user":"carol"}`} {
		var msg *weir.Message
		if n := len(free); n > 0 {
			msg, free = free[n-1].Reset([]byte(line)), free[:n-1]
		} else {
			msg = weir.NewMessage([]byte(line))
			made++
		}
		if err := s.Send(context.Background(), msg); err != nil {
			panic(err)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("messages made:", made)
	// Output:
	// {"user":"alice!"}
	// {"user":"bob!"}
	// {"user":"carol!"}
	// messages made: 1
}
