package condition_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func ExampleNewExists() {
	in, _ := condition.NewExists(condition.ExistsConfig{
		Object: condition.ObjectSettings{SourceKey: "user.email"},
	})
	for _, event := range []string{
		`{"user":{"email":"a@example.com"}}`,
		`{"user":{"email":null}}`,
		`{"user":{}}`,
	} {
		ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(event)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
	// false
}

// A seeded source makes utility_random repeatable, e.g. in tests.
func ExampleNewUtilityRandom() {
	in, _ := condition.NewUtilityRandom(condition.UtilityRandomConfig{Source: rand.NewPCG(1, 2)})
	kept := 0
	for range 1000 {
		if ok, _ := in.Inspect(context.Background(), weir.NewMessage(nil)); ok {
			kept++
		}
	}
	fmt.Println(kept > 400 && kept < 600)
	// Output: true
}
