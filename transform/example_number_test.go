package transform_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewNumberMaximum() {
	// Clamp a score to [0, 100] with number_maximum then number_minimum.
	lo, err := transform.NewNumberMaximum(transform.NumberMaximumConfig{
		Value:  0,
		Object: transform.ObjectSettings{SourceKey: "score", TargetKey: "score"},
	})
	if err != nil {
		panic(err)
	}
	hi, err := transform.NewNumberMinimum(transform.NumberMinimumConfig{
		Value:  100,
		Object: transform.ObjectSettings{SourceKey: "score", TargetKey: "score"},
	})
	if err != nil {
		panic(err)
	}
	clamp := transform.Chain(lo, hi)
	for _, in := range []string{`{"score":-5}`, `{"score":42.5}`, `{"score":130}`} {
		out, err := clamp.Transform(context.Background(), weir.NewMessage([]byte(in)))
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"score":0}
	// {"score":42.5}
	// {"score":100}
}

func ExampleNewNumberMathAddition() {
	// Sum the bytes sent and received into a new field.
	tf, err := transform.New(context.Background(), weir.Config{
		Type: "number_math_addition",
		Settings: map[string]any{"object": map[string]any{
			"source_key": "[bytes_in,bytes_out]", "target_key": "bytes_total"}},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"bytes_in":1200,"bytes_out":340}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"bytes_in":1200,"bytes_out":340,"bytes_total":1540}
}

func ExampleNewNumberMathDivision() {
	tf, err := transform.NewNumberMathDivision(transform.NumberMathDivisionConfig{
		Object: transform.ObjectSettings{SourceKey: "[bytes,seconds]", TargetKey: "rate"},
	})
	if err != nil {
		panic(err)
	}
	for _, in := range []string{`{"bytes":3000,"seconds":4}`, `{"bytes":3000,"seconds":0}`} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(in)))
		switch {
		case errors.Is(err, transform.ErrDivisionByZero):
			fmt.Println("division by zero; invalid data:", errors.Is(err, weir.ErrInvalidData))
		case err != nil:
			panic(err)
		default:
			fmt.Println(out[0])
		}
	}
	// Output:
	// {"bytes":3000,"seconds":4,"rate":750}
	// division by zero; invalid data: true
}
