package transform_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A split that would make more messages than max_count fails with a
// *LimitError naming the setting, and matches weir.ErrTooLarge.
func ExampleLimitError() {
	split, err := transform.NewAggregateFromString(transform.AggregateFromStringConfig{Separator: ",", MaxCount: 3})
	if err != nil {
		panic(err)
	}
	_, err = split.Transform(context.Background(), weir.NewMessage([]byte(strings.Repeat(",", 10))))
	var le *transform.LimitError
	fmt.Println(errors.Is(err, weir.ErrTooLarge), errors.As(err, &le), le.Setting, le.Limit)
	// Output: true true max_count 3
}

// Redact removes resolved secrets from text, as transforms do with their
// errors.
func ExampleSecrets_Redact() {
	var s transform.Secrets
	s.Set("api_key", "s3cr3t value")
	fmt.Println(s.Redact(`GET https://api.example.com/v1?key=s3cr3t+value: status 404`))
	// Output: GET https://api.example.com/v1?key=[redacted ${SECRET:api_key}]: status 404
}
