package weir_test

import (
	"errors"
	"fmt"

	"github.com/weirhq/weir"
)

// A *CoercionError names the transform, the field, the value (truncated)
// and what it should have become; it matches ErrInvalidData, so an error
// policy that routes bad events aside routes it too.
func ExampleCoercionError() {
	var err error = &weir.CoercionError{
		Transform: "time_to_unix",
		Field:     "eventTime",
		Value:     weir.TruncateValue(`"2024-08-02T08:23:05Z"`),
		Target:    "integer timestamp",
	}
	fmt.Println(err)
	fmt.Println(errors.Is(err, weir.ErrInvalidData))
	// Output:
	// transform time_to_unix: field "eventTime": cannot convert "2024-08-02T08:23:05Z" to integer timestamp without coercion: weir: invalid data
	// true
}
