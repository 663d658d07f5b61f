package condition_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func ExampleNewStringContains() {
	in, _ := condition.NewStringContains(condition.StringContainsConfig{
		Value:  "admin",
		Object: condition.ObjectSettings{SourceKey: "user.name"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"user":{"name":"sysadmin"}}`)))
	fmt.Println(ok)
	// Output: true
}

// Compare two fields of the same event with object.target_key.
func ExampleNewStringEqualTo() {
	in, _ := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Object: condition.ObjectSettings{SourceKey: "src.user", TargetKey: "dst.user"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"src":{"user":"bob"},"dst":{"user":"root"}}`)))
	fmt.Println(ok)
	// Output: false
}

func ExampleNewStringMatch() {
	in, _ := condition.NewStringMatch(condition.StringMatchConfig{
		Pattern: `^arn:aws:iam::\d{12}:root$`,
		Object:  condition.ObjectSettings{SourceKey: "userIdentity.arn"},
	})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"userIdentity":{"arn":"arn:aws:iam::123456789012:root"}}`)))
	fmt.Println(ok)
	// Output: true
}
