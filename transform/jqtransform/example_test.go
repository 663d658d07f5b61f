package jqtransform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform/jqtransform"
)

func ExampleNewObjectJQ() {
	// A filter with several results produces one JSON array of them.
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{
		Filter: `.users[] | select(.admin) | .name`,
	})
	if err != nil {
		panic(err)
	}

	msg := weir.NewMessage([]byte(`{"users":[{"name":"ana","admin":true},{"name":"bo"},{"name":"cy","admin":true}]}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// ["ana","cy"]
}
