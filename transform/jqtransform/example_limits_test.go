package jqtransform_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/jqtransform"
)

// The event decides how much this filter writes: its output is bounded by
// max_size (and max_count, max_depth), and a message past a bound fails
// with an error that names the setting.
func ExampleNewObjectJQ_maxSize() {
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{
		Filter:  `[range(.n) as $i | .word]`,
		MaxSize: 64,
	})
	if err != nil {
		panic(err)
	}
	for _, data := range []string{`{"word":"echo","n":3}`, `{"word":"echo","n":1000000}`} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(data)))
		var le *transform.LimitError
		switch {
		case errors.As(err, &le):
			fmt.Printf("too large (%s %d): %v\n", le.Setting, le.Limit, errors.Is(err, weir.ErrTooLarge))
		case err != nil:
			panic(err)
		default:
			fmt.Println(out[0])
		}
	}
	// Output:
	// ["echo","echo","echo"]
	// too large (max_size 64): true
}
