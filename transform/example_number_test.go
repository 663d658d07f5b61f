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
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// +Inf is not JSON: Weir writes null and counts a coercion.
	fmt.Println("coercions:", tf.Coercions())

	// In strict mode a zero divisor is an error.
	strict, err := (&transform.Env{Strict: true}).New(context.Background(), weir.Config{
		Type:     "number_math_division",
		Settings: map[string]any{"object": map[string]any{"source_key": "[bytes,seconds]", "target_key": "rate"}},
	})
	if err != nil {
		panic(err)
	}
	_, err = strict.Transform(context.Background(), weir.NewMessage([]byte(`{"bytes":3000,"seconds":0}`)))
	fmt.Println("division by zero:", errors.Is(err, transform.ErrDivisionByZero), "invalid data:", errors.Is(err, weir.ErrInvalidData))
	// Output:
	// {"bytes":3000,"seconds":4,"rate":750}
	// {"bytes":3000,"seconds":0,"rate":null}
	// coercions: 1
	// division by zero: true invalid data: true
}
