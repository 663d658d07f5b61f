package condition_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func ExampleNewNumberGreaterThan() {
	in, _ := condition.NewNumberGreaterThan(condition.NumberGreaterThanConfig{
		Value:  1e6,
		Object: condition.ObjectSettings{SourceKey: "bytes_out"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"bytes_out":52428800}`)))
	fmt.Println(ok)
	// Output: true
}

// An array's length is its number of elements.
func ExampleNewNumberLengthGreaterThan() {
	in, _ := condition.NewNumberLengthGreaterThan(condition.NumberLengthGreaterThanConfig{
		Value:  2,
		Object: condition.ObjectSettings{SourceKey: "groups"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"groups":["a","b","c"]}`)))
	fmt.Println(ok)
	// Output: true
}

func ExampleNewNumberBitwiseAnd() {
	// Is the "password never expires" flag (0x10000) set in userAccountControl?
	in, _ := condition.NewNumberBitwiseAnd(condition.NumberBitwiseAndConfig{
		Value:  0x10000,
		Object: condition.ObjectSettings{SourceKey: "userAccountControl"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"userAccountControl":66048}`)))
	fmt.Println(ok)
	// Output: true
}
