package condition_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// meta_any with a source key holding an array inspects each element: here,
// is any of the resolved addresses private?
func ExampleNewMetaAny() {
	in, err := condition.New(context.Background(), weir.Config{
		Type: "meta_any",
		Settings: map[string]any{
			"object":     map[string]any{"source_key": "answers"},
			"conditions": []any{map[string]any{"type": "network_ip_private"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, event := range []string{
		`{"answers":["8.8.8.8","10.0.0.7"]}`,
		`{"answers":["8.8.8.8","1.1.1.1"]}`,
	} {
		ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(event)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
}

// meta_all takes conditions as configs and, from Go, ready-made inspectors.
func ExampleNewMetaAll() {
	isJSON, _ := condition.NewFormatJSON(condition.FormatJSONConfig{})
	in, _ := condition.NewMetaAll(context.Background(), nil, condition.MetaAllConfig{
		Conditions: []weir.Config{{
			Type:     "number_length_less_than",
			Settings: map[string]any{"value": 64},
		}},
		Inspectors: []condition.Inspector{isJSON},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"short":true}`)))
	fmt.Println(ok)
	// Output: true
}
